"""The batch fanned out in chunks: a chunk delivered twice counts once and creates nothing twice, chunks may run
in any order and the batch finishes exactly once, the queries per chunk do not grow with its size, one
downgrade event per chunk still raises the monitoring alerts, and the behaviour window's dates are not a change."""
import datetime as dt
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from customers.models import FinancialStatement
from ratings import selectors, services
from ratings.models import BatchStatus, Rating, RatingBatch, RatingBatchChunk, RatingState

from .conftest import STATEMENTS

pytestmark = pytest.mark.django_db


def _rated(n, make_customer, approved_rating, users, *, worsen=True):
    customers = [make_customer() for _ in range(n)]
    for customer in customers:
        approved_rating(customer)
        if worsen:
            FinancialStatement.objects.create(customer=customer, period_end=dt.date(2026, 3, 31),
                                              period_type="interim", created_by=users["rm"], **STATEMENTS["weak"])
    return customers


def _split(users, chunk_size, django_capture_on_commit_callbacks):
    """Start a batch and split it as the worker does, without running (or sending) the chunks."""
    batch = services.batch_start(actor=users["riskadmin"], in_worker=False)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.batch_run(batch_id=batch.pk, chunk_size=chunk_size, in_worker=True)
    assert len(callbacks) == 1  # one send of the whole group of chunk tasks
    return RatingBatch.objects.get(pk=batch.pk)


def _counters(batch):
    batch.refresh_from_db()
    return (batch.status, batch.total, batch.processed, batch.changed, batch.proposed, batch.downgrades,
            batch.error_count, batch.chunks_done, batch.chunk_count)


def test_a_redelivered_chunk_creates_and_counts_nothing_twice(users, make_customer, approved_rating,
                                                              django_capture_on_commit_callbacks):
    customers = _rated(4, make_customer, approved_rating, users)
    batch = _split(users, 2, django_capture_on_commit_callbacks)
    assert batch.status == BatchStatus.RUNNING and batch.chunk_count == 2 and batch.total == 4

    assert services.batch_chunk_run(batch_id=batch.pk, index=0) is True
    after_first = _counters(batch)
    ratings_after_first = set(Rating.objects.filter(batch=batch).values_list("pk", flat=True))
    audits_after_first = AuditEvent.objects.filter(verb="batch_proposal").count()
    assert after_first[2] == 2 and after_first[4] == 2 and len(ratings_after_first) == 2

    assert services.batch_chunk_run(batch_id=batch.pk, index=0) is False  # delivered again
    assert _counters(batch) == after_first
    assert set(Rating.objects.filter(batch=batch).values_list("pk", flat=True)) == ratings_after_first
    assert AuditEvent.objects.filter(verb="batch_proposal").count() == audits_after_first

    # The batch task delivered again: it neither resets the counters nor splits the customers again,
    # it only runs (here in-process) the chunk that is not done yet.
    services.batch_run(batch_id=batch.pk)
    status, total, processed, changed, proposed, downgrades, errors, done, count = _counters(batch)
    assert (status, total, processed, changed, proposed, downgrades, errors) == (BatchStatus.FINISHED, 4, 4, 4, 4, 4, 0)
    assert done == count == 2 and RatingBatchChunk.objects.filter(batch=batch).count() == 2
    assert sorted(Rating.objects.filter(batch=batch).values_list("customer_id", flat=True)) == \
        sorted(c.pk for c in customers)


def test_chunks_in_any_order_finish_the_batch_once_with_correct_counters(users, make_customer, approved_rating,
                                                                         django_capture_on_commit_callbacks):
    customers = _rated(5, make_customer, approved_rating, users)
    _rated(2, make_customer, approved_rating, users, worsen=False)  # unchanged: counted, not changed
    batch = _split(users, 1, django_capture_on_commit_callbacks)
    order = list(range(batch.chunk_count))
    random.Random(7).shuffle(order)
    assert order != sorted(order)
    for n, index in enumerate(order):
        assert services.batch_chunk_run(batch_id=batch.pk, index=index) is True
        batch.refresh_from_db()
        if n < len(order) - 1:
            assert batch.status == BatchStatus.RUNNING and batch.finished_at is None
    assert _counters(batch) == (BatchStatus.FINISHED, 7, 7, 5, 5, 5, 0, 7, 7)
    assert AuditEvent.objects.filter(object_type="ratings.ratingbatch", object_id=str(batch.pk),
                                     verb="batch_finished").count() == 1
    for index in order:  # every chunk delivered once more after the end: nothing changes
        assert services.batch_chunk_run(batch_id=batch.pk, index=index) is False
    assert _counters(batch) == (BatchStatus.FINISHED, 7, 7, 5, 5, 5, 0, 7, 7)
    assert AuditEvent.objects.filter(verb="batch_finished", object_id=str(batch.pk)).count() == 1
    assert {r.customer_id for r in Rating.objects.filter(batch=batch)} == {c.pk for c in customers}


