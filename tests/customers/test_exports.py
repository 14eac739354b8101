"""Customer and group lists: export follows the filter, the sort and the user's portfolio."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.exports import column, export

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_customer_export_scoped_filtered_sorted(client, users, make_customer, fmt):
    a = make_customer(name="甲公司", size="small")
    b = make_customer(name="乙公司", size="large")
    make_customer(name="丙公司", manager=users["rm2"])
    client.force_login(users["rm"])
    url = reverse("customers:customer_list")
    rows = export(client, url, fmt, sort="-name")
    names = column(rows, "Name")
    assert set(names) == {a.name, b.name}, "an RM exports only the own portfolio"
    assert names == sorted(names, reverse=True)
    assert column(rows, "Manager") == ["rm", "rm"]
    rows = export(client, url, fmt, size="large")
    assert column(rows, "Name") == [b.name] and column(rows, "Size") == ["Large"]
    client.force_login(users["analyst"])
    assert len(export(client, url, fmt)) - 1 == 3


def test_customer_export_query_count_flat(client, users, make_customer):
    client.force_login(users["analyst"])
    url = reverse("customers:customer_list")

    def measure():
        export(client, url, "xlsx")  # warm: the user's permission set is cached after the first request
        with CaptureQueriesContext(connection) as ctx:
            rows = export(client, url, "xlsx")
        return len(ctx.captured_queries), len(rows) - 1

    for _ in range(5):
        make_customer()
    small, n = measure()
    assert n == 5
    for _ in range(45):
        make_customer()
    large, n = measure()
    assert n == 50 and large == small


def test_legacy_ordering_parameter_still_sorts_the_page(client, users, make_customer):
    make_customer(name="B公司")
    make_customer(name="A公司")
    client.force_login(users["analyst"])
    page = client.get(reverse("customers:customer_list"), {"ordering": "-name"}).content.decode()
    assert page.index("B公司") < page.index("A公司")
