"""Thin Celery tasks: they take ids and call one service."""
from celery import shared_task
from django.db import OperationalError

from creditportal.core import clock
from creditportal.core.locks import run_once

NIGHTLY_TASK = "ratings.nightly_batch"
STALL_TASK = "ratings.check_stalled_batches"


@shared_task(name="ratings.run_rating_batch", bind=True, autoretry_for=(OperationalError,), retry_backoff=True,
             retry_backoff_max=600, max_retries=5)
def run_rating_batch(self, batch_id: int):
    """Split a recorded re-rating batch into chunks and send one ``run_rating_chunk`` per chunk not done yet
    (idempotent: a finished batch is left alone; a re-delivery sends the unfinished chunks again)."""
    from . import services

    return services.batch_run(batch_id=batch_id, in_worker=True).pk


@shared_task(name="ratings.run_rating_chunk", bind=True, autoretry_for=(OperationalError,), retry_backoff=True,
             retry_backoff_max=600, max_retries=5)
def run_rating_chunk(self, batch_id: int, index: int):
    """Rate one chunk of a batch (idempotent: a chunk already done does nothing; the last one finishes the batch)."""
    from . import services

    return services.batch_chunk_run(batch_id=batch_id, index=index)


@shared_task(name=NIGHTLY_TASK)
def nightly_batch():
    """Beat: once per business date, the system user starts the re-rating batch."""
    from . import services

    with run_once(f"ratings-nightly:{clock.today().isoformat()}") as first:
        if not first:
            return None
        return services.nightly_batch_start()


@shared_task(name="ratings.recheck_customer", bind=True, autoretry_for=(OperationalError,), retry_backoff=True,
             retry_backoff_max=600, max_retries=5)
def recheck_customer(self, customer_id: int):
    """New data for a customer: propose a rating if the model's grade would change (idempotent)."""
    from . import services

    rating = services.rating_recheck(customer_id=customer_id)
    return rating.pk if rating else None


def on_new_data(customer_id=None, **payload):
    """Event handler: re-check the customer in the worker (sent through the outbox on commit)."""
    from creditportal.core.tasks import enqueue

    if customer_id:
        enqueue(recheck_customer, customer_id)


@shared_task(name=STALL_TASK)
def check_stalled_batches():
    """Beat, every minute: resume (or fail) a re-rating batch whose chunks stopped progressing. Idempotent: a
    resumed batch's heartbeat is fresh, so a second run in the same minute finds nothing stalled."""
    from . import services

    return [(o.outcome, o.batch.pk) for o in services.batch_check_stalled()]
