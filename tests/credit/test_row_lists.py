"""The application list read from plain rows (``creditportal.core.api.RowListMixin``): the same bytes as
DRF's serializer path, a manager's own applications only, a flat query count."""
import pytest

from tests.row_lists import drf_path, fresh_statements, token_client  # noqa: F401 - fresh_statements: autouse

PATH = "/api/v1/applications/"


@pytest.fixture
def applications(setup, new_application, to_pending, make_customer, ratings_stub, users):
    other = make_customer("另一家公司", rm=users["rm2"])
    ratings_stub[other.pk] = "BBB"
    pending = to_pending(new_application(amount="2500000.50"))  # reviewer, rating, opinion, levels set
    draft = new_application(amount="1000", currency="USD", conditions="")  # reviewer, decided_at: null
    theirs = new_application(customer=other, maker=users["rm2"], amount="3000000")
    return [pending, draft, theirs]


@pytest.mark.parametrize("query", ["", "?page_size=1", "?page_size=1&page=3", "?page_size=500"])
def test_same_bytes_as_drf_serializers(applications, users, monkeypatch, query):
    for user in (users["analyst"], users["rm"], users["rm2"]):
        client = token_client(user)
        rows, again = client.get(PATH + query), client.get(PATH + query)
        drf_path(monkeypatch)
        drf = client.get(PATH + query)
        monkeypatch.undo()
        assert rows.status_code == drf.status_code == again.status_code
        assert rows.content == drf.content == again.content


def test_values_and_scope(applications, users):
    rows = token_client(users["analyst"]).get(PATH).json()["results"]
    assert len(rows) == 3
    by_id = {row["id"]: row for row in rows}
    pending, draft, _theirs = applications
    assert by_id[pending.pk]["reviewer"] == "analyst" and by_id[draft.pk]["reviewer"] is None
    assert by_id[pending.pk]["amount"] == "2500000.50" and by_id[draft.pk]["currency"] == "USD"
    assert by_id[draft.pk]["decided_at"] is None and by_id[draft.pk]["facility"] is None
    assert by_id[pending.pk]["customer_name"] == "华东贸易有限公司" and by_id[pending.pk]["created_by"] == "rm"
    own = token_client(users["rm"]).get(PATH).json()
    assert {row["id"] for row in own["results"]} == {pending.pk, draft.pk} and own["count"] == 2


def test_query_count_flat(applications, users, django_assert_num_queries):
    client = token_client(users["rm"])
    client.get(PATH + "?page_size=1")
    client.get(PATH + "?page_size=500")
    with django_assert_num_queries(3):  # token, count (own portfolio: exact), page
        assert len(client.get(PATH + "?page_size=1").json()["results"]) == 1
    with django_assert_num_queries(3):
        assert len(client.get(PATH + "?page_size=500").json()["results"]) == 2


def test_refused_without_the_permission(applications, make_user):
    assert token_client(make_user("nobody")).get(PATH).status_code == 403
