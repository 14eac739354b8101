"""The main lists' queries do not grow with their rows (issue 21: pickers, saved filters and the column chooser
included): a page of 30 rows costs what a page of 3 does, with a customer picker and saved settings in use."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from credit.models import Facility
from tests import factories

pytestmark = pytest.mark.django_db


def _queries(client, url, params):
    client.get(url, params)  # warm the per-process caches (permissions, content types)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


def _customers(users, start, count):
    return [factories.customer(name=f"客户{n}", registration_number=f"Q{n}", relationship_manager=users["rm"])
            for n in range(start, start + count)]


@pytest.mark.parametrize("url_name,user,build", [
    ("customers:customer_list", "analyst", "customers"),
    ("collection:invoice_list", "collector", "invoices"),
    ("credit:facility_list", "analyst", "facilities"),
])
def test_list_queries_do_not_grow_with_rows(url_name, user, build, users, client_for):
    client = client_for(users[user])
    url = reverse(url_name)
    first = _customers(users, 0, 1)[0]

    def add(start, count):
        customers = _customers(users, start, count)
        for n, customer in enumerate(customers, start=start):
            if build == "invoices":
                factories.invoice(first, D("100"), number=f"INV-{n}", due=dt.date(2026, 6, 1), created_by=users["rm"])
            elif build == "facilities":
                Facility.objects.create(customer=customer, limit=D("1000"), currency="CNY",
                                        start_date=dt.date(2026, 1, 1), expiry_date=dt.date(2026, 12, 31))

    params = {"customer": first.pk} if build == "invoices" else {}
    client.post(url, {"list_action": "save_filter", "name": "mine", "query": "page_size=50"})
    add(1, 3)
    few = _queries(client, url, params)
    add(10, 27)
    many = _queries(client, url, params)
    assert many == few, (url_name, few, many)
