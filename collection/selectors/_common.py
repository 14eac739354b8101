"""What the reads share: amounts in the reporting currency, computed in the database."""
from __future__ import annotations

from decimal import Decimal

from django.db.models import (
    Case,
    DecimalField,
    ExpressionWrapper,
    Func,
    IntegerField,
    Value,
    When,
)

from creditportal.core.money import CURRENCY_CODES, MissingRate, RateTable

from ..models import outstanding_expression


ZERO = Decimal("0")
MONEY = DecimalField(max_digits=30, decimal_places=8)
DSO_DAYS = 90


def rates_to_reporting(table: RateTable) -> tuple[dict[str, Decimal], list[str]]:
    rates, missing = {}, []
    for code in sorted(CURRENCY_CODES):
        try:
            rates[code] = table.rate(code, table.reporting_currency).quantize(Decimal("0.0000000001"))
        except MissingRate:
            missing.append(code)
    return rates, missing


def reporting_amount(table: RateTable, expression=None, currency_field="currency"):
    """``expression`` (default: an invoice's outstanding) in the reporting currency, as a database CASE."""
    if expression is None:
        expression = outstanding_expression()
    rates, _missing = rates_to_reporting(table)
    whens = []
    for code, rate in rates.items():
        value = expression if rate == 1 else expression * Value(rate, output_field=MONEY)
        whens.append(When(**{currency_field: code}, then=ExpressionWrapper(value, output_field=MONEY)))
    return Case(*whens, default=Value(None, output_field=MONEY), output_field=MONEY)


class DaysBetween(Func):
    """``later − earlier`` in whole days (PostgreSQL: date − date is an integer)."""

    output_field = IntegerField()
    template = "(%(expressions)s)"
    arg_joiner = " - "

    def as_sqlite(self, compiler, connection, **extra):
        later, earlier = self.source_expressions
        sql_l, params_l = compiler.compile(later)
        sql_e, params_e = compiler.compile(earlier)
        return f"CAST(julianday({sql_l}) - julianday({sql_e}) AS INTEGER)", [*params_l, *params_e]


