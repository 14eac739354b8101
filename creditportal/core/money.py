"""Money: ``Decimal`` amounts with a currency, and conversion through the FX rate table.

Amounts are never floats. Models store an amount column (``AmountField``) beside a currency column
(``CurrencyField``); code that adds amounts of several currencies converts them into the reporting
currency (``settings.REPORTING_CURRENCY``) with the rate valid on a date.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal_rules.decimals import NotANumber, parse_decimal

CENT = Decimal("0.01")
CURRENCIES = [
    ("CNY", _("Chinese yuan")),
    ("USD", _("US dollar")),
    ("EUR", _("Euro")),
    ("HKD", _("Hong Kong dollar")),
    ("JPY", _("Japanese yen")),
    ("GBP", _("Pound sterling")),
]
CURRENCY_CODES = {code for code, _label in CURRENCIES}


class CurrencyField(models.CharField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("choices", CURRENCIES)
        kwargs.setdefault("default", "CNY")
        kwargs.setdefault("verbose_name", _("currency"))
        super().__init__(*args, **kwargs)


class AmountField(models.DecimalField):
    """A non-negative amount with two decimals (up to 10^16)."""

    def __init__(self, *args, allow_negative=False, **kwargs):
        self.allow_negative = allow_negative
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 2)
        if not allow_negative:
            kwargs.setdefault("validators", [MinValueValidator(Decimal("0"))])
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        from .forms import AmountField as AmountFormField

        return super().formfield(**{"form_class": AmountFormField, **kwargs})

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.allow_negative:
            kwargs["allow_negative"] = True
        kwargs.pop("validators", None)
        return name, path, args, kwargs


def ascii_number_text(value) -> bool:
    """Whether a typed number uses ASCII characters only: ``Decimal`` and ``int`` read fullwidth digits
    (``１２３``) and other scripts' digits as numbers, which a person checking the screen would not."""
    return not isinstance(value, str) or value.isascii()


def without_negative_zero(value):
    """``-0.00`` is stored as ``0.00`` (same exponent): a negative zero reads as a debit in files and reports."""
    if isinstance(value, Decimal) and value.is_zero() and value.is_signed():
        return value.copy_abs()
    return value


def to_decimal(value) -> Decimal:
    """Parse a number given as str/int/Decimal (never float) into a Decimal, or raise ValueError.

    The one parse helper for amounts and ratios typed by people or read from files: ASCII digits only
    (fullwidth digits are refused), finite, and ``-0`` normalised to ``0``."""
    try:
        result = parse_decimal(value, commas=True, ascii_only=True)
    except NotANumber as exc:
        raise ValueError(_TO_DECIMAL_REFUSALS[exc.reason].format(value=value)) from None
    return without_negative_zero(result)


_TO_DECIMAL_REFUSALS = {
    "float": "floats are not accepted for money; pass a string or Decimal",
    "ascii": "not a number in ASCII digits: {value!r}",
    "syntax": "not a number: {value!r}",
    "infinite": "not a finite number: {value!r}",
}


def quantize(amount: Decimal, exponent: Decimal = CENT) -> Decimal:
    return amount.quantize(exponent, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self):
        if not isinstance(self.amount, Decimal):
            object.__setattr__(self, "amount", to_decimal(self.amount))
        if self.currency not in CURRENCY_CODES:
            raise ValueError(f"unknown currency {self.currency!r}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def _same_currency(self, other):
        if not isinstance(other, Money) or other.currency != self.currency:
            raise ValueError("cannot combine amounts of different currencies without conversion")

    def rounded(self) -> Money:
        return Money(quantize(self.amount), self.currency)

    def __str__(self):
        return f"{self.currency} {quantize(self.amount):,}"


class MissingRate(LookupError):
    pass


class RateTable:
    """The FX rates valid on one date, loaded once (one query) for set-wise conversions."""

    def __init__(self, on_date: dt.date, reporting_currency: str | None = None):
        from creditportal.models import FxRate

        self.on_date = on_date
        self.reporting_currency = reporting_currency or settings.REPORTING_CURRENCY
        self._rates: dict[tuple[str, str], Decimal] = {}
        rows = (
            FxRate.objects.filter(valid_on__lte=on_date)
            .order_by("base_currency", "quote_currency", "-valid_on")
            .values_list("base_currency", "quote_currency", "rate")
        )
        for base, quote, rate in rows:
            self._rates.setdefault((base, quote), rate)  # newest per pair wins

    def rate(self, from_currency: str, to_currency: str) -> Decimal:
        if from_currency == to_currency:
            return Decimal(1)
        if (from_currency, to_currency) in self._rates:
            return self._rates[(from_currency, to_currency)]
        if (to_currency, from_currency) in self._rates:
            return Decimal(1) / self._rates[(to_currency, from_currency)]
        # Cross through the reporting currency.
        pivot = self.reporting_currency
        if pivot not in (from_currency, to_currency):
            return self.rate(from_currency, pivot) * self.rate(pivot, to_currency)
        raise MissingRate(f"no FX rate {from_currency}/{to_currency} on or before {self.on_date}")

    def convert(self, amount: Decimal, from_currency: str, to_currency: str | None = None) -> Decimal:
        to_currency = to_currency or self.reporting_currency
        return quantize(amount * self.rate(from_currency, to_currency))


def convert(amount: Decimal, from_currency: str, to_currency: str | None = None, *, on_date=None) -> Decimal:
    from creditportal.core import clock

    return RateTable(on_date or clock.today()).convert(amount, from_currency, to_currency)
