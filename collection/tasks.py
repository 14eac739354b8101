"""Thin Celery tasks: take ids, call one service; idempotent (retries and re-delivery are safe)."""
from celery import shared_task
from django.db import OperationalError

from creditportal.core import clock
from creditportal.core.locks import run_once

from . import services


@shared_task(name="collection.daily", autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=600,
             max_retries=5)
def daily():
    """Dunning and promise checks for the business date, once per date."""
    today = clock.today()
    with run_once(f"collection.daily:{today.isoformat()}") as first:
        if not first:
            return None
        return services.daily_run(as_of=today)


@shared_task(name="collection.execute_dunning_action", autoretry_for=(OperationalError,), retry_backoff=True,
             retry_backoff_max=600, max_retries=5)
def execute_dunning_action(action_id):
    services.dunning_action_execute(action_id=action_id)


@shared_task(name="collection.run_dunning_now", autoretry_for=(OperationalError,), retry_backoff=True,
             retry_backoff_max=600, max_retries=5)
def run_dunning_now(as_of: str):
    """Started by "Run dunning now": the nightly job's service for that business date (idempotent)."""
    import datetime as dt

    services.dunning_run_now_execute(as_of=dt.date.fromisoformat(as_of))


@shared_task(name="collection.refresh_aging_summary", autoretry_for=(OperationalError,), retry_backoff=True,
             retry_backoff_max=600, max_retries=5)
def refresh_aging_summary():
    """Nightly, just after midnight: the whole aging summary for the new business date, once per date (a second
    beat's copy does nothing; ``services.aging_summary_refresh()`` refreshes again by hand)."""
    today = clock.today()
    with run_once(f"collection.refresh_aging_summary:{today.isoformat()}") as first:
        if not first:
            return None
        return services.aging_summary_refresh(as_of=today)
