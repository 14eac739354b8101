"""The customer and person filters of the applications, facilities, ratings and order-hold lists and of the
report search are search-as-you-type pickers (issue 21): the page filters by the chosen row and names a refused
value; the API answers a customer the caller may not see (or no id) with 400, never the whole list."""
import datetime as dt
from decimal import Decimal as D

import pytest

from credit.models import CreditApplication, CustomerHold, Decision
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(users):
    """Two customers of ``rm`` and one of ``rm2``, each with an application, a facility, a rating and a hold."""
    model = factories.rating_model(users["analyst"])
    rows = {}
    for key, name, rm in (("mine", "甲机械有限公司", "rm"), ("mine2", "乙化工有限公司", "rm"),
                          ("theirs", "丙纺织有限公司", "rm2")):
        customer = factories.customer(name=name, registration_number=f"R-{key}", relationship_manager=users[rm])
        app = CreditApplication.objects.create(customer=customer, amount=D("100000"), currency="CNY", term_months=12,
                                               purpose="x", created_by=users[rm], status="submitted")
        factories.facility(customer, "50000", start=dt.date(2026, 1, 1), expiry=dt.date(2027, 1, 1))
        factories.stored_rating(customer, model=model, grade="BB", letter="B", pd="0.02", score="50",
                                created_by=users["analyst"], approved_by=users["analyst2"],
                                approved_on=dt.date(2026, 8, 1))
        CustomerHold.objects.create(customer=customer, since=dt.date(2026, 8, 1))
        rows[key] = customer
        rows[f"{key}_app"] = app
    return rows


LISTS = [("/credit/applications/", "/api/v1/applications/"), ("/credit/facilities/", "/api/v1/facilities/"),
         ("/ratings/all/", "/api/v1/ratings/"), ("/credit/holds/", "/api/v1/order-holds/")]


@pytest.mark.parametrize(("page", "api"), LISTS)
def test_the_page_filters_by_the_picked_customer(users, client_for, book, page, api):
    client = client_for(users["rm"])
    html = client.get(page, {"customer": book["mine"].pk}).content.decode()
    assert 'data-picker="/customers/pick/"' in html
    assert "甲机械有限公司" in html and "乙化工有限公司" not in html  # the chosen option, the chosen rows
    # another portfolio's customer is refused like a missing one: the page says so and shows none of its rows
    html = client.get(page, {"customer": book["theirs"].pk}).content.decode()
    assert "丙纺织有限公司" not in html and 'aria-invalid="true"' in html
    assert "is-invalid" in html


@pytest.mark.parametrize(("page", "api"), LISTS)
def test_the_api_refuses_a_customer_it_may_not_see(users, api_for, book, page, api):
    client = api_for(users["rm"])
    body = client.get(api, {"customer": book["mine"].pk}).json()
    assert body["results"] and {row["customer"] for row in body["results"]} == {book["mine"].pk}
    for bad in (book["theirs"].pk, "abc", "１２", "99999999999999999999"):
        response = client.get(api, {"customer": bad})
        assert response.status_code == 400, bad
        assert "customer" in response.json()["errors"]
    # the analyst sees every portfolio: the same id is a filter for them
    assert api_for(users["analyst"]).get(api, {"customer": book["theirs"].pk}).status_code == 200


def test_the_name_search_is_gone_from_the_credit_lists(users, client_for, book):
    """The customer field is the picker only: no second, free-text "customer" box."""
    html = client_for(users["analyst"]).get("/credit/applications/").content.decode()
    assert 'name="search"' not in html and 'name="customer"' in html


def test_report_search_picks_a_person(users, client_for, book):
    Decision.objects.create(application=book["mine_app"], actor=users["approver1"], action="approve", level=1,
                            comment="同意")
    Decision.objects.create(application=book["theirs_app"], actor=users["approver2"], action="reject", level=1,
                            comment="不同意")
    client = client_for(users["auditor"])
    html = client.get("/reports/", {"what": "decisions", "user": users["approver1"].pk}).content.decode()
    assert 'data-picker="/accounts/users/pick/"' in html
    assert "同意" in html and "不同意" not in html
    # a login typed by hand is no person: the field is marked and the page says the filter was ignored
    html = client.get("/reports/", {"what": "decisions", "user": "approver1"}).content.decode()
    assert 'aria-invalid="true"' in html and "user" in html
    # a routing decision's reasons read as words, never as their codes
    Decision.objects.create(application=book["mine_app"], actor=users["analyst"], action="route", level=1,
                            comment="amount")
    html = client.get("/reports/", {"what": "decisions", "user": users["analyst"].pk},
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "the amount with the group" in html and ">amount<" not in html


def test_report_search_refused_to_those_without_the_right(users, client_for):
    assert client_for(users["collector"]).get("/reports/").status_code == 403


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_name_people_by_name(users, client_for, book, fmt):
    """Issue 21: lists name people by name, not login, in their files too."""
    import io

    users["rm"].first_name, users["rm"].last_name = "小明", "王"
    users["rm"].save()
    response = client_for(users["analyst"]).get("/credit/applications/", {"export": fmt})
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if fmt == "xlsx":
        import openpyxl

        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        cells = [cell.value for row in sheet.iter_rows() for cell in row]
    else:
        cells = content.decode("utf-8-sig").replace("\r", "").replace("\n", ",").split(",")
    assert "王小明" in cells and "rm" not in cells  # (rm2 has no name recorded: the login stands in)
