"""Thin Celery tasks: ids in, one service call."""
from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(bind=True, name="reports.build_report_batch", acks_late=True, max_retries=20,
             autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=300)
def build_report_batch(self, batch_id: int):
    try:
        services.report_batch_build(batch_id=batch_id)
    except services.BatchBusy as exc:
        # Another worker holds the batch (or held it and died: the lock expires): try again later.
        raise self.retry(exc=exc, countdown=60) from exc


@shared_task(name="reports.generate_rating_report", acks_late=True, max_retries=5,
             autoretry_for=(OperationalError,), retry_backoff=True)
def generate_rating_report(rating_id: int, language: str):
    services.rating_report_pregenerate(rating_id=rating_id, language=language)
