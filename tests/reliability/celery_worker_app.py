"""The project's Celery app for the worker-kill test, with settings that make recovery quick and deterministic:

* a short visibility timeout, so a killed worker's unacknowledged task is delivered again within seconds;
* kombu's sweep for such tasks every second and on every call. kombu's defaults (``unacked_restore_interval``
  10 s, ``unacked_restore_throttle`` 10) scan Redis only on the first call and then every ~100 s: when the
  restarted worker's first scan came before the killed task was older than the visibility timeout, the task
  came back only after ~100 s — the cause of this test's earlier flakiness;
* a slowed-down re-rating batch (one customer per chunk, a pause per chunk) so the test can kill the worker in
  the middle of it.

Used only by ``test_worker_faults.py``."""
import os
import time

from celery.signals import task_prerun

from config.celery import app

app.conf.broker_transport_options = {
    "visibility_timeout": int(os.environ.get("TEST_VISIBILITY_TIMEOUT", "5")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
_patched = {}


@task_prerun.connect
def _slow_batch(**kwargs):
    if _patched:
        return
    from ratings import selectors
    from ratings.services import batch as services

    selectors.BATCH_CHUNK = 1
    original = services._rate_customers
    pause = float(os.environ.get("TEST_CHUNK_PAUSE", "0.7"))

    def slow_rate(*args, **kw):
        time.sleep(pause)
        return original(*args, **kw)

    services._rate_customers = slow_rate
    _patched["done"] = True
