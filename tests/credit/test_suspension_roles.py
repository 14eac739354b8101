"""Issue 18, finding 5: a relationship manager cannot lift a suspension imposed by an approver or the system,
neither a facility's (page, API, service) nor a customer's (its own action, or its status edited back).
Only the roles of the role table lift one, with a reason that the audit trail keeps with the actor."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from accounts.system import system_user
from audit.models import AuditEvent
from credit import services
from credit.models import Facility
from creditportal.core import access
from creditportal.core.errors import NotAllowed, ValidationFailed
from customers import services as customer_services
from customers.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def suspended(make_customer, users):
    customer = make_customer(rm=users["rm"])
    facility = Facility.objects.create(customer=customer, limit=D("1000"), currency="CNY",
                                       start_date=dt.date(2026, 1, 1), expiry_date=dt.date(2026, 12, 31))
    services.facility_suspend(actor=system_user(), facility=facility, reason="Dunning level 3")
    return facility


def test_the_role_table_names_who_lifts_a_suspension():
    holders = {role for role, entries in access.ROLE_PERMISSIONS.items()
               if "credit.resume_facility" in entries}
    assert holders == {access.APPROVER}
    assert {role for role, entries in access.ROLE_PERMISSIONS.items()
            if "customers.resume_customer" in entries} == {access.APPROVER}


def test_manager_cannot_resume_a_facility_by_service_api_or_page(suspended, users, api_for, client):
    with pytest.raises(NotAllowed):
        services.facility_resume(actor=users["rm"], facility=suspended, reason="customer paid")
    answer = api_for(users["rm"]).post(f"/api/v1/facilities/{suspended.pk}/resume/", {"reason": "paid"},
                                       format="json")
    assert answer.status_code == 403
    client.force_login(users["rm"])
    page = client.post(reverse("credit:facility_resume", args=[suspended.pk]), {"reason": "paid"})
    assert page.status_code == 403
    detail = client.get(reverse("credit:facility_detail", args=[suspended.pk])).content.decode()
    assert reverse("credit:facility_resume", args=[suspended.pk]) not in detail
    suspended.refresh_from_db()
    assert suspended.status == "suspended"


def test_approver_resumes_with_a_reason_and_the_trail_says_who_and_why(suspended, users, client):
    client.force_login(users["approver1"])
    url = reverse("credit:facility_resume", args=[suspended.pk])
    assert url in client.get(reverse("credit:facility_detail", args=[suspended.pk])).content.decode()
    client.post(url, {"reason": ""})
    suspended.refresh_from_db()
    assert suspended.status == "suspended"  # no reason, no resume
    with pytest.raises(ValidationFailed):
        services.facility_resume(actor=users["approver1"], facility=suspended, reason="  ")
    assert client.post(url, {"reason": "Overdue paid in full"}).status_code == 302
    suspended.refresh_from_db()
    assert suspended.status == "active"
    event = AuditEvent.objects.filter(object_type="credit.facility", object_id=str(suspended.pk),
                                      verb="resume").get()
    assert event.actor_username == "approver1" and event.after["reason"] == "Overdue paid in full"


def _customer(make_customer, users):
    customer = customer_services.customer_create(
        actor=users["rm"], name="暂停客户", is_foreign=True, country="HK", registration_number="HK-1",
        industry_section="C", size="large", status="active", legal_form="foreign_company")
    return customer_services.customer_suspend(actor=users["approver1"], customer=customer,
                                              reason="Legal dispute")


def test_manager_cannot_patch_a_customers_status_back(make_customer, users, api_for):
    customer = _customer(make_customer, users)
    api = api_for(users["rm"])
    for status in ("active", "prospect", "closed"):
        answer = api.patch(f"/api/v1/customers/{customer.pk}/", {"status": status}, format="json")
        assert answer.status_code == 400 and "status" in answer.json()["errors"]
    with pytest.raises(ValidationFailed):
        customer_services.customer_update(actor=users["rm"], customer=customer, status="active")
    # and no suspension by editing either
    other = customer_services.customer_create(
        actor=users["rm"], name="另一客户", is_foreign=True, country="HK", registration_number="HK-2",
        industry_section="C", size="large", status="active", legal_form="foreign_company")
    assert api.patch(f"/api/v1/customers/{other.pk}/", {"status": "suspended"}, format="json").status_code == 400
    # other fields still change, the status stays
    assert api.patch(f"/api/v1/customers/{customer.pk}/", {"address": "新地址"}, format="json").status_code == 200
    customer.refresh_from_db()
    assert customer.status == "suspended" and customer.address == "新地址"


def test_manager_cannot_resume_a_customer_by_api_or_page(make_customer, users, api_for, client):
    customer = _customer(make_customer, users)
    answer = api_for(users["rm"]).post(f"/api/v1/customers/{customer.pk}/resume/", {"reason": "x"}, format="json")
    assert answer.status_code == 403
    client.force_login(users["rm"])
    assert client.post(reverse("customers:customer_resume", args=[customer.pk]), {"reason": "x"}).status_code == 403
    customer.refresh_from_db()
    assert customer.status == "suspended"


def test_approver_resumes_a_customer_with_a_reason(make_customer, users, api_for, client):
    customer = _customer(make_customer, users)
    api = api_for(users["approver1"])
    assert api.post(f"/api/v1/customers/{customer.pk}/resume/", {"reason": ""}, format="json").status_code == 400
    answer = api.post(f"/api/v1/customers/{customer.pk}/resume/", {"reason": "Dispute settled"}, format="json")
    assert answer.status_code == 200 and answer.json()["status"] == "active"
    event = AuditEvent.objects.filter(object_type="customers.customer", object_id=str(customer.pk),
                                      verb="resume").get()
    assert event.actor_username == "approver1" and event.after == {"status": "active", "reason": "Dispute settled"}
    # the manager may impose a suspension (stop deliveries) on the page, not lift it
    client.force_login(users["rm"])
    assert client.post(reverse("customers:customer_suspend", args=[customer.pk]),
                       {"reason": "Stop deliveries"}).status_code == 302
    assert Customer.objects.get(pk=customer.pk).status == "suspended"


def test_the_edit_page_offers_no_suspension_and_keeps_a_suspended_status(make_customer, users, client):
    customer = _customer(make_customer, users)
    client.force_login(users["rm"])
    form = client.get(reverse("customers:customer_edit", args=[customer.pk])).context["form"]
    assert form.fields["status"].disabled
    other = customer_services.customer_create(
        actor=users["rm"], name="另一客户", is_foreign=True, country="HK", registration_number="HK-3",
        industry_section="C", size="large", status="active", legal_form="foreign_company")
    form = client.get(reverse("customers:customer_edit", args=[other.pk])).context["form"]
    assert "suspended" not in [value for value, _label in form.fields["status"].choices]
