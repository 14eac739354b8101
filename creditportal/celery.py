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
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "creditportal.settings")

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

# Apps add their own entries from their AppConfig.ready(); this one is the project's.
app.conf.beat_schedule = {
    "clear-expired-sessions": {"task": "creditportal.clear_expired_sessions", "schedule": 24 * 60 * 60},
    "purge-outbox-and-keys": {"task": "creditportal.purge_outbox_and_keys", "schedule": 24 * 60 * 60},
    # "relay-outbox" (every OUTBOX_RELAY_INTERVAL seconds) is added by CreditPortalConfig.ready().
}


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
