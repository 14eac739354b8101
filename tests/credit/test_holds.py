"""Order holds (暂停交货, issue 23): placed when the customer's maximum days past due passes the policy's tolerance
or a facility is used beyond its limit, released automatically when the cause clears or by an approver with a
reason; the order check says why an order may not ship, and ``order_record`` refuses it while held."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from accounts.system import system_user
from audit.models import AuditEvent
from collection.models import Invoice
from credit import rules, selectors, services
from credit.models import CustomerHold
from creditportal.core import access, clock
from creditportal.core.errors import NotAllowed, ValidationFailed
from tests.factories import facility as make_facility
from tests.factories import invoice as make_invoice

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 30)


@pytest.fixture
def held_setup(customer, users, fx):
    clock.set_today(TODAY)
    facility = make_facility(customer, "1000", start=dt.date(2026, 1, 1), expiry=dt.date(2026, 12, 31))
    return facility


def overdue(customer, users, days, amount="100", number="INV-1", **fields):
    """An open invoice ``days`` past due today."""
    return make_invoice(customer, amount, number=number, due=TODAY - dt.timedelta(days=days),
                        created_by=users["rm"], **fields)


def evaluate(**kwargs):
    return services.holds_evaluate(actor=system_user(), **kwargs)


# --- the rule --------------------------------------------------------------------------------------------------

def test_rule_holds_past_the_tolerance_not_at_it():
    assert rules.hold_reasons(max_days_past_due=30, tolerance_days=30) == ()
    assert rules.hold_reasons(max_days_past_due=31, tolerance_days=30) == (rules.HOLD_OVERDUE,)
    assert rules.hold_reasons(max_days_past_due=0, tolerance_days=0) == ()
    assert rules.hold_reasons(max_days_past_due=0, tolerance_days=30,
                              facilities=[(D("100"), D("100"))]) == ()
    assert rules.hold_reasons(max_days_past_due=40, tolerance_days=30, facilities=[(D("100"), D("100.01"))]) == (
        rules.HOLD_OVERDUE, rules.HOLD_OVER_LIMIT)


def test_rule_a_manual_release_stands_for_its_causes_only():
    both = (rules.HOLD_OVERDUE, rules.HOLD_OVER_LIMIT)
    assert rules.hold_needed(both) == both
    assert rules.hold_needed(both, [rules.HOLD_OVERDUE]) == (rules.HOLD_OVER_LIMIT,)
    assert rules.hold_needed((rules.HOLD_OVERDUE,), [rules.HOLD_OVERDUE]) == ()
    assert rules.order_refusals(("over_free_limit",), (rules.HOLD_OVERDUE,)) == (
        "held", rules.HOLD_OVERDUE, "over_free_limit")
    assert rules.order_refusals((), ()) == ()


# --- placed and not placed at the tolerance's edges -------------------------------------------------------------

def test_at_the_tolerance_the_order_ships(held_setup, customer, users):
    overdue(customer, users, 30)
    assert evaluate(customer_ids=[customer.pk])["placed"] == 0
    check = services.order_check(actor=users["rm"], facility=held_setup, amount="100", currency="CNY")
    assert check.allowed and check.reasons == ()
    services.order_record(actor=users["rm"], facility=held_setup, amount="100", currency="CNY", reference="PO-1")


def test_one_day_past_the_tolerance_the_customer_is_held_and_the_check_says_why(held_setup, customer, users):
    overdue(customer, users, 31)
    summary = evaluate(customer_ids=[customer.pk])
    assert summary["placed"] == 1
    hold = CustomerHold.objects.get(customer=customer)
    assert hold.is_active and hold.reasons == [rules.HOLD_OVERDUE] and hold.since == TODAY
    assert hold.detail["days_past_due"] == 31 and hold.detail["tolerance_days"] == 30
    assert AuditEvent.objects.filter(object_type="credit.customerhold", object_id=str(hold.pk),
                                     verb="hold_place").exists()
    check = services.order_check(actor=users["rm"], facility=held_setup, amount="100", currency="CNY")
    assert not check.allowed
    assert check.reasons == ("held", rules.HOLD_OVERDUE)
    texts = services.order_check_texts(check)
    assert texts == ["Deliveries to the customer are held since 2026-06-30.",
                     "Overdue 31 days, beyond the policy's tolerance of 30 days."]
    with pytest.raises(ValidationFailed) as refused:
        services.order_record(actor=users["rm"], facility=held_setup, amount="100", currency="CNY", reference="PO-2")
    assert refused.value.code == "held"
    assert "Overdue 31 days" in str(refused.value.message)
    assert not held_setup.orders.exists()
    assert evaluate(customer_ids=[customer.pk]) == {"placed": 0, "changed": 0, "released": 0, "spent": 0}


def test_a_cause_found_before_the_evaluation_already_refuses_the_order(held_setup, customer, users):
    overdue(customer, users, 45)
    check = services.order_check(actor=users["rm"], facility=held_setup, amount="100", currency="CNY")
    assert check.reasons == ("held", rules.HOLD_OVERDUE) and check.hold.hold is None
    assert services.order_check_texts(check)[0] == "Deliveries to the customer are held."


def test_the_policy_sets_the_tolerance(held_setup, customer, users):
    policy = services.policy_create(actor=users["riskadmin"], name="Strict", effective_from=dt.date(2020, 1, 1),
                                    rules=[{"grade": "A"}], overdue_tolerance_days=10)
    services.policy_activate(actor=users["approver1"], policy=policy)
    assert selectors.overdue_tolerance_days() == 10
    overdue(customer, users, 10)
    assert evaluate(customer_ids=[customer.pk])["placed"] == 0
    overdue(customer, users, 11, number="INV-2")
    assert evaluate(customer_ids=[customer.pk])["placed"] == 1
    with pytest.raises(ValidationFailed):
        services.policy_create(actor=users["riskadmin"], name="Bad", effective_from=dt.date(2020, 1, 1),
                               overdue_tolerance_days=-1)


# --- the limit ---------------------------------------------------------------------------------------------------

def test_an_order_beyond_the_free_limit_is_refused_with_the_reason(held_setup, customer, users):
    check = services.order_check(actor=users["rm"], facility=held_setup, amount="1000.01", currency="CNY")
    assert not check.allowed and check.reasons == ("over_free_limit",) and not check.hold.held
    assert services.order_check_texts(check) == ["The amount exceeds the free limit."]
    assert services.order_check(actor=users["rm"], facility=held_setup, amount="1000", currency="CNY").allowed


def test_a_facility_used_beyond_its_limit_holds_deliveries(held_setup, customer, users):
    make_invoice(customer, "1200", number="INV-9", due=TODAY + dt.timedelta(days=20), created_by=users["rm"],
                 facility=held_setup)
    evaluate(customer_ids=[customer.pk])
    hold = CustomerHold.objects.get(customer=customer, status="held")
    assert hold.reasons == [rules.HOLD_OVER_LIMIT]
    text = services.hold_reason_texts(hold)[0]
    assert text == f"Facility #{held_setup.pk} is used beyond its limit: 1200.00 of 1000.00 CNY."


# --- released ------------------------------------------------------------------------------------------------------

def test_released_automatically_when_the_cause_clears(held_setup, customer, users):
    invoice = overdue(customer, users, 31)
    evaluate(customer_ids=[customer.pk])
    Invoice.objects.filter(pk=invoice.pk).update(status="paid", paid_amount=invoice.amount, paid_on=TODAY)
    assert evaluate(customer_ids=[customer.pk])["released"] == 1
    hold = CustomerHold.objects.get(customer=customer)
    assert hold.status == "released" and hold.release_kind == "automatic" and not hold.override
    assert hold.released_by == system_user()
    assert AuditEvent.objects.filter(object_type="credit.customerhold", object_id=str(hold.pk), verb="release",
                                     action=AuditEvent.Action.TRANSITION).exists()
    services.order_record(actor=users["rm"], facility=held_setup, amount="100", currency="CNY", reference="PO-3")


def test_manual_release_needs_the_permission_and_a_reason_and_stands_until_the_cause_clears(
        held_setup, customer, users):
    invoice = overdue(customer, users, 31)
    evaluate(customer_ids=[customer.pk])
    hold = CustomerHold.objects.get(customer=customer)
    for role in ("rm", "analyst", "collector", "riskadmin", "auditor"):
        with pytest.raises(NotAllowed):
            services.hold_release(actor=users[role], hold=hold, reason="paid by wire today")
    with pytest.raises(ValidationFailed):
        services.hold_release(actor=users["approver1"], hold=hold, reason="  ")
    hold.refresh_from_db()
    assert hold.is_active
    released = services.hold_release(actor=users["approver1"], hold=hold, reason="Payment confirmed by the bank")
    assert released.status == "released" and released.release_kind == "manual" and released.override
    assert released.released_by == users["approver1"]
    event = AuditEvent.objects.get(object_type="credit.customerhold", object_id=str(hold.pk), verb="release")
    assert event.actor_username == users["approver1"].username
    assert event.after["reason"] == "Payment confirmed by the bank"
    # deliveries resume although the customer is still past due: the release stands for that cause
    services.order_record(actor=users["rm"], facility=held_setup, amount="100", currency="CNY", reference="PO-4")
    assert evaluate(customer_ids=[customer.pk])["placed"] == 0
    # a new cause holds again
    make_invoice(customer, "1500", number="INV-8", due=TODAY + dt.timedelta(days=5), created_by=users["rm"],
                 facility=held_setup)
    evaluate(customer_ids=[customer.pk])
    again = CustomerHold.objects.get(customer=customer, status="held")
    assert again.reasons == [rules.HOLD_OVER_LIMIT]
    services.hold_release(actor=users["approver1"], hold=again, reason="The limit increase is being approved")
    assert evaluate(customer_ids=[customer.pk])["placed"] == 0  # both releases stand
    assert selectors.hold_status(customer).held is False
    # once the released cause has cleared, the release is spent
    Invoice.objects.filter(pk=invoice.pk).update(status="paid", paid_amount=invoice.amount, paid_on=TODAY)
    assert evaluate(customer_ids=[customer.pk])["spent"] == 1
    released.refresh_from_db()
    assert not released.override
    again.refresh_from_db()
    assert again.override  # its cause (the limit) remains
    with pytest.raises(Exception):
        services.hold_release(actor=users["approver1"], hold=released, reason="again")


def test_only_approvers_and_the_system_hold_the_release_permission():
    holders = {role for role, entries in access.ROLE_PERMISSIONS.items() if "credit.release_customerhold" in entries}
    assert holders == {access.APPROVER, access.SYSTEM}


def test_the_monitoring_run_places_and_releases_holds(held_setup, customer, users):
    from monitoring.tasks import evaluate_customers

    invoice = overdue(customer, users, 31)
    evaluate_customers(customer_ids=[customer.pk])
    assert CustomerHold.objects.filter(customer=customer, status="held").exists()
    Invoice.objects.filter(pk=invoice.pk).update(status="paid", paid_amount=invoice.amount, paid_on=TODAY)
    evaluate_customers(customer_ids=[customer.pk])
    assert not CustomerHold.objects.filter(customer=customer, status="held").exists()


def test_the_evaluation_of_many_customers_runs_in_constant_queries(held_setup, customer, users, make_customer,
                                                                   django_assert_max_num_queries):
    overdue(customer, users, 31)
    others = [make_customer() for _ in range(5)]
    for i, other in enumerate(others):
        make_facility(other, "1000", start=dt.date(2026, 1, 1), expiry=dt.date(2026, 12, 31))
        overdue(other, users, 40, number=f"INV-O{i}")
    evaluate(customer_ids=[customer.pk])
    with django_assert_max_num_queries(30 + 3 * 5):  # one insert and one audit row per new hold
        summary = evaluate()
    assert summary["placed"] == 5


# --- pages and API -----------------------------------------------------------------------------------------------

@pytest.fixture
def hold(held_setup, customer, users):
    overdue(customer, users, 31)
    evaluate(customer_ids=[customer.pk])
    return CustomerHold.objects.get(customer=customer)


def test_hold_pages_show_the_reasons_and_only_approvers_release(hold, users, client):
    for role in ("rm", "analyst", "approver1", "collector", "riskadmin", "auditor"):
        client.force_login(users[role])
        page = client.get(reverse("credit:hold_list"))
        assert page.status_code == 200
        assert "Overdue 31 days" in page.content.decode()
        detail = client.get(reverse("credit:hold_detail", args=[hold.pk])).content.decode()
        assert (reverse("credit:hold_release", args=[hold.pk]) in detail) == (role == "approver1")
        if role != "approver1":
            answer = client.post(reverse("credit:hold_release", args=[hold.pk]), {"reason": "x"})
            assert answer.status_code == 403
    client.force_login(users["approver1"])
    url = reverse("credit:hold_release", args=[hold.pk])
    assert client.post(url, {"reason": ""}).status_code == 200  # the form again, with the error
    hold.refresh_from_db()
    assert hold.is_active
    answer = client.post(url, {"reason": "The customer paid by wire"})
    assert answer.status_code == 302
    hold.refresh_from_db()
    assert hold.status == "released" and hold.release_reason == "The customer paid by wire"


def test_another_portfolio_does_not_see_the_hold(hold, users, make_user, client, api_for):
    other = make_user("rm_other", role="relationship_manager")
    client.force_login(other)
    assert client.get(reverse("credit:hold_detail", args=[hold.pk])).status_code == 404
    assert "Overdue" not in client.get(reverse("credit:hold_list")).content.decode()
    assert api_for(other).get(f"/api/v1/order-holds/{hold.pk}/").status_code == 404


def test_hold_api_lists_and_releases_for_approvers_only(hold, users, api_for):
    listed = api_for(users["auditor"]).get("/api/v1/order-holds/?status=held")
    assert listed.status_code == 200
    row = listed.json()["results"][0]
    assert row["reasons"] == [rules.HOLD_OVERDUE] and "Overdue 31 days" in row["reason_texts"][0]
    for role in ("rm", "analyst", "collector", "riskadmin", "auditor"):
        answer = api_for(users[role]).post(f"/api/v1/order-holds/{hold.pk}/release/", {"reason": "x"},
                                           format="json")
        assert answer.status_code == 403
    answer = api_for(users["approver1"]).post(f"/api/v1/order-holds/{hold.pk}/release/", {"reason": ""},
                                              format="json")
    assert answer.status_code == 400
    answer = api_for(users["approver1"]).post(f"/api/v1/order-holds/{hold.pk}/release/",
                                              {"reason": "Guarantee received"}, format="json")
    assert answer.status_code == 200 and answer.json()["status"] == "released"
    again = api_for(users["approver1"]).post(f"/api/v1/order-holds/{hold.pk}/release/",
                                             {"reason": "Guarantee received"}, format="json")
    assert again.status_code == 409


def test_order_check_api_says_why_and_is_refused_to_roles_without_the_check(hold, held_setup, users, api_for):
    url = f"/api/v1/facilities/{held_setup.pk}/order-check/"
    answer = api_for(users["rm"]).post(url, {"amount": "100"}, format="json")
    assert answer.status_code == 200
    body = answer.json()
    assert body["allowed"] is False and body["held"] is True and body["hold"] == hold.pk
    assert [r["code"] for r in body["reasons"]] == ["held", rules.HOLD_OVERDUE]
    assert body["reasons"][1]["message"] == "Overdue 31 days, beyond the policy's tolerance of 30 days."
    for role in ("collector", "riskadmin", "auditor"):
        assert api_for(users[role]).post(url, {"amount": "100"}, format="json").status_code == 403
    assert api_for(users["rm"]).post(url, {"amount": "abc"}, format="json").status_code == 400
    refused = api_for(users["rm"]).post("/api/v1/orders/", {"facility": held_setup.pk, "reference": "PO-9",
                                                           "amount": "100", "currency": "CNY"}, format="json")
    assert refused.status_code == 400 and "Overdue 31 days" in refused.json()["detail"]


def test_facility_page_and_header_show_the_hold(hold, held_setup, users, client):
    client.force_login(users["rm"])
    page = client.get(reverse("credit:facility_detail", args=[held_setup.pk]),
                      {"amount": "100", "currency": "CNY"}).content.decode()
    assert "customer-header-hold" in page
    assert reverse("credit:hold_detail", args=[hold.pk]) in page
    assert "Overdue 31 days, beyond the policy&#x27;s tolerance of 30 days." in page
    assert "Deliveries to the customer are held since 2026-06-30." in page


def test_the_header_says_not_held_without_a_cause(held_setup, customer):
    from monitoring.header import customer_header

    header = customer_header(customer)
    assert not header.hold.held and header.hold_reasons == []


def test_the_hold_list_exports_with_the_reasons(hold, users, client):
    from tests.exports import column, export

    client.force_login(users["auditor"])
    for fmt in ("csv", "xlsx"):
        rows = export(client, reverse("credit:hold_list"), fmt)
        assert column(rows, "Reasons") == ["Overdue 31 days, beyond the policy's tolerance of 30 days."]


def test_the_order_check_on_the_facility_page_is_for_those_who_may_check(hold, held_setup, users, client):
    client.force_login(users["collector"])  # reads facilities, may not run the order check
    page = client.get(reverse("credit:facility_detail", args=[held_setup.pk]), {"amount": "100", "currency": "CNY"})
    assert page.status_code == 200
    assert "Deliveries to the customer are held since" not in page.content.decode()
