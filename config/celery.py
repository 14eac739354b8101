"""The Celery application.

Reliability choices, deliberately:

* ``task_acks_late`` + ``task_reject_on_worker_lost``: a task is acknowledged only after it finished,
  so a worker killed mid-task (SIGKILL, OOM) leaves it on the broker to be delivered again. That is safe
  only because every task here is idempotent (they call services keyed by natural keys, e.g. one rating
  per customer and batch).
* ``worker_prefetch_multiplier = 1``: a worker holds one unacknowledged task at a time, so a crash
  re-delivers little and long batches spread over workers.
* Tasks are written to an outbox in the transaction of the write that needs them and sent after the commit
  (``creditportal.core.tasks.enqueue``): a rolled back transaction never runs a task, and a broker outage
  only delays one. The relay (beat every ``OUTBOX_RELAY_INTERVAL`` seconds, and each worker when it
  starts) sends what the outage left unsent.
* Retries: tasks that touch the database retry on operational errors with exponential back-off and a
  cap; no countdown ever exceeds the Redis visibility timeout set in settings.
"""
import logging
import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("creditportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_default_retry_delay=10,
    broker_connection_retry_on_startup=True,
    task_ignore_result=True,
)
app.autodiscover_tasks()
app.autodiscover_tasks(["creditportal"])



def beat_schedule(relay_interval: float) -> dict:
    """Every periodic job of the portal, in one place (the order is the night's order)."""
    return {
        # Every few seconds: send what a broker outage left in the outbox (creditportal.core.tasks).
        "relay-outbox": {"task": "creditportal.relay_outbox", "schedule": relay_interval},
        "ratings-check-stalled-batches": {"task": "ratings.check_stalled_batches", "schedule": 60},
        "credit-expire-facilities": {"task": "credit.tasks.expire_facilities",
                                     "schedule": crontab(hour=0, minute=20)},
        "ratings-nightly-batch": {"task": "ratings.nightly_batch", "schedule": crontab(hour=1, minute=30)},
        "collection-daily": {"task": "collection.daily", "schedule": crontab(hour=2, minute=30)},
        # After collection's daily run, so the day's aging is in place.
        "monitoring-evaluate-daily": {"task": "monitoring.evaluate_daily", "schedule": crontab(hour=3, minute=30)},
        # The first day of each month, after the night's runs: the snapshot of the month that just ended.
        "provisions-month-end-snapshot": {"task": "provisions.take_month_end_snapshot",
                                          "schedule": crontab(day_of_month=1, hour=4, minute=30)},
        "clear-expired-sessions": {"task": "creditportal.clear_expired_sessions", "schedule": 24 * 60 * 60},
        "purge-outbox-and-keys": {"task": "creditportal.purge_outbox_and_keys", "schedule": 24 * 60 * 60},
    }


@app.on_after_configure.connect
def _install_beat_schedule(sender, **kwargs):
    from django.conf import settings

    sender.conf.beat_schedule = beat_schedule(settings.OUTBOX_RELAY_INTERVAL)


@worker_ready.connect
def relay_outbox_on_start(sender=None, **kwargs):
    """A worker that starts (after an outage, a deployment) sends what the outbox holds at once."""
    from django.db import connections

    from creditportal.core.tasks import relay_outbox

    try:
        relay_outbox()
    except Exception:  # noqa: BLE001 - the worker starts anyway; beat's relay runs again in seconds
        logging.getLogger("creditportal.outbox").warning("outbox relay at worker start failed", exc_info=True)
    finally:
        for connection in connections.all(initialized_only=True):
            if not connection.in_atomic_block:  # the main process keeps no connection for its children
                connection.close()
