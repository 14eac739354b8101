"""The plausible range of business dates a person types (invoices, payments, promises, delegations, filters).

A date such as 0001-01-01 or 9999-12-31 is a typing error or a probe: it would sit at the end of every sort,
overflow date arithmetic (``end + timedelta``) and distort aging. Every date a user submits is checked here:
from ``settings.BUSINESS_DATE_EARLIEST`` (default 1990-01-01) to the business date plus
``settings.BUSINESS_DATE_YEARS_AHEAD`` years (default 30).
"""
import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import clock
from .errors import ValidationFailed


def plausible_range() -> tuple[dt.date, dt.date]:
    earliest = settings.BUSINESS_DATE_EARLIEST
    if isinstance(earliest, str):
        earliest = dt.date.fromisoformat(earliest)
    today = clock.today()
    years = int(settings.BUSINESS_DATE_YEARS_AHEAD)
    try:
        latest = today.replace(year=today.year + years)
    except ValueError:  # 29 February
        latest = today.replace(year=today.year + years, day=28)
    return earliest, latest


def out_of_range_message() -> str:
    earliest, latest = plausible_range()
    return _("Enter a date between %(earliest)s and %(latest)s.") % {"earliest": earliest.isoformat(),
                                                                     "latest": latest.isoformat()}


def is_plausible(value: dt.date) -> bool:
    earliest, latest = plausible_range()
    return earliest <= value <= latest


def validate_plausible_date(value):
    """A Django validator (forms, serializers, model fields): ``ValidationError`` outside the range."""
    if value is not None and not is_plausible(value if not isinstance(value, dt.datetime) else value.date()):
        raise ValidationError(out_of_range_message(), code="date_out_of_range")


def require_plausible(value, field: str):
    """For services: ``ValidationFailed`` (400, on ``field``) outside the range; ``None`` passes."""
    if value is not None and not is_plausible(value if not isinstance(value, dt.datetime) else value.date()):
        message = out_of_range_message()
        raise ValidationFailed(message, field_errors={field: message})
    return value
