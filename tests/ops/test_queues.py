"""Issue 25, queues: batch work is routed to the "batch" queue, interactive follow-ups to the default queue, by
task name, and the outbox's sends (at once after the commit, and by the relay) honour the routes."""
import pytest
from django.conf import settings
from django.db import transaction

from config.celery import app
from creditportal.core.request_context import TASK_HEADER, bound_request_id
from creditportal.core.tasks import enqueue, relay_outbox
from creditportal.models import OutboxMessage
from ratings import tasks as rating_tasks


def _queue(name):
    return app.amqp.router.route({}, name)["queue"].name


def test_every_batch_task_goes_to_the_batch_queue():
    assert settings.BATCH_QUEUE == "batch"
    for name in settings.BATCH_TASKS:
        assert _queue(name) == "batch", name


def test_interactive_tasks_go_to_the_default_queue():
    for name in settings.INTERACTIVE_TASKS:
        assert _queue(name) == settings.CELERY_TASK_DEFAULT_QUEUE == "celery", name


def test_every_registered_task_has_a_queue_decision():
    """A new task must be listed as batch or interactive (settings.BATCH_TASKS / INTERACTIVE_TASKS)."""
    app.loader.import_default_modules()
    names = {name for name, task in app.tasks.items()
             if not name.startswith("celery.") and not task.__module__.startswith("tests.")}
    batch, interactive = set(settings.BATCH_TASKS), set(settings.INTERACTIVE_TASKS)
    assert not batch & interactive
    assert names - batch - interactive == set()
    assert (batch | interactive) - names == set(), "listed but no such task"


def test_the_night_jobs_of_the_beat_schedule_are_batch_work():
    schedule = {entry["task"] for entry in app.conf.beat_schedule.values()}
    for name in ["ratings.nightly_batch", "collection.daily", "monitoring.evaluate_daily",
                 "provisions.take_month_end_snapshot", "credit.tasks.expire_facilities"]:
        assert name in schedule and _queue(name) == "batch"
    assert _queue("creditportal.relay_outbox") == "celery"  # the relay never waits behind a batch


@pytest.mark.django_db
def test_the_outbox_sends_each_task_to_its_queue(published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic(), bound_request_id("req-queue-0001"):
            enqueue(rating_tasks.run_rating_batch, 1)
            enqueue(rating_tasks.recheck_customer, 2)
    assert published.queue_of("ratings.run_rating_batch") == ["batch"]
    assert published.queue_of("ratings.recheck_customer") == ["celery"]
    assert all(headers[TASK_HEADER] == "req-queue-0001" for _, _, headers in published.messages)
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.django_db
def test_the_relay_sends_each_task_to_its_queue_with_the_writers_request_id(published, monkeypatch):
    from creditportal.core import tasks as outbox

    monkeypatch.setattr(outbox._Publication, "send", lambda self: None)  # the broker was down at the commit
    with bound_request_id("req-relay-0002"):
        with transaction.atomic():
            enqueue(rating_tasks.run_rating_chunk, 1, 0)
            enqueue(rating_tasks.recheck_customer, 3)
    OutboxMessage.objects.update(next_attempt_at=OutboxMessage.objects.first().created_at)
    assert OutboxMessage.objects.filter(request_id="req-relay-0002").count() == 2
    result = relay_outbox()  # in the worker: no request of its own
    assert result["sent"] == 2
    assert published.queue_of("ratings.run_rating_chunk") == ["batch"]
    assert published.queue_of("ratings.recheck_customer") == ["celery"]
    assert {headers[TASK_HEADER] for _, _, headers in published.messages} == {"req-relay-0002"}


@pytest.mark.django_db
def test_the_relay_does_not_lend_its_own_id_to_a_row_no_request_wrote(published, monkeypatch):
    from creditportal.core import tasks as outbox

    monkeypatch.setattr(outbox._Publication, "send", lambda self: None)
    with transaction.atomic():
        enqueue(rating_tasks.recheck_customer, 4)  # a management command: no request
    OutboxMessage.objects.update(next_attempt_at=OutboxMessage.objects.first().created_at)
    with bound_request_id("relay-task-own-id"):  # the relay task runs under its own id
        assert relay_outbox()["sent"] == 1
    assert published.messages and TASK_HEADER not in published.messages[0][2]


def test_every_procfile_worker_schedules_fairly_with_one_reserved_task_per_process():
    """With late acknowledgement and one reserved message per process, Celery's default scheduling still hands a
    reserved task to a busy child: a two-process worker ran the re-rating's chunks one after the other (bench
    ``scaleout``). ``-O fair`` gives a task only to an idle child."""
    from pathlib import Path

    from django.conf import settings

    from config.celery import app

    workers = [line for line in (Path(settings.BASE_DIR) / "Procfile").read_text().splitlines()
               if " worker " in line]
    assert len(workers) == 2
    assert all(" -O fair " in line for line in workers), workers
    assert app.conf.worker_prefetch_multiplier == 1 and app.conf.task_acks_late
