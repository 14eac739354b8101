"""The portfolio dashboard's snapshot: its figures computed in the background and read by the page and the API.

Computing every figure of the dashboard is a pass over the whole open portfolio (375–470 ms of SQL at 100k
customers, seconds at 1M). For the users who see every customer the page and the API read the figures from
a snapshot in the cache (Redis in production), so a request's cost does not grow with the portfolio:

* ``dashboard_snapshot_refresh()`` computes the default period's figures with ``dashboard_figures`` (as the
  system user, who sees every customer) and stores them; the task ``monitoring.refresh_dashboard_snapshot``
  runs it every ``DASHBOARD_SNAPSHOT_REFRESH_SECONDS`` (``config/celery.py:beat_schedule``, the batch queue)
  and when a risk admin asks for it ("Refresh now").
* ``dashboard_for(user, start=, end=)`` reads it; on a miss (a cold cache, another period) it computes the
  figures live, as before, and stores them for the next request. Every copy lives ``DASHBOARD_SNAPSHOT_TTL``
  seconds, longer than the refresh interval, so the default period is always warm and a stale copy is bounded.
* The key: the scope ("all"), the business date, the period, the reporting currency and its FX rates (a new
  rate is a new key: the figures and the currencies without a rate change at once) and the script prefix (the
  URLs inside). The figures are language-neutral (``dashboard_figures``): labels are added when read.
* Users with a scoped view (a relationship manager's book; none of today's roles reach the page without
  ``view_all_customers``, but the selector serves them all the same) always get a live computation of their
  own scope, never a snapshot.

Each snapshot carries ``computed_at`` (shown as "Figures as of 20:15") and ``missing_rates`` (the currencies of
open invoices without an FX rate into the reporting currency, left out of the totals).
"""
from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.urls import get_script_prefix

from creditportal.core import clock
from creditportal.core.access import model_permission
from creditportal.core.money import CURRENCY_CODES, MissingRate, RateTable
from creditportal.core.querysets import sees_all_customers

from .dashboard import dashboard_figures, dashboard_range, with_labels
from .exposure import currencies_without_rate

ALL = "all"
KEY_VERSION = 1  # raise when the shape of the stored figures changes (a deployment then starts cold)


def snapshot_scope(user) -> str | None:
    """The snapshot ``user`` may be served: ``"all"`` for a user who sees every customer and every provision
    run (the rows of the system user who computes it), else None (a live computation of their own scope)."""
    from ..models import ProvisionRun

    if sees_all_customers(user) and user.has_perm(model_permission(ProvisionRun, "view")):
        return ALL
    return None


def _rates_digest(table: RateTable) -> str:
    rates = []
    for code in sorted(CURRENCY_CODES):
        try:
            rates.append(f"{code}={table.rate(code, table.reporting_currency)}")
        except MissingRate:
            continue
    return hashlib.sha256(";".join(rates).encode()).hexdigest()[:16]


def snapshot_key(scope: str, start, end, table: RateTable) -> str:
    prefix = hashlib.sha256(get_script_prefix().encode()).hexdigest()[:8]
    return (f"monitoring:dashboard:v{KEY_VERSION}:{scope}:{table.on_date.isoformat()}:{start.isoformat()}:"
            f"{end.isoformat()}:{table.reporting_currency}:{_rates_digest(table)}:{prefix}")


def _compute(user, start, end, table: RateTable) -> dict:
    data = dashboard_figures(user, start=start, end=end, table=table)
    data["missing_rates"] = currencies_without_rate(user, table)
    data["computed_at"] = clock.instant()
    return data


def _store(key: str, data: dict) -> None:
    cache.set(key, data, timeout=settings.DASHBOARD_SNAPSHOT_TTL)


def dashboard_for(user, *, start=None, end=None) -> dict:
    """The dashboard's figures for ``user`` labelled in the active language, with ``computed_at`` and
    ``missing_rates``: from the snapshot for a user who sees every customer (computed and stored on a miss),
    live for a scoped user. ``data["snapshot"]`` says which."""
    today = clock.today()
    start, end = dashboard_range(start, end, today)
    table = RateTable(today)
    scope = snapshot_scope(user)
    if scope is None:
        data = _compute(user, start, end, table)
    else:
        key = snapshot_key(scope, start, end, table)
        data = cache.get(key)
        if data is None:
            data = _compute(user, start, end, table)
            _store(key, data)
    data["snapshot"] = scope is not None
    return with_labels(data)


def dashboard_snapshot_refresh(*, start=None, end=None) -> dict:
    """Compute the snapshot of every-customer scope for the period (by default the page's default period)
    and store it; returns the figures stored (without labels)."""
    from accounts.system import system_user

    user = system_user()
    if snapshot_scope(user) != ALL:  # the system role reads every customer and provision run
        raise RuntimeError("the system user does not see the whole portfolio; the dashboard snapshot needs it")
    today = clock.today()
    start, end = dashboard_range(start, end, today)
    table = RateTable(today)
    data = _compute(user, start, end, table)
    _store(snapshot_key(ALL, start, end, table), data)
    return data
