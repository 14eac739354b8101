"""Thin Celery tasks: they take ids and call one service (both are idempotent and safe to retry)."""
from celery import shared_task
from django.db import OperationalError


@shared_task(name="validation.run_validation", autoretry_for=(OperationalError,), retry_backoff=True,
             retry_backoff_max=600, max_retries=5)
def run_validation(run_id: int):
    from . import services

    return services.validation_run_execute(run_id=run_id).pk


@shared_task(name="validation.run_simulation", autoretry_for=(OperationalError,), retry_backoff=True,
             retry_backoff_max=600, max_retries=5)
def run_simulation(simulation_id: int):
    from . import services

    return services.simulation_execute(simulation_id=simulation_id).pk
