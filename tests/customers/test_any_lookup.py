"""``field__any``: the same rows as ``__in``, with the list sent as one parameter on PostgreSQL."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer, FinancialStatement


def test_any_selects_what_in_selects(make_customer):
    customers = [make_customer() for _ in range(4)]
    wanted = [customers[0].pk, customers[2].pk, 10 ** 9]  # one id that does not exist
    assert (sorted(Customer.objects.filter(pk__any=wanted).values_list("pk", flat=True))
            == sorted(Customer.objects.filter(pk__in=wanted).values_list("pk", flat=True))
            == [customers[0].pk, customers[2].pk])
    assert not Customer.objects.filter(pk__any=[]).exists()
    # through a relation (ForeignObject keeps its own lookups) and by the column of the key
    assert (FinancialStatement.objects.filter(customer__any=wanted).count()
            == FinancialStatement.objects.filter(customer_id__any=wanted).count()
            == FinancialStatement.objects.filter(customer_id__in=wanted).count())
    assert Customer.objects.exclude(pk__any=wanted).count() == 2


@pytest.mark.postgres
def test_any_sends_one_parameter_whatever_the_length(make_customer):
    make_customer()
    ids = list(range(1, 3001))
    with CaptureQueriesContext(connection) as queries:
        list(Customer.objects.filter(pk__any=ids).values_list("pk", flat=True))
    sql = queries.captured_queries[0]["sql"]
    assert "= ANY(" in sql and " IN (" not in sql  # one array, not 3,000 placeholders
