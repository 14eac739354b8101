"""Finding 12: a worker killed in the middle of a re-rating batch no longer leaves it "running" for two hours.
A batch whose chunks stop progressing is resumed (its missing chunks sent again, idempotently) or failed within
minutes, from beat and from the run-now button, which says what it did."""
import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from audit.models import AuditEvent
from creditportal.core import clock
from creditportal.core.errors import Conflict
from creditportal.models import OutboxMessage
from customers.models import FinancialStatement
from ratings import services, tasks
from ratings.models import BatchStatus, Rating, RatingBatch

from .conftest import STATEMENTS

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 6, 30, 2, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(autouse=True)
def _stall_settings(settings):
    settings.RATING_BATCH_STALL_SECONDS = 300
    settings.RATING_BATCH_MAX_RESUMES = 2
    clock.set_instant(T0)


def at(minutes):
    clock.set_instant(T0 + dt.timedelta(minutes=minutes))


def _rated(n, make_customer, approved_rating, users):
    customers = [make_customer() for _ in range(n)]
    for customer in customers:
        approved_rating(customer)
        FinancialStatement.objects.create(customer=customer, period_end=dt.date(2026, 3, 31), period_type="interim",
                                          created_by=users["rm"], **STATEMENTS["weak"])
    return customers


def _sent_to_the_broker():
    """The broker took every task the outbox held (then the worker holding one was killed)."""
    OutboxMessage.objects.filter(sent_at__isnull=True).update(sent_at=clock.instant())


def _chunks_sent_again():
    return sorted(args[1] for args in OutboxMessage.objects.filter(sent_at__isnull=True, task="ratings.run_rating_chunk")
                  .values_list("args", flat=True))


@pytest.fixture
def running_batch(users, make_customer, approved_rating):
    """A batch of three chunks: chunk 0 done, chunks 1 and 2 lost with a killed worker."""
    _rated(6, make_customer, approved_rating, users)
    OutboxMessage.objects.all().delete()
    batch = services.batch_start(actor=users["riskadmin"], in_worker=False)
    services.batch_run(batch_id=batch.pk, chunk_size=2, in_worker=True)  # the split; chunk tasks in the outbox
    _sent_to_the_broker()
    at(1)
    assert services.batch_chunk_run(batch_id=batch.pk, index=0) is True
    batch.refresh_from_db()
    assert batch.status == BatchStatus.RUNNING and batch.chunks_done == 1 and batch.heartbeat_at == T0 + dt.timedelta(minutes=1)
    return batch


def test_a_batch_with_no_progress_for_minutes_is_resumed_once_and_then_finishes(users, running_batch):
    batch = running_batch
    at(5)  # four minutes since the last chunk: still within the window
    assert services.batch_check_stalled() == []
    at(7)
    [outcome] = services.batch_check_stalled()
    assert (outcome.outcome, outcome.batch.pk, outcome.chunks) == ("resumed", batch.pk, [1, 2])
    assert _chunks_sent_again() == [1, 2]
    batch.refresh_from_db()
    assert batch.status == BatchStatus.RUNNING and batch.stall_resumes == 1 and batch.heartbeat_at == clock.instant()
    assert AuditEvent.objects.filter(verb="batch_resumed", object_id=str(batch.pk)).count() == 1
    assert services.batch_check_stalled() == []  # idempotent: a second check (the button, a second beat) waits
    at(9)
    assert services.batch_check_stalled() == []  # the resent tasks are queued, not yet due again
    # the resent chunks run; the first copy, delivered again by Redis hours later, does nothing
    for index in (1, 2):
        assert services.batch_chunk_run(batch_id=batch.pk, index=index) is True
        assert services.batch_chunk_run(batch_id=batch.pk, index=index) is False
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FINISHED and batch.chunks_done == 3 and batch.processed == 6
    assert batch.stall_resumes == 0
    assert Rating.objects.filter(batch=batch).count() == batch.proposed
    at(60)
    assert services.batch_check_stalled() == []


def test_a_batch_that_stays_stalled_is_failed_and_a_new_one_may_start(users, running_batch):
    batch = running_batch
    at(7)
    assert [o.outcome for o in services.batch_check_stalled()] == ["resumed"]
    _sent_to_the_broker()  # and lost again
    at(13)
    assert [o.outcome for o in services.batch_check_stalled()] == ["resumed"]
    _sent_to_the_broker()
    at(19)  # two resumes (RATING_BATCH_MAX_RESUMES) and still no chunk finished
    [outcome] = services.batch_check_stalled()
    assert outcome.outcome == "failed" and outcome.chunks == [1, 2]
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED and batch.finished_at is not None
    assert "stalled" in batch.errors[-1]["error"]
    assert AuditEvent.objects.filter(verb="batch_stalled_failed", object_id=str(batch.pk)).count() == 1
    assert services.batch_chunk_run(batch_id=batch.pk, index=1) is False  # a late copy does nothing
    new = services.batch_start(actor=users["riskadmin"], in_worker=False)
    assert new.pk != batch.pk and new.status == BatchStatus.QUEUED


