"""The project's Celery app for the worker-kill test: a short visibility timeout (so a killed worker's task is
re-delivered within seconds, not hours) and a slowed-down re-rating batch (one customer per chunk, a pause per
chunk) so the test can kill the worker in the middle of it. Used only by ``test_worker_faults.py``."""
import os
import time

from celery.signals import task_prerun

from creditportal.celery import app

app.conf.broker_transport_options = {"visibility_timeout": int(os.environ.get("TEST_VISIBILITY_TIMEOUT", "3"))}
_patched = {}


@task_prerun.connect
def _slow_batch(**kwargs):
    if _patched:
        return
    from ratings import selectors, services

    selectors.CHUNK = 1
    original = services._batch_chunk
    pause = float(os.environ.get("TEST_CHUNK_PAUSE", "0.7"))

    def slow_chunk(*args, **kw):
        time.sleep(pause)
        return original(*args, **kw)

    services._batch_chunk = slow_chunk
    _patched["done"] = True
