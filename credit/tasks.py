"""Thin Celery tasks: they take ids, act as the system user and call one service (idempotent)."""
from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(name="credit.tasks.expire_facilities", autoretry_for=(OperationalError,), retry_backoff=True,
             retry_backoff_max=600, max_retries=5)
def expire_facilities():
    """Nightly (Celery beat): expire facilities past their expiry date."""
    return services.facilities_expire_due(actor=services.system_actor())


@shared_task(name="credit.tasks.test_covenants", autoretry_for=(OperationalError,), retry_backoff=True,
             retry_backoff_max=600, max_retries=5)
def test_covenants(statement_id):
    """After a statement is saved: test the customer's covenants against it."""
    return [b.pk for b in services.covenants_test_statement(actor=services.system_actor(), statement_id=statement_id)]
