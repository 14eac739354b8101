"""A real Celery worker killed with SIGKILL in the middle of a re-rating batch, then restarted: every customer
is rated exactly once for that batch. The batch runs as one task per chunk; ``acks_late`` re-delivers the chunk
the killed worker held (its transaction was rolled back with the connection), a chunk's ``done_at`` and the
batch's counters commit with its proposals, and one rating per batch and customer keeps any re-run idempotent.
``celery_worker_app`` makes kombu look for the killed worker's task every second (see there for why)."""
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from audit.models import AuditEvent
from customers.models import FinancialStatement
from ratings import services
from ratings.models import BatchStatus, Rating, RatingBatch
from tests.ratings.conftest import (  # noqa: F401 - fixtures
    STATEMENTS, _english, approved_rating, make_customer, scored_rating, today)

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True),
              pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")]


def _start_worker(env, log):
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "celery"), "-A", "tests.reliability.celery_worker_app", "worker",
         "--pool=solo", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info",
         "--queues", "celery,batch"],  # the re-rating's tasks are routed to the batch queue
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _wait(predicate, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_killed_worker_mid_batch_rates_every_customer_once(users, make_customer, approved_rating, tmp_path):
    import redis

    from config.celery import app

    customers = [make_customer() for _ in range(6)]
    for c in customers:
        approved_rating(c)
        FinancialStatement.objects.create(customer=c, period_end=dt.date(2026, 3, 31), period_type="interim",
                                          created_by=users["rm"], **STATEMENTS["weak"])
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    batch = services.batch_start(actor=users["riskadmin"], in_worker=False)

    db = connection.settings_dict
    env = {**os.environ, "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
           "CELERY_TASK_ALWAYS_EAGER": "false", "PYTHONPATH": str(ROOT)}
    if db.get("PASSWORD"):
        env["DATABASE_URL"] = env["DATABASE_URL"].replace(f"{db['USER']}@", f"{db['USER']}:{db['PASSWORD']}@")
    log_path = tmp_path / "worker.log"
    workers = []

    def progress():
        return RatingBatch.objects.values_list("status", "processed").get(pk=batch.pk)

    with open(log_path, "w") as log:
        try:
            app.send_task("ratings.run_rating_batch", args=[batch.pk])
            workers.append(_start_worker(env, log))
            started = _wait(lambda: progress()[1] >= 2, timeout=60)
            assert started, log_path.read_text()[-3000:]
            assert progress()[0] == BatchStatus.RUNNING  # in the middle of the batch
            os.killpg(workers[0].pid, signal.SIGKILL)
            workers[0].wait(timeout=10)
            assert progress()[0] == BatchStatus.RUNNING
            workers.append(_start_worker(env, log))
            finished = _wait(lambda: progress()[0] == BatchStatus.FINISHED, timeout=90)
            assert finished, log_path.read_text()[-3000:]
        finally:
            for w in workers:
                if w.poll() is None:
                    os.killpg(w.pid, signal.SIGTERM)
                    try:
                        w.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        os.killpg(w.pid, signal.SIGKILL)
                        w.wait(timeout=10)
    rated = list(Rating.objects.filter(batch=batch).values_list("customer_id", flat=True))
    assert sorted(rated) == sorted(c.pk for c in customers)  # each exactly once, none lost
    batch.refresh_from_db()
    assert batch.processed == batch.total == 6
    assert batch.proposed == 6 and batch.chunks_done == batch.chunk_count == 6
    assert AuditEvent.objects.filter(verb="batch_finished", object_id=str(batch.pk)).count() == 1
