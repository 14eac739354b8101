"""Template filters for numbers and money in the reader's language (a built-in: no ``{% load %}`` needed).

    {{ invoice.amount|money:invoice.currency }}   → "CNY 1,234,567.89"
    {{ ratio|amount }}                            → "1,234.57" (grouped, two decimals)
    {{ loss_rate|percent }}                       → "0.36%" (a fraction as a percentage)

Grouping and separators come from the active language's formats (``creditportal/formats``); files keep plain
numbers (``creditportal.core.lists``)."""
from django import template
from django.utils import formats

from portal_rules.decimals import NotANumber, parse_decimal

register = template.Library()

EMPTY = "—"


def _decimal_or_none(value):
    """What a template hands in (Decimal, str, int, even float) as a Decimal; ``None`` when it is no number."""
    if value is None or value == "":
        return None
    try:
        return parse_decimal(value, floats=True, finite=False)
    except NotANumber:
        return None


def _number(value, places):
    value = _decimal_or_none(value)
    if value is None:
        return None
    return formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


@register.filter
def amount(value, places=2):
    """A grouped amount with ``places`` decimals in the active language; "—" when there is none."""
    text = _number(value, int(places))
    return EMPTY if text is None else text


@register.filter
def money(value, currency=""):
    """Currency code and grouped amount: "CNY 1,234,567.89"; "—" when there is no amount."""
    text = _number(value, 2)
    if text is None:
        return EMPTY
    return f"{currency} {text}".strip()


@register.filter
def reporting_money(value):
    """An amount in the reporting currency (``settings.REPORTING_CURRENCY``): "CNY 1,234,567.89"."""
    from django.conf import settings

    return money(value, settings.REPORTING_CURRENCY)


@register.filter
def percent(value, places=2):
    """A fraction as a percentage in the active language: 0.003573 → "0.36%"; "—" when there is none.
    Negative ``places`` (like ``floatformat``) keep at most that many decimals and drop trailing zeros: a
    haircut of 0.4000 with ``-2`` → "40%", 0.125 → "12.5%"."""
    value = _decimal_or_none(value)
    if value is None:
        return EMPTY
    places = int(places)
    text = _number(value * 100, abs(places))
    if text is not None and places < 0 and "." in text:
        text = text.rstrip("0").rstrip(".")
    return EMPTY if text is None else f"{text}%"


class LazyMoney:
    """An amount formatted by ``money`` when it is rendered, in the language active then: a parameter of a
    ``creditportal.core.i18n.Message`` written in the recipient's language ("CNY 3,000,000.00")."""

    def __init__(self, value, currency=""):
        self.value = value
        self.currency = currency

    def __str__(self):
        return money(self.value, self.currency)

    def __repr__(self):
        return f"LazyMoney({self.value!r}, {self.currency!r})"


def shipped_text(value):
    """A name the portal ships in its data (the default rating model's factors and caps, the master scale)
    in the reader's language when a catalogue translates it; a name a user wrote is shown as written.

    The data keep the English text (rating snapshots reproduce with it); each app lists the texts it ships
    with ``gettext_noop`` (``ratings/shipped.py``) so that they are extracted and translated."""
    if not value:
        return value
    from django.utils.translation import gettext

    return gettext(str(value))


@register.filter
def shipped(value):
    """``shipped_text`` as a template filter: ``{{ factor.name|shipped }}``."""
    return shipped_text(value)


@register.filter(name="localized")
def localized_filter(obj, field="name"):
    """A stored name (or ``field``) in the reader's language: ``{{ rule|localized }}``,
    ``{{ rule|localized:"description" }}`` (``creditportal.core.naming``)."""
    from .naming import localized

    return localized(obj, field)


@register.filter
def width_class(value) -> str:
    """``portal-w-N``: a width of N % (0–100, rounded) as a class of portal.css, for progress bars (the
    Content-Security-Policy refuses inline ``style`` attributes)."""
    try:
        percent = round(float(value))
    except (TypeError, ValueError):
        percent = 0
    return f"portal-w-{min(max(percent, 0), 100)}"


@register.filter
def page_numbers(page_obj):
    """The page numbers a pager shows: the first, two either side of the current one, the last, and ``None``
    where pages are left out ("1 … 7 8 9 10 11 … 40")."""
    if not page_obj or not hasattr(page_obj, "paginator"):
        return []
    ellipsis = page_obj.paginator.ELLIPSIS
    return [None if n == ellipsis else n
            for n in page_obj.paginator.get_elided_page_range(page_obj.number, on_each_side=2, on_ends=1)]


PAGE_SIZES = (25, 50, 100, 200)


@register.simple_tag
def page_sizes(current=None):
    """The page sizes a list offers, with the current one among them."""
    sizes = list(PAGE_SIZES)
    try:
        current = int(current)
    except (TypeError, ValueError):
        return sizes
    if current not in sizes and 0 < current <= max(sizes):
        sizes = sorted({*sizes, current})
    return sizes


def _is_cjk(text: str) -> bool:
    return any("\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


@register.filter
def person(user) -> str:
    """A person as pages, lists and letters name them: the full name (Chinese names family name first and
    without a space: 王小明; others "Given Family"), the login only when no name is recorded; "—" for nobody."""
    if user is None or user == "":
        return EMPTY
    first = (getattr(user, "first_name", "") or "").strip()
    last = (getattr(user, "last_name", "") or "").strip()
    if first or last:
        if _is_cjk(first + last):
            return f"{last}{first}"
        return f"{first} {last}".strip()
    return getattr(user, "username", "") or str(user)
