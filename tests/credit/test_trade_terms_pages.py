"""Trade credit by grade (issue 23) over HTTP: the payment terms in the policy's pages and API, the payment term
and the proposed limit (with its arithmetic in words) on the application's page, form, API and memo, and the
roles refused."""
import datetime as dt

import pytest
from django.urls import reverse

from credit import services
from tests.factories import invoice

from .test_trade_terms import _policy_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def terms_setup(setup):
    """Grade A: 60 days (soft), deposit 10%, sizing by sales × (term + days late) / 30; a history of 1,200,000
    due in the window, 37 days late on average (see ``test_trade_terms._history``)."""
    _policy_with(setup.users, {"max_payment_term_days": 60, "deposit_percent": "10", "sizing_method": "sales_days"})
    invoice(setup.customer, "800000", number="T-1", due=dt.date(2026, 5, 6), created_by=setup.users["rm"])
    invoice(setup.customer, "400000", number="T-2", due=dt.date(2026, 5, 16), created_by=setup.users["rm"])
    return setup


def test_application_api_takes_the_term_and_shows_the_proposal(terms_setup, api_for):
    u = terms_setup.users
    body = {"customer": terms_setup.customer.pk, "amount": "300000.00", "currency": "CNY", "term_months": 12,
            "payment_term_days": 75, "purpose": "Seasonal stock"}
    created = api_for(u["rm"]).post("/api/v1/applications/", body, format="json")
    assert created.status_code == 201, created.data
    assert created.data["payment_term_days"] == 75
    trade = created.data["trade_terms"]
    # 100,000 × (75 + 37) / 30 = 11,200,000 / 30 = 373,333.33
    assert trade["sizing"]["limit"] == "373333.33" and trade["terms"]["max_payment_term_days"] == 60
    assert trade["terms"]["deposit_percent"] == "10.00"
    assert trade["sizing_text"][3] == "CNY 100,000.00 × 112 days / 30 = CNY 373,333.33."
    url = f"/api/v1/applications/{created.data['id']}/"
    refused = api_for(u["rm"]).post(url + "submit/", {}, format="json")
    assert refused.status_code == 400 and refused.data["code"] == "exception_required"
    bad = api_for(u["rm"]).patch(url, {"payment_term_days": 0}, format="json")
    assert bad.status_code == 400
    assert api_for(u["rm"]).patch(url, {"payment_term_days": 60}, format="json").status_code == 200
    submitted = api_for(u["rm"]).post(url + "submit/", {}, format="json")
    assert submitted.status_code == 200 and submitted.data["policy_exception"] is False
    assert submitted.data["trade_terms"]["sizing"]["limit"] == "323333.33"  # as the policy check stored it


@pytest.mark.parametrize("role", ["auditor", "collector", "analyst", "riskadmin"])
def test_roles_that_may_not_write_applications_are_refused(terms_setup, new_application, api_for, client_for, role):
    app = new_application()
    user = terms_setup.users[role]
    response = api_for(user).patch(f"/api/v1/applications/{app.pk}/", {"payment_term_days": 30}, format="json")
    assert response.status_code == 403
    assert client_for(user).get(reverse("credit:application_edit", args=[app.pk])).status_code == 403


def test_application_pages_show_terms_and_the_proposed_limit(terms_setup, new_application, client_for):
    u = terms_setup.users
    app = new_application(amount="400000", payment_term_days=61)
    page = client_for(u["rm"]).get(reverse("credit:application_detail", args=[app.pk])).content.decode()
    assert 'id="trade-terms"' in page and "beyond the policy" in page and "10.00%" in page
    # 100,000 × (61 + 37) / 30 = 9,800,000 / 30 = 326,666.67
    assert "CNY 326,666.67" in page and "Average days late 37, from the payment history." in page
    form = client_for(u["rm"]).get(reverse("credit:application_edit", args=[app.pk])).content.decode()
    assert 'name="payment_term_days"' in form and 'id="trade-terms"' in form and "CNY 326,666.67" in form
    response = client_for(u["rm"]).post(reverse("credit:application_edit", args=[app.pk]), {
        "application_type": "new", "amount": "400000", "currency": "CNY", "term_months": "12",
        "payment_term_days": "30", "expected_monthly_sales": "200000", "product": "trade_credit",
        "purpose": "Seasonal stock"})
    assert response.status_code == 302
    app.refresh_from_db()
    assert (app.payment_term_days, str(app.expected_monthly_sales)) == (30, "200000.00")


