"""The nightly re-rating batch: set-wise query counts, proposals where the grade changes, idempotency."""
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import FinancialStatement
from ratings import selectors, services
from ratings.models import BatchStatus, Rating, RatingBatch, RatingState

from .conftest import STATEMENTS

pytestmark = pytest.mark.django_db


def _rated_customers(n, make_customer, approved_rating):
    customers = [make_customer() for _ in range(n)]
    for customer in customers:
        approved_rating(customer)
    return customers


def _worsen(customers, users):
    for customer in customers:
        FinancialStatement.objects.create(customer=customer, period_end=dt.date(2026, 3, 31), period_type="interim",
                                          created_by=users["rm"], **STATEMENTS["weak"])


def _run(users, **kwargs):
    batch = services.batch_start(actor=users["riskadmin"], in_worker=False)
    return services.batch_run(batch_id=batch.pk, **kwargs)


def test_batch_proposes_where_the_grade_changes_and_publishes_downgrades(users, make_customer, approved_rating,
                                                                         django_capture_on_commit_callbacks,
                                                                         monkeypatch):
    from collections import defaultdict

    from creditportal.core import events

    monkeypatch.setattr(events, "_subscribers", defaultdict(list))  # only this test's handler
    received = []
    events.subscribe("ratings.downgrades_proposed", lambda **payload: received.append(payload))
    customers = _rated_customers(3, make_customer, approved_rating)
    _worsen(customers[:2], users)
    with django_capture_on_commit_callbacks(execute=True):
        batch = _run(users)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FINISHED and batch.total == 3 and batch.processed == 3
    assert batch.changed == 2 and batch.proposed == 2 and batch.downgrades == 2 and batch.error_count == 0
    proposals = Rating.objects.filter(state=RatingState.PROPOSED)
    assert {r.customer_id for r in proposals} == {c.pk for c in customers[:2]}
    system = proposals[0].created_by
    assert system.username == "system" and proposals[0].origin == "batch"
    assert len(received) == 1  # one event for the chunk, not one per customer
    assert set(received[0]["customer_ids"]) == {c.pk for c in customers[:2]}
    assert set(received[0]["rating_ids"]) == {r.pk for r in proposals}
    # proposals are listed in the analysts' work queue
    assert {r.pk for r in selectors.work_queue_for(users["analyst"])["proposed"]} == {r.pk for r in proposals}


def test_second_run_creates_nothing_new(users, make_customer, approved_rating):
    customers = _rated_customers(2, make_customer, approved_rating)
    _worsen(customers, users)
    _run(users)
    assert Rating.objects.filter(state=RatingState.PROPOSED).count() == 2
    second = _run(users)
    assert second.proposed == 0
    assert Rating.objects.filter(state=RatingState.PROPOSED).count() == 2
    # even after the proposals are dismissed, the same inputs are not proposed again
    for r in Rating.objects.filter(state=RatingState.PROPOSED):
        services.rating_reject(actor=users["analyst"], rating=r, reason="Known, interim figures")
    assert _run(users).proposed == 0
    # re-running a finished batch does nothing
    batch = RatingBatch.objects.order_by("pk").first()
    services.batch_run(batch_id=batch.pk)
    assert Rating.objects.count() == 4


def test_unchanged_inputs_propose_nothing(users, make_customer, approved_rating):
    _rated_customers(2, make_customer, approved_rating)
    batch = _run(users)
    assert batch.changed == 0 and batch.proposed == 0


def test_batch_query_count_does_not_grow_with_customers(users, make_customer, approved_rating,
                                                        django_assert_max_num_queries):
    few = _rated_customers(5, make_customer, approved_rating)
    _worsen(few, users)
    batch = services.batch_start(actor=users["riskadmin"], in_worker=False)
    with CaptureQueriesContext(connection) as small:
        services.batch_run(batch_id=batch.pk)
    assert Rating.objects.filter(state=RatingState.PROPOSED).count() == 5

    # 17 customers with a current rating, 12 changed: 3× the proposals; 12 × 8 experts' scores carried stay in one
    # INSERT on SQLite too (999 parameters a statement), so both sides run the same statements
    many = _rated_customers(12, make_customer, approved_rating)
    _worsen(many, users)
    batch = services.batch_start(actor=users["riskadmin"], in_worker=False)
    with django_assert_max_num_queries(len(small)):  # 3× the customers, not one query more
        services.batch_run(batch_id=batch.pk)
    assert Rating.objects.filter(state=RatingState.PROPOSED).count() == 17
    assert len(small) < 62  # split, one chunk (the outbox row, the experts' carried scores and the two input sources, coverage and outside, included) (see test_batch_chunks for the per-chunk count), finish


def test_only_one_batch_at_a_time_and_permission(users):
    from django.core.exceptions import PermissionDenied

    from creditportal.core.errors import Conflict

    services.batch_start(actor=users["riskadmin"], in_worker=False)
    with pytest.raises(Conflict):
        services.batch_start(actor=users["riskadmin"], in_worker=False)
    with pytest.raises(PermissionDenied):
        services.batch_start(actor=users["analyst"], in_worker=False)


def test_nightly_task_runs_once_per_day(users, make_customer, approved_rating, django_capture_on_commit_callbacks,
                                        today, monkeypatch):
    from collections import defaultdict

    from creditportal.core import events
    from ratings.tasks import nightly_batch

    monkeypatch.setattr(events, "_subscribers", defaultdict(list))

    _rated_customers(1, make_customer, approved_rating)
    with django_capture_on_commit_callbacks(execute=True):
        first = nightly_batch()
    assert first is not None
    assert RatingBatch.objects.get(pk=first).status == BatchStatus.FINISHED
    assert nightly_batch() is None


def test_management_command(users, make_customer, approved_rating):
    from io import StringIO

    from django.core.management import call_command

    _rated_customers(1, make_customer, approved_rating)
    out = StringIO()
    call_command("rate_batch", stdout=out)
    assert "finished" in out.getvalue()


def test_new_statement_event_proposes_a_rating(users, make_customer, approved_rating, monkeypatch,
                                               django_capture_on_commit_callbacks):
    from ratings.tasks import on_new_data

    customer = make_customer()
    approved_rating(customer)
    _worsen([customer], users)
    with django_capture_on_commit_callbacks(execute=True):  # the task leaves the outbox after the commit
        on_new_data(statement_id=1, customer_id=customer.pk)  # tasks run eagerly in tests
    proposal = Rating.objects.get(customer=customer, state=RatingState.PROPOSED)
    assert proposal.batch is None and proposal.created_by.username == "system"
    with django_capture_on_commit_callbacks(execute=True):
        on_new_data(statement_id=1, customer_id=customer.pk)  # the same data twice: nothing new
    assert Rating.objects.filter(customer=customer, state=RatingState.PROPOSED).count() == 1


def test_a_new_business_date_alone_is_not_a_change(users, make_customer, approved_rating):
    from creditportal.core import clock

    _rated_customers(2, make_customer, approved_rating)
    clock.set_today(clock.today() + dt.timedelta(days=1))
    batch = _run(users)
    assert batch.changed == 0 and batch.proposed == 0
