"""Decisions with the whole picture (issue 21): an approver sees the warnings about the customer (pending
downgrade, overdue beyond tolerance, open high-severity alert, open collection case) and must acknowledge each
with a comment before approving; the decision and the memo keep what was acknowledged."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from collection.models import CollectionCase, Invoice
from credit import services
from credit.models import CreditApplication, Decision
from creditportal.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 30)


@pytest.fixture
def today():
    from creditportal.core import clock

    clock.set_today(TODAY)
    return TODAY


@pytest.fixture
def pending(users, today):
    """An application waiting for level 1 of 2 whose customer has an invoice 45 days overdue and an open case."""
    from customers.models import Customer
    from tests.factories import rating_model, stored_rating

    customer = Customer.objects.create(name="华东机械有限公司", is_foreign=True, registration_number="R-W1", country="HK",
                                       industry_section="C", size="medium", relationship_manager=users["rm"])
    stored_rating(customer, model=rating_model(users["riskadmin"]), grade="BBB", letter="B", pd="0.01", score=60,
                  created_by=users["analyst"], approved_on=today, review_due=today + dt.timedelta(days=300))
    Invoice.objects.create(number="W-1", customer=customer, issue_date=today - dt.timedelta(days=75),
                           due_date=today - dt.timedelta(days=45), amount=D("30000"), currency="CNY",
                           created_by=users["rm"])
    CollectionCase.objects.create(customer=customer, assigned_to=users["collector"], opened_on=today,
                                  opened_by=users["collector"])
    return CreditApplication.objects.create(customer=customer, amount=D("100000"), currency="CNY", term_months=12,
                                            purpose="流动资金", created_by=users["rm"], reviewer=users["analyst"],
                                            status="pending_approval", current_level=1, required_levels=2,
                                            rating_grade="BBB")


def _codes(application):
    from credit.providers import decision_warnings

    return [w["code"] for w in decision_warnings(application.customer)]


def test_the_warnings_are_known(pending):
    assert _codes(pending) == ["overdue_beyond_tolerance", "open_collection_case"]


def test_approval_refused_until_each_warning_is_acknowledged_with_a_comment(pending, users, approver_authorities):
    with pytest.raises(ValidationFailed) as refused:
        services.application_approve(actor=users["approver1"], application=pending, comment="同意")
    assert refused.value.code == "warnings_unacknowledged"
    with pytest.raises(ValidationFailed) as partly:
        services.application_approve(actor=users["approver1"], application=pending, comment="同意",
                                     acknowledged_warnings=["overdue_beyond_tolerance"])
    assert "acknowledged_warnings" in partly.value.field_errors
    with pytest.raises(ValidationFailed) as silent:
        services.application_approve(actor=users["approver1"], application=pending, comment=" ",
                                     acknowledged_warnings=_codes(pending))
    assert silent.value.code == "comment_required"
    pending.refresh_from_db()
    assert pending.current_level == 1 and not Decision.objects.filter(action="approve").exists()


def test_the_decision_keeps_what_was_acknowledged(pending, users, approver_authorities):
    services.application_approve(actor=users["approver1"], application=pending, comment="已与客户确认还款计划",
                                 acknowledged_warnings=_codes(pending))
    decision = Decision.objects.get(application=pending, action="approve")
    assert [w["code"] for w in decision.acknowledged_warnings] == _codes(pending)
    assert all(w["text"] for w in decision.acknowledged_warnings)


def test_the_api_shows_the_warnings_and_takes_the_acknowledgement(pending, users, api_for, approver_authorities):
    api = api_for(users["approver1"])
    url = f"/api/v1/applications/{pending.pk}/"
    assert [w["code"] for w in api.get(url).data["warnings"]] == _codes(pending)
    assert api.post(url + "approve/", {"comment": "ok"}, format="json").status_code == 400
    done = api.post(url + "approve/", {"comment": "ok", "acknowledged_warnings": _codes(pending)}, format="json")
    assert done.status_code == 200, done.data
    assert done.data["decisions"][-1]["acknowledged_warnings"][0]["code"] == "overdue_beyond_tolerance"


def test_the_page_shows_the_header_and_asks_for_each_warning(pending, users, client_for, approver_authorities):
    client = client_for(users["approver1"])
    html = client.get(reverse("credit:application_detail", args=[pending.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "customer-header" in html and 'id="decision-warnings"' in html
    assert html.count('name="acknowledged_warnings"') == 2
    url = reverse("credit:application_action", args=[pending.pk, "approve"])
    client.post(url, {"comment": "ok", "level": 1})
    pending.refresh_from_db()
    assert pending.current_level == 1
    client.post(url, {"comment": "ok", "level": 1, "acknowledged_warnings": _codes(pending)})
    pending.refresh_from_db()
    assert pending.current_level == 2


def test_the_memo_prints_what_was_acknowledged(pending, users, approver_authorities, tmp_path):
    from reports import services as reports
    from tests.reports.test_rating_report import pdf_text

    services.application_approve(actor=users["approver1"], application=pending, comment="已与客户确认还款计划",
                                 acknowledged_warnings=_codes(pending))
    html = reports.approval_memo_html(pending, "zh-hans")
    assert "已与客户确认还款计划" in html and "批准时已确认的警示" in html and "逾期 45 天" in html
