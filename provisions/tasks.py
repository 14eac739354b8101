"""Thin Celery tasks: the month-end snapshot as the system user (idempotent, safe to retry)."""
from celery import shared_task
from django.db import OperationalError


@shared_task(name="provisions.take_month_end_snapshot", autoretry_for=(OperationalError,), retry_backoff=True,
             retry_backoff_max=600, max_retries=5)
def take_month_end_snapshot(period: str | None = None):
    """The snapshot of ``period`` (ISO date), by default of the month that ended last."""
    import datetime as dt

    from accounts.system import system_user
    from creditportal.core import clock

    from . import selectors, services

    day = dt.date.fromisoformat(period) if period else selectors.previous_month_end(clock.today())
    if not selectors.has_invoices_by(day):
        return None
    return services.snapshot_take(actor=system_user(), period=day).pk