def test_the_broker_being_down_is_not_a_stall(users, running_batch):
    """Chunk tasks still waiting in the outbox: the worker is not to blame, nothing is resent or failed."""
    batch = running_batch
    services._send_chunks(batch.pk, [1, 2])  # unsent rows, as with Redis unreachable
    at(60)
    assert services.batch_check_stalled() == []
    batch.refresh_from_db()
    assert batch.status == BatchStatus.RUNNING and batch.stall_resumes == 0


def test_a_queued_batch_whose_task_was_lost_is_sent_again(users, make_customer, approved_rating):
    _rated(2, make_customer, approved_rating, users)
    batch = services.batch_start(actor=users["riskadmin"])  # run_rating_batch in the outbox
    _sent_to_the_broker()
    at(6)
    [outcome] = services.batch_check_stalled()
    assert outcome.outcome == "resumed" and outcome.batch.pk == batch.pk
    assert list(OutboxMessage.objects.filter(sent_at__isnull=True).values_list("task", "args")) == [
        ("ratings.run_rating_batch", [batch.pk])]
    services.batch_run(batch_id=batch.pk, chunk_size=1, in_worker=False)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FINISHED


def test_beat_checks_for_stalled_batches(users, running_batch):
    from config.celery import app

    assert any(entry["task"] == tasks.STALL_TASK and entry["schedule"] <= 60
               for entry in app.conf.beat_schedule.values())
    at(7)
    assert tasks.check_stalled_batches() == [("resumed", running_batch.pk)]
    assert tasks.check_stalled_batches() == []


def _press(client_for, user):
    client = client_for(user)
    response = client.post(reverse("ratings:batch_list"))
    return response, [str(m) for m in get_messages(response.wsgi_request)]


def test_run_now_says_it_resumed_the_stalled_batch(users, running_batch, client_for):
    at(3)
    response, messages = _press(client_for, users["riskadmin"])
    assert response.status_code == 302
    assert any(f"Batch #{running_batch.pk} is running and progressing" in m for m in messages), messages
    at(7)
    response, messages = _press(client_for, users["riskadmin"])
    assert response.url == reverse("ratings:batch_detail", args=[running_batch.pk])
    assert messages[-1] == (f"Batch #{running_batch.pk} had stalled (no progress for 5 minutes): resumed, its "
                            "unfinished chunks were sent again.")
    assert _chunks_sent_again() == [1, 2]
    assert RatingBatch.objects.count() == 1


def test_run_now_says_it_failed_the_stalled_batch_and_started_a_new_one(users, running_batch, client_for):
    for minutes in (7, 13):
        at(minutes)
        assert services.batch_check_stalled()
        _sent_to_the_broker()
    at(19)
    response, messages = _press(client_for, users["riskadmin"])
    new = RatingBatch.objects.exclude(pk=running_batch.pk).get()
    assert response.url == reverse("ratings:batch_detail", args=[new.pk])
    assert messages == [f"Batch #{running_batch.pk} had stalled and was marked failed. Started a new batch #{new.pk}."]
    page = client_for(users["riskadmin"]).get(reverse("ratings:batch_detail", args=[running_batch.pk]))
    assert "resumed 2 times after stalling" in page.content.decode()


def test_run_now_with_nothing_running_starts_a_batch_and_others_are_refused(users, client_for):
    response, messages = _press(client_for, users["riskadmin"])
    batch = RatingBatch.objects.get()
    assert messages == [f"Started a new batch #{batch.pk}."]
    assert client_for(users["rm"]).post(reverse("ratings:batch_list")).status_code == 403
    with pytest.raises(Conflict):
        services.batch_run_now(actor=users["riskadmin"])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_chunk_being_rated_right_now_is_not_a_stall(users, make_customer, approved_rating, monkeypatch):
    """A long chunk holds its row lock while it runs: the batch is working, whatever its heartbeat says."""
    import threading

    from celery.app.task import Task
    from django.db import connection, transaction

    from ratings.models import RatingBatchChunk

    monkeypatch.setattr(Task, "apply_async", lambda self, *a, **kw: None)  # the broker takes the chunks
    _rated(4, make_customer, approved_rating, users)
    batch = services.batch_start(actor=users["riskadmin"], in_worker=False)
    services.batch_run(batch_id=batch.pk, chunk_size=2, in_worker=True)
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    held, release = threading.Event(), threading.Event()

    def worker_rating_chunk_1():
        with transaction.atomic():
            RatingBatchChunk.objects.select_for_update().get(batch_id=batch.pk, index=1)
            held.set()
            release.wait(20)
        connection.close()

    thread = threading.Thread(target=worker_rating_chunk_1)
    thread.start()
    try:
        assert held.wait(20)
        at(30)
        assert services.batch_check_stalled() == []
    finally:
        release.set()
        thread.join()
    [outcome] = services.batch_check_stalled()  # the worker died without finishing it
    assert outcome.outcome == "resumed" and outcome.chunks == [0, 1]
