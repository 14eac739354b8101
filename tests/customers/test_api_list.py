"""The customer list (selectors.customer_list): the latest period end per row from a subquery, exact
counts when filtered, the estimate flagged for the whole big table, the portfolio rule intact."""
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from creditportal.core import api as core_api
from customers import selectors
from customers.models import Customer

LIST = "/api/v1/customers/"


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture(autouse=True)
def _no_remembered_estimates():
    core_api.forget_table_estimates()
    yield
    core_api.forget_table_estimates()


@pytest.fixture
def portfolio(users, make_customer, make_statement):
    a = make_customer(manager=users["rm"], name="甲公司")
    b = make_customer(manager=users["rm"], name="乙公司")
    c = make_customer(manager=users["rm2"], name="丙公司")
    make_statement(a, year=2022)
    make_statement(a, year=2024)
    make_statement(a, year=2023)
    make_statement(c, year=2021)
    return a, b, c


def test_latest_period_end_is_the_newest_statement(users, portfolio):
    a, b, c = portfolio
    rows = {r.pk: r.latest_period_end for r in selectors.customer_list(users["analyst"])}
    assert rows == {a.pk: dt.date(2024, 12, 31), b.pk: None, c.pk: dt.date(2021, 12, 31)}
    body = token_client(users["analyst"]).get(LIST).json()
    assert {r["id"]: r["latest_period_end"] for r in body["results"]} == {
        a.pk: "2024-12-31", b.pk: None, c.pk: "2021-12-31"}
    assert [r["id"] for r in body["results"]] == [r.pk for r in Customer.objects.order_by("name", "id")]
    assert (body["count"], body["count_exact"]) == (3, True)


def test_ordering_by_latest_statement_still_works(users, portfolio):
    a, b, c = portfolio
    response = token_client(users["analyst"]).get(LIST, {"ordering": "-latest_statement"})
    assert response.status_code == 200
    ids = [r["id"] for r in response.json()["results"]]
    assert ids.index(a.pk) < ids.index(c.pk)


@pytest.mark.postgres
def test_whole_big_table_estimated_portfolio_exact(users, portfolio, monkeypatch):
    monkeypatch.setattr("creditportal.core.pagination.ESTIMATE_COUNT_ABOVE", 2)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    analyst = token_client(users["analyst"]).get(LIST).json()
    assert (analyst["count"], analyst["count_exact"]) == (3, False)
    rm2 = token_client(users["rm2"]).get(LIST).json()
    assert (rm2["count"], rm2["count_exact"]) == (1, True)
    assert [r["id"] for r in rm2["results"]] == [portfolio[2].pk]
    filtered = token_client(users["analyst"]).get(LIST, {"search": "甲"}).json()
    assert filtered["count_exact"] is True


def test_no_aggregate_over_statements_in_the_list(users, portfolio):
    client = token_client(users["analyst"])
    client.get(LIST)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST, {"page_size": 500}).status_code == 200
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "MAX(" not in sql and "GROUP BY" not in sql
    assert len(queries) <= 3  # token, count, page


def test_the_role_without_the_permission_is_refused(make_user, portfolio):
    assert token_client(make_user("nobody")).get(LIST).status_code == 403
