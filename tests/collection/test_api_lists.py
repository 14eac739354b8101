"""The big lists' pagination (creditportal.core.api.EstimatedCountPagination) on the invoice list: exact
counts whenever the list is filtered, the planner's estimate (flagged) for the whole big table, exact
next/previous links either way, constant query counts, and the portfolio rule intact."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from creditportal.core import api as core_api

pytestmark = pytest.mark.postgres

LIST = "/api/v1/invoices/"


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def book(users, make_customer, make_invoice):
    """Five invoices of rm's customer, two of rm2's."""
    mine = make_customer(rm=users["rm"])
    theirs = make_customer(name="西北贸易有限公司", rm=users["rm2"])
    invoices = [make_invoice(mine, days_past_due=d) for d in (50, 40, 30, 20, 10)]
    invoices += [make_invoice(theirs, days_past_due=d) for d in (45, 5)]
    return invoices


@pytest.fixture(autouse=True)
def _no_remembered_estimates():
    core_api.forget_table_estimates()
    yield
    core_api.forget_table_estimates()


def analyse():
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE collection_invoice")
    core_api.forget_table_estimates()


@pytest.fixture
def big_table(monkeypatch, book):
    """The invoice table counts as big, and its statistics are current."""
    monkeypatch.setattr("creditportal.core.pagination.ESTIMATE_COUNT_ABOVE", 3)
    analyse()
    return book


def test_small_tables_are_counted_exactly(users, book):
    body = token_client(users["analyst"]).get(LIST).json()
    assert (body["count"], body["count_exact"]) == (7, True)
    assert len(body["results"]) == 7


def test_the_whole_big_table_carries_the_estimate_flagged(users, big_table):
    client = token_client(users["analyst"])
    body = client.get(LIST, {"page_size": 3}).json()
    assert body["count_exact"] is False
    assert body["count"] == 7  # the planner's estimate; right after ANALYZE it is the row count
    assert [r["id"] for r in body["results"]] == [i.pk for i in sorted(big_table, key=lambda i: (i.due_date, i.pk))][:3]
    assert body["next"] and body["previous"] is None


def test_next_is_exact_with_an_estimate(users, big_table):
    client = token_client(users["analyst"])
    seen = []
    url = f"{LIST}?page_size=3"
    while url:
        body = client.get(url).json()
        seen += [r["id"] for r in body["results"]]
        url = body["next"]
    assert seen == [i.pk for i in sorted(big_table, key=lambda i: (i.due_date, i.pk))]
    assert client.get(LIST, {"page_size": 3, "page": 3}).json()["next"] is None
    assert client.get(LIST, {"page_size": 3, "page": 4}).status_code == 404  # past the end: as before
    assert client.get(LIST, {"page_size": 3, "page": "x"}).status_code == 404
    assert client.get(LIST, {"page_size": 3, "page": 0}).status_code == 404


def test_page_last_counts_exactly(users, big_table):
    body = token_client(users["analyst"]).get(LIST, {"page_size": 3, "page": "last"}).json()
    assert body["count_exact"] is True and body["count"] == 7
    assert len(body["results"]) == 1 and body["next"] is None and body["previous"]


def test_filtered_lists_are_counted_exactly(users, big_table):
    client = token_client(users["analyst"])
    customer_id = big_table[0].customer_id
    body = client.get(LIST, {"customer": customer_id}).json()
    assert (body["count"], body["count_exact"]) == (5, True)
    body = client.get(LIST, {"search": "西北"}).json()
    assert (body["count"], body["count_exact"]) == (2, True)


def test_a_relationship_manager_still_sees_only_the_portfolio(users, big_table):
    body = token_client(users["rm2"]).get(LIST).json()
    assert (body["count"], body["count_exact"]) == (2, True)  # the portfolio is a filter: exact
    assert {r["customer"] for r in body["results"]} == {big_table[-1].customer_id}


def test_the_role_without_the_permission_is_refused(users, big_table, make_user):
    assert token_client(make_user("nobody")).get(LIST).status_code == 403
    assert APIClient().get(LIST).status_code == 401


@pytest.mark.parametrize("estimated", [False, True])
def test_query_count_is_the_same_for_both_page_sizes(users, book, monkeypatch, estimated,
                                                     django_assert_max_num_queries):
    if estimated:
        monkeypatch.setattr("creditportal.core.pagination.ESTIMATE_COUNT_ABOVE", 3)
        analyse()
    client = token_client(users["analyst"])
    client.get(LIST)  # warm the permission cache and the table estimate
    counts = {}
    for size in (2, 500):
        with django_assert_max_num_queries(3 if not estimated else 2), CaptureQueriesContext(connection) as queries:
            assert client.get(LIST, {"page_size": size}).status_code == 200
        counts[size] = len(queries)
    assert counts[2] == counts[500]
    counted = any("COUNT(*)" in q["sql"] for q in queries.captured_queries)
    assert counted is not estimated  # the estimate replaces the count of the table


def test_the_schema_documents_the_estimate(users, api_for):
    schema = api_for(users["analyst"]).get("/api/schema/", {"format": "json"}).json()
    listing = schema["paths"][LIST]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    page = schema["components"]["schemas"][listing.rsplit("/", 1)[-1]]
    assert page["properties"]["count_exact"]["type"] == "boolean"
    assert "estimate" in page["properties"]["count"]["description"]
    assert "count_exact" in page["required"]


def test_the_estimate_is_remembered_for_a_while(users, big_table, monkeypatch):
    client = token_client(users["analyst"])
    assert client.get(LIST).json()["count"] == 7
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST).json()["count"] == 7
    assert not any("pg_class" in q["sql"] for q in queries.captured_queries)
    monkeypatch.setattr("creditportal.core.estimates.ESTIMATE_SECONDS", 0)
    core_api.forget_table_estimates()
    with CaptureQueriesContext(connection) as queries:
        client.get(LIST)
    assert any("pg_class" in q["sql"] for q in queries.captured_queries)