def test_the_detail_page_and_api_keep_a_constant_number_of_queries(terms_setup, new_application, client_for,
                                                                   django_assert_max_num_queries):
    app = new_application(payment_term_days=45)
    client = client_for(terms_setup.users["rm"])
    client.get(reverse("credit:application_detail", args=[app.pk]))
    with django_assert_max_num_queries(70):
        assert client.get(reverse("credit:application_detail", args=[app.pk])).status_code == 200


def test_policy_pages_and_api_carry_the_terms(terms_setup, client_for, api_for):
    u = terms_setup.users
    detail = client_for(u["auditor"]).get(reverse("credit:policy_detail", args=[
        services.policy_create(actor=u["riskadmin"], name="Draft", effective_from=dt.date(2027, 1, 1),
                               rules=[{"grade": "A", "max_payment_term_days": 75, "payment_term_hard": True,
                                       "deposit_percent": "15", "sizing_method": "equity_share",
                                       "sizing_share": "0.25"}]).pk]))
    text = detail.content.decode()
    assert "Longest payment term (days)" in text and "75" in text and "15.00" in text and "Share of net worth" in text
    body = {"name": "API draft", "effective_from": "2027-01-01",
            "rules": [{"grade": "A", "max_payment_term_days": 30, "deposit_percent": "20.00",
                       "sizing_method": "revenue_share", "sizing_share": "0.1000"}]}
    created = api_for(u["riskadmin"]).post("/api/v1/credit-policies/", body, format="json")
    assert created.status_code == 201, created.data
    rule = created.data["rules"][0]
    assert (rule["max_payment_term_days"], rule["deposit_percent"], rule["sizing_method"]) == (30, "20.00",
                                                                                               "revenue_share")
    bad = api_for(u["riskadmin"]).post("/api/v1/credit-policies/", {
        **body, "rules": [{"grade": "A", "sizing_method": "revenue_share"}]}, format="json")
    assert bad.status_code == 400
    assert api_for(u["rm"]).post("/api/v1/credit-policies/", body, format="json").status_code == 403
    assert api_for(u["riskadmin"]).post(f"/api/v1/credit-policies/{created.data['id']}/activate/", {},
                                        format="json").status_code == 403


def test_the_memo_shows_terms_and_the_proposal(terms_setup, new_application, to_pending):
    from reports.documents.memo import approval_memo_context

    app = to_pending(new_application(amount="300000", payment_term_days=60))
    trade = approval_memo_context(app)["trade"]
    assert trade["payment_term_days"] == 60 and trade["max_payment_term_days"] == 60
    assert trade["deposit_percent"] == "10.00" and trade["proposed_limit"] == "CNY 323,333.33"
    assert trade["lines"][-1] == "Within the grade's maximum limit CNY 50,000,000.00: proposed CNY 323,333.33."


def test_the_new_application_form_says_the_grades_terms(terms_setup, client_for):
    client = client_for(terms_setup.users["rm"])
    page = client.get(reverse("credit:application_create") + f"?customer={terms_setup.customer.pk}").content.decode()
    assert 'id="grade-terms"' in page and "payment terms up to 60 days" in page and "10.00% of each order" in page
    assert 'id="grade-terms"' not in client.get(reverse("credit:application_create")).content.decode()
    other = client_for(terms_setup.users["rm2"]).get(
        reverse("credit:application_create") + f"?customer={terms_setup.customer.pk}").content.decode()
    assert 'id="grade-terms"' not in other  # another portfolio's customer says nothing
