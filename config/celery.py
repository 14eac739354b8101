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
* Queues: batch work goes to the ``batch`` queue, the rest to the default queue (``CELERY_TASK_ROUTES`` in
  settings, by task name); run one worker per queue (Procfile).
* Operations (signals below): each message carries the id of the request that enqueued it (header
  ``portal_request_id``), set in the worker's log context while the task runs; every run is counted and timed
  for ``/metrics`` (``creditportal.core.metrics``) and a periodic job's success is time-stamped. The worker
  logs through Django's ``LOGGING`` (JSON lines), not Celery's own format.
"""
import logging
import os
import time

from celery import Celery
from celery.schedules import crontab
from celery.signals import (before_task_publish, setup_logging, task_failure, task_postrun, task_prerun,
                            worker_ready)

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
    worker_hijack_root_logger=False,
)
app.autodiscover_tasks()
app.autodiscover_tasks(["creditportal"])



def beat_schedule(relay_interval: float, dashboard_interval: float = 10 * 60) -> dict:
    """Every periodic job of the portal, in one place (the order is the night's order)."""
    return {
        # Every few seconds: send what a broker outage left in the outbox (creditportal.core.tasks).
        "relay-outbox": {"task": "creditportal.relay_outbox", "schedule": relay_interval},
        "ratings-check-stalled-batches": {"task": "ratings.check_stalled_batches", "schedule": 60},
        # The aging summary for the new day (collection.services.aging): the aging page and the dashboard read it
        # (live until it is done). Before the night's jobs that change invoices' days past due.
        "collection-aging-summary": {"task": "collection.refresh_aging_summary",
                                     "schedule": crontab(hour=0, minute=5)},
        # Every few minutes (settings.DASHBOARD_SNAPSHOT_REFRESH_SECONDS): the portfolio dashboard's snapshot
        # (monitoring/selectors/dashboard_snapshot.py), read by the page and the API instead of computing.
        "monitoring-dashboard-snapshot": {"task": "monitoring.refresh_dashboard_snapshot",
                                          "schedule": dashboard_interval},
        "credit-expire-facilities": {"task": "credit.tasks.expire_facilities",
                                     "schedule": crontab(hour=0, minute=20)},
        "insurance-expire-buyer-limits": {"task": "insurance.expire_buyer_limits",
                                          "schedule": crontab(hour=0, minute=25)},
        # The kept analyses of the customers' latest statements (customers.services.analysis) that are missing or
        # stale (other ratio rules, after a deployment): the peers and the re-rating read them.
        "customers-latest-analyses": {"task": "customers.refresh_latest_analyses",
                                      "schedule": crontab(hour=0, minute=40)},
        # The peers' quartiles of the ratios (customers.services.peers), read by the three-year view.
        "customers-peer-statistics": {"task": "customers.refresh_peer_statistics",
                                      "schedule": crontab(hour=0, minute=50)},
        "ratings-nightly-batch": {"task": "ratings.nightly_batch", "schedule": crontab(hour=1, minute=30)},
        "collection-daily": {"task": "collection.daily", "schedule": crontab(hour=2, minute=30)},
        # After collection's daily run, so the day's aging is in place.
        "monitoring-evaluate-daily": {"task": "monitoring.evaluate_daily", "schedule": crontab(hour=3, minute=30)},
        # The first day of each month, after the night's runs: the snapshot of the month that just ended.
        "provisions-month-end-snapshot": {"task": "provisions.take_month_end_snapshot",
                                          "schedule": crontab(day_of_month=1, hour=4, minute=30)},
        # The whole audit trail's hash chain, so that the auditor's page checks only the day's new events.
        "audit-check-chain": {"task": "audit.check_chain", "schedule": crontab(hour=5, minute=0)},
        "clear-expired-sessions": {"task": "creditportal.clear_expired_sessions", "schedule": 24 * 60 * 60},
        "purge-outbox-and-keys": {"task": "creditportal.purge_outbox_and_keys", "schedule": 24 * 60 * 60},
    }


@app.on_after_configure.connect
def _install_beat_schedule(sender, **kwargs):
    from django.conf import settings

    sender.conf.beat_schedule = beat_schedule(settings.OUTBOX_RELAY_INTERVAL,
                                              settings.DASHBOARD_SNAPSHOT_REFRESH_SECONDS)


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


# --- Operations: logs, request ids, metrics -----------------------------------------------------------------

@setup_logging.connect
def _django_logging(**kwargs):
    """The worker and beat log with Django's LOGGING (JSON lines with the request id), like the web processes."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@before_task_publish.connect
def _carry_request_id(headers=None, **kwargs):
    """The id of the request (or task) that sends a message goes with it (the outbox binds the row's id)."""
    from creditportal.core.request_context import TASK_HEADER, request_id

    current = request_id()
    if headers is not None and current and not headers.get(TASK_HEADER):
        headers[TASK_HEADER] = current


def _message_request_id(task):
    from creditportal.core.request_context import TASK_HEADER

    request = task.request
    return getattr(request, TASK_HEADER, None) or (getattr(request, "headers", None) or {}).get(TASK_HEADER)


_running: dict = {}  # task id → (started, request-id token) while the task runs in this process
_failed: set = set()  # task ids that raised, until their postrun
_PERIODIC = {entry["task"] for entry in beat_schedule(10).values()}
task_log = logging.getLogger("creditportal.tasks")


@task_prerun.connect
def _task_started(task_id=None, task=None, **kwargs):
    from creditportal.core import request_context

    carried = _message_request_id(task)
    if not carried and request_context.request_id() is None:
        carried = task_id  # a job beat started: its own id, for its lines and the tasks it enqueues
    # an eager task runs inside its sender's context already: keep that id when the message carries none
    token = request_context.set_request_id(carried) if carried else None
    _running[task_id] = (time.perf_counter(), token)
    task_log.info("task %s started", task.name, extra={"task_id": task_id, "task_name": task.name})


@task_failure.connect
def _task_failed(task_id=None, **kwargs):
    _failed.add(task_id)  # an eager run that raises reaches postrun without a state


@task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **kwargs):
    from creditportal.core import metrics, request_context

    started, token = _running.pop(task_id, (None, None))
    if task_id in _failed:
        _failed.discard(task_id)
        state = state or "FAILURE"
    seconds = time.perf_counter() - started if started is not None else None
    name = getattr(task, "name", "?")
    task_log.info("task %s finished: %s", name, state,
                  extra={"task_id": task_id, "task_name": name, "state": state, "seconds": seconds})
    metrics.observe_task(name, state or "UNKNOWN", seconds, periodic=name in _PERIODIC)
    if token is not None:
        request_context.reset_request_id(token)
