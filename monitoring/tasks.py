"""Thin Celery tasks: they take ids and call one service, acting as the system user."""
from celery import shared_task
from django.db import OperationalError

from creditportal.core import clock
from creditportal.core.locks import run_once

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "retry_backoff_max": 600, "max_retries": 5}


def _system():
    from accounts.system import system_user

    return system_user()


def _evaluate_holds(actor, **kwargs):
    """Order holds (credit) placed or released with the rules: after a payment, a facility change, and nightly."""
    from credit import services as credit_services

    credit_services.holds_evaluate(actor=actor, **kwargs)


@shared_task(name="monitoring.evaluate_daily", **RETRY)
def evaluate_daily():
    """Evaluate every rule for the portfolio once per business date; on a month end, classify and provision."""
    from . import services

    today = clock.today()
    with run_once(f"monitoring.evaluate_daily:{today.isoformat()}") as first:
        if not first:
            return False
        actor = _system()
        services.alerts_evaluate(actor=actor, on_date=today)
        _evaluate_holds(actor, on_date=today)
        if today == services.month_end(today):
            services.provision_run(actor=actor, period=today)
        return True


@shared_task(name="monitoring.evaluate_customers", **RETRY)
def evaluate_customers(customer_ids):
    """Re-evaluate the rules for some customers right after an event (idempotent)."""
    from . import services

    ids = [int(i) for i in customer_ids or [] if i]
    if ids:
        actor = _system()
        services.alerts_evaluate(actor=actor, customer_ids=ids)
        _evaluate_holds(actor, customer_ids=ids)
    return len(ids)


@shared_task(name="monitoring.evaluate_facility", **RETRY)
def evaluate_facility(facility_id):
    from credit.models import Facility

    customer_id = Facility.objects.filter(pk=facility_id).values_list("customer_id", flat=True).first()
    return evaluate_customers(customer_ids=[customer_id] if customer_id else [])


@shared_task(name="monitoring.month_end_run", **RETRY)
def month_end_run(period_iso=None):
    import datetime as dt

    from . import services

    period = dt.date.fromisoformat(period_iso) if period_iso else None
    return services.provision_run(actor=_system(), period=period).pk


@shared_task(name="monitoring.refresh_dashboard_snapshot", **RETRY)
def refresh_dashboard_snapshot(start_iso=None, end_iso=None):
    """The portfolio dashboard's snapshot for a period (the page's default without dates), recomputed and
    stored; beat every few minutes and "Refresh now". Runs at most once a minute per period (two beats, a
    button pressed twice): a second run in that minute does nothing."""
    import datetime as dt

    from .selectors.dashboard_snapshot import dashboard_snapshot_refresh

    with run_once(f"monitoring.refresh_dashboard_snapshot:{start_iso}:{end_iso}", ttl_seconds=60) as first:
        if not first:
            return False
        dashboard_snapshot_refresh(start=dt.date.fromisoformat(start_iso) if start_iso else None,
                                   end=dt.date.fromisoformat(end_iso) if end_iso else None)
        return True
