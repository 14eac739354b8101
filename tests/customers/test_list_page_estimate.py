"""The list pages share the API's paginator: a whole big table shows the planner's estimate ("about …") instead
of counting every row per request; a filtered or scoped list counts exactly; the last page counts."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from creditportal.core import estimates

LIST = "/customers/"


@pytest.fixture(autouse=True)
def _no_remembered_estimates():
    estimates.forget_table_estimates()
    yield
    estimates.forget_table_estimates()


@pytest.fixture
def portfolio(users, make_customer):
    return [make_customer(manager=users["rm"], name=f"甲{i}公司") for i in range(30)] + [
        make_customer(manager=users["rm2"], name="乙公司")]


@pytest.fixture
def estimated(monkeypatch, portfolio):
    """The customers' table counts as big (the estimate from 2 rows up), its statistics fresh."""
    monkeypatch.setattr("creditportal.core.pagination.ESTIMATE_COUNT_ABOVE", 2)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    return portfolio


def _counts(queries):
    return [q["sql"] for q in queries.captured_queries
            if "COUNT(" in q["sql"].upper() and "customers_customer" in q["sql"]]


def test_small_lists_count_exactly(client, users, portfolio):
    client.force_login(users["analyst"])
    page = client.get(LIST).content.decode()
    assert "31 customers" in page and "about" not in page


@pytest.mark.postgres
def test_a_whole_big_table_shows_the_estimate_and_the_last_page_counts(client, users, estimated):
    client.force_login(users["analyst"])
    client.get(LIST)  # the estimate is remembered for a minute per process
    with CaptureQueriesContext(connection) as queries:
        page = client.get(LIST).content.decode()
    assert not _counts(queries)  # no count of every customer
    assert "about 31 customers" in page and "Page 1 of about 2 · about 31 rows" in page
    assert "page=last" in page and 'rel="next"' in page  # the next page is known from one extra row
    second = client.get(LIST, {"page": 2}).content.decode()
    assert second.count("/customers/") and 'rel="next"' not in second

    with CaptureQueriesContext(connection) as queries:
        last = client.get(LIST, {"page": "last"})
    assert last.status_code == 200 and _counts(queries)
    assert "Page 2 of 2 · 31 rows" in last.content.decode()

    # a filter or a scoped portfolio counts exactly
    filtered = client.get(LIST, {"search": "乙"}).content.decode()
    assert "about" not in filtered.split("<table")[0]
    client.force_login(users["rm2"])
    assert "1 customer" in client.get(LIST).content.decode()


@pytest.mark.postgres
def test_the_estimate_in_chinese(client, users, estimated):
    from django.utils import translation

    client.force_login(users["analyst"])
    with translation.override("zh-hans"):
        page = client.get(LIST, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "约 31 个客户" in page and "约 2 页" in page
