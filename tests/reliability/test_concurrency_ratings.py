"""Races on PostgreSQL (ratings): two re-rating batches started at once never duplicate a rating."""
import datetime as dt

import pytest

from customers.models import FinancialStatement
from ratings import services
from ratings.models import Rating, RatingBatch
from tests.ratings.conftest import (  # noqa: F401 - fixtures
    STATEMENTS, _english, approved_rating, make_customer, scored_rating, today)

from tests.threads import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _worsened(n, users, make_customer, approved_rating):
    customers = [make_customer() for _ in range(n)]
    for c in customers:
        approved_rating(c)
        FinancialStatement.objects.create(customer=c, period_end=dt.date(2026, 3, 31), period_type="interim",
                                          created_by=users["rm"], **STATEMENTS["weak"])
    return customers


def test_two_batches_started_at_once_create_no_duplicate(users, make_customer, approved_rating):
    customers = _worsened(4, users, make_customer, approved_rating)

    def start_and_run():
        batch = services.batch_start(actor=users["riskadmin"], in_worker=False)
        return services.batch_run(batch_id=batch.pk)

    results = run_at_once([start_and_run, start_and_run])
    assert any(isinstance(r, RatingBatch) for r in results), results
    proposals = Rating.objects.filter(origin="batch")
    per_customer = {}
    for r in proposals:
        per_customer[r.customer_id] = per_customer.get(r.customer_id, 0) + 1
    assert per_customer == {c.pk: 1 for c in customers}


def test_two_runs_of_one_batch_at_once_create_no_duplicate(users, make_customer, approved_rating):
    """The same batch delivered twice (a redelivered task) and run by two workers at once."""
    customers = _worsened(4, users, make_customer, approved_rating)
    batch = services.batch_start(actor=users["riskadmin"], in_worker=False)
    results = run_at_once([lambda: services.batch_run(batch_id=batch.pk, chunk_size=1) for _ in range(2)])
    assert all(isinstance(r, RatingBatch) for r in results), results
    assert sorted(Rating.objects.filter(batch=batch).values_list("customer_id", flat=True)) == sorted(
        c.pk for c in customers)
