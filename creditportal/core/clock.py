"""The business clock: the one source of "today" for days past due, review dates and expiry.

Tests (browser tests against the live server included, which run in another thread) set it with
``clock.set_today``; in production it follows the real date in ``TIME_ZONE``. ``BUSINESS_DATE`` in the
environment pins it for a demo.
"""
import datetime as dt
import os
import threading
from contextlib import contextmanager

from django.utils import timezone

_lock = threading.Lock()
_override: dt.date | None = None
_instant: dt.datetime | None = None


def today() -> dt.date:
    """The business date (local date in Asia/Shanghai unless overridden)."""
    if _override is not None:
        return _override
    pinned = os.environ.get("BUSINESS_DATE")
    if pinned:
        return dt.date.fromisoformat(pinned)
    return timezone.localdate()


def now() -> dt.datetime:
    """An aware datetime consistent with ``today()``: the real time moved to the business date."""
    real = timezone.localtime()
    business = today()
    if business == real.date():
        return real
    return real.replace(year=business.year, month=business.month, day=business.day)


def instant() -> dt.datetime:
    """The real moment (aware, UTC), for timestamps compared with each other (progress heartbeats, outbox
    retries, idempotency keys' expiry). Unlike ``now()`` it ignores the business date; tests set it with
    ``set_instant``."""
    return _instant if _instant is not None else timezone.now()


def set_instant(value: dt.datetime | None) -> None:
    """Stop the real clock at ``value`` (``None``: the real time again). Tests only."""
    global _instant
    with _lock:
        _instant = value


def set_today(value: dt.date | None) -> None:
    """Move the business date (``None`` returns to the real date)."""
    global _override
    with _lock:
        _override = value


@contextmanager
def frozen(value: dt.date):
    previous = _override
    set_today(value)
    try:
        yield value
    finally:
        set_today(previous)
