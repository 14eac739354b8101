"""Thin Celery tasks: call one service; idempotent (retries and re-delivery are safe)."""
from celery import shared_task
from django.db import OperationalError

from creditportal.core import clock


@shared_task(name="insurance.expire_buyer_limits", autoretry_for=(OperationalError,), retry_backoff=True,
             retry_backoff_max=600, max_retries=5)
def expire_buyer_limits():
    """Mark the buyer limits whose validity ended as expired (the split already ignores them by date)."""
    from accounts.system import system_user

    from . import services

    return services.buyer_limits_expire(actor=system_user(), on_date=clock.today())
