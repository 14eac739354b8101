"""Home pages as work queues (issue 21): the risk administrator's batches, delegations and unsent jobs, the
relationship manager's own book and expiring facilities; items show age and due date; the site map folded."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from creditportal.core import clock

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 30)


@pytest.fixture
def today():
    clock.set_today(TODAY)
    return TODAY


def _titles(response):
    return [str(p["title"]) for p in response.context["panels"]]


def test_risk_admin_sees_batches_delegations_and_stuck_jobs(users, client_for, today):
    from credit.models import Delegation
    from creditportal.models import OutboxMessage
    from ratings.models import RatingBatch

    RatingBatch.objects.create(business_date=today, status="failed", total=100, processed=40, error_count=3,
                               started_by=users["riskadmin"])
    RatingBatch.objects.create(business_date=today - dt.timedelta(days=1), status="finished", total=10, processed=10,
                               started_by=users["riskadmin"])
    from credit.models import AuthorityLevel

    Delegation.objects.create(delegator=users["approver2"], delegate=users["approver1"], start_date=today,
                              level=AuthorityLevel.objects.create(number=1, name="一级", max_amount=D("1000000")),
                              end_date=today + dt.timedelta(days=5), reason="年假", created_by=users["riskadmin"])
    OutboxMessage.objects.create(task="ratings.nightly_batch", created_at=timezone.now() - dt.timedelta(hours=1),
                                 next_attempt_at=timezone.now(), attempts=4, last_error="broker down")
    response = client_for(users["riskadmin"]).get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    panels = {str(p["title"]): p for p in response.context["panels"]}
    assert panels["Re-rating batches to watch"]["count"] == 1
    assert "40 of 100, 3 errors" in panels["Re-rating batches to watch"]["items"][0]["label"]
    assert panels["Delegations ending within 14 days"]["items"][0]["due"] == today + dt.timedelta(days=5)
    assert "broker down" in panels["Background jobs not sent"]["items"][0]["label"]
    html = response.content.decode()
    assert '<details class="mt-4 site-map">' in html and "due 2026-07-05" in html
    # the queue of configuration changes to decide is the risk administrator's first work: shown even when empty
    assert panels["Configuration changes awaiting my approval"]["count"] == 0
    assert "Configuration changes awaiting my approval" not in _titles(client_for(users["auditor"]).get(reverse("home")))


def test_relationship_manager_sees_their_book_and_expiring_facilities(users, client_for, today):
    from collection.models import Invoice
    from credit.models import Facility
    from customers.models import Customer

    customer = Customer.objects.create(name="华东机械有限公司", is_foreign=True, registration_number="R1", country="HK",
                                       industry_section="C", size="medium", relationship_manager=users["rm"])
    Facility.objects.create(customer=customer, limit=D("500000"), currency="CNY", start_date=today - dt.timedelta(300),
                            expiry_date=today + dt.timedelta(days=20))
    Invoice.objects.create(number="I1", customer=customer, issue_date=today - dt.timedelta(60),
                           due_date=today - dt.timedelta(30), amount=D("39000"), currency="CNY", created_by=users["rm"])
    response = client_for(users["rm"]).get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    panels = {str(p["title"]): p for p in response.context["panels"]}
    book = [item["label"] for item in panels["My book"]["items"]]
    assert book[0] == "1 customers · exposure CNY 500,000.00"
    assert book[1] == "Overdue CNY 39,000.00 at 1 customers"
    facility = panels["My facilities expiring within 60 days"]["items"][0]
    assert facility["label"] == "华东机械有限公司 · CNY 500,000.00" and facility["due"] == today + dt.timedelta(20)
    assert "My book" not in _titles(client_for(users["riskadmin"]).get(reverse("home")))


def test_the_chinese_home_page(users, client_for, today):
    html = client_for(users["rm"]).get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "可打开的全部页面" in html