def test_queries_per_chunk_do_not_grow_with_its_size(users, make_customer, approved_rating,
                                                     django_capture_on_commit_callbacks,
                                                     django_assert_max_num_queries):
    _rated(3, make_customer, approved_rating, users)
    batch = _split(users, 3, django_capture_on_commit_callbacks)
    with CaptureQueriesContext(connection) as small:
        services.batch_chunk_run(batch_id=batch.pk, index=0)
    assert RatingBatch.objects.get(pk=batch.pk).proposed == 3

    # 18 customers with a current rating, 15 changed (15 × 8 experts' scores carried: one INSERT on SQLite too)
    _rated(15, make_customer, approved_rating, users)
    batch = _split(users, 30, django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(len(small)):  # 5× the proposals, not one query more
        services.batch_chunk_run(batch_id=batch.pk, index=0)
    assert RatingBatch.objects.get(pk=batch.pk).proposed == 15
    # the outbox row, the experts' carried scores, the INPUT_SOURCES (coverage, outside) and the chunk's own read of its
    # customers' payment behaviour (invoices with their allocations, claims) included
    assert len(small) <= 42


def test_the_celery_task_fans_out_and_finishes(users, make_customer, approved_rating,
                                               django_capture_on_commit_callbacks, monkeypatch):
    """Through the tasks (eager in tests): the batch task sends one task per chunk, they finish the batch."""
    from ratings import tasks

    _rated(5, make_customer, approved_rating, users)
    sent = []
    original = tasks.run_rating_chunk.run
    monkeypatch.setattr(tasks.run_rating_chunk, "run", lambda *a, **kw: sent.append(a) or original(*a, **kw))
    monkeypatch.setattr(selectors, "BATCH_CHUNK", 2)
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.batch_start(actor=users["riskadmin"])
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FINISHED and batch.processed == batch.total == 5 and batch.proposed == 5
    assert sorted(index for _batch, index in sent) == [0, 1, 2]


def test_downgrade_alerts_are_raised_with_one_task_per_chunk(users, make_customer, approved_rating,
                                                             django_capture_on_commit_callbacks, monkeypatch):
    """monitoring subscribes to the chunk's ``ratings.downgrades_proposed``: one evaluation task for the chunk's
    downgraded customers, and each of them gets the "downgrade proposed" alert."""
    from monitoring import tasks as monitoring_tasks
    from monitoring.models import Alert

    downgraded = _rated(3, make_customer, approved_rating, users)
    steady = _rated(1, make_customer, approved_rating, users, worsen=False)
    calls = []
    original = monitoring_tasks.evaluate_customers.run
    monkeypatch.setattr(monitoring_tasks.evaluate_customers, "run",
                        lambda customer_ids: calls.append(sorted(customer_ids)) or original(customer_ids))
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.batch_start(actor=users["riskadmin"], in_worker=False)
        services.batch_run(batch_id=batch.pk)
    assert calls == [sorted(c.pk for c in downgraded)]
    alerted = set(Alert.objects.filter(rule__code="downgrade-proposed").values_list("customer_id", flat=True))
    assert alerted == {c.pk for c in downgraded}
    assert steady[0].pk not in alerted


def test_the_quantitative_hash_ignores_the_behaviour_window_but_not_the_facts(users, make_customer):
    customer = make_customer()
    today = dt.date(2026, 6, 30)
    first = selectors.gather_inputs([customer], on_date=today)[customer.pk]
    later = selectors.gather_inputs([customer], on_date=today + dt.timedelta(days=1))[customer.pk]
    assert first["behaviour"]["window"] != later["behaviour"]["window"]
    assert selectors.quantitative_hash(first) == selectors.quantitative_hash(later)
    moved = {**first, "behaviour": {**first["behaviour"], "net_collection": "E"}}
    assert selectors.quantitative_hash(moved) != selectors.quantitative_hash(first)
    assert selectors.quantitative_hash({**first, "as_of": "2030-01-01", "expert_scores": {"x": ["5"]}}) == \
        selectors.quantitative_hash(first)


def test_only_the_system_run_may_rate_chunks(users, make_customer, approved_rating,
                                             django_capture_on_commit_callbacks):
    """The chunk service acts as the system user; an analyst cannot start the batch it belongs to."""
    from django.core.exceptions import PermissionDenied

    _rated(1, make_customer, approved_rating, users)
    with pytest.raises(PermissionDenied):
        services.batch_start(actor=users["analyst"], in_worker=False)
    assert not RatingBatch.objects.exists() and not RatingBatchChunk.objects.exists()
    assert not Rating.objects.filter(state=RatingState.PROPOSED).exists()


def test_gather_inputs_gives_each_customer_its_own_facts_across_internal_chunks(users, make_customer, monkeypatch):
    """More customers than one internal chunk, with the facts read here or handed in (as the batch does): every
    customer gets its own payment facts, the same as when asked alone, as plain JSON types."""
    from creditportal.core.canonical import jsonable
    from ratings import providers

    from .fakes import FakeRows, invoice

    customers = [make_customer() for _ in range(5)]
    late_days = {c.pk: 3 * n for n, c in enumerate(customers)}
    paid_on = {n: (dt.date(2026, 3, 1) + dt.timedelta(days=n)).isoformat() for n in late_days.values()}
    fake = FakeRows({i: ([invoice(i, "2026-03-01", "1000.00", (paid_on[n], "1000.00"))], [])
                     for i, n in late_days.items()})
    previous = providers.PAYMENT_BEHAVIOUR.get()
    providers.PAYMENT_BEHAVIOUR.provide(fake)
    try:
        today = dt.date(2026, 6, 30)
        alone = {c.pk: selectors.gather_inputs([c], on_date=today)[c.pk] for c in customers}
        monkeypatch.setattr(selectors, "CHUNK", 2)
        read_here = selectors.gather_inputs(customers, on_date=today)
        window = selectors.behaviour_window(today)
        handed_in = selectors.gather_inputs(customers, on_date=today, behaviour={
            selectors.window_key(window): providers.behaviour_facts_for(None, window)})
    finally:
        providers.PAYMENT_BEHAVIOUR.provide(previous)
    assert read_here == alone == handed_in
    assert [read_here[c.pk]["behaviour"]["max_days_late"] for c in customers] == [0, 3, 6, 9, 12]
    assert jsonable(list(read_here.values())) == list(read_here.values())  # plain JSON types already
