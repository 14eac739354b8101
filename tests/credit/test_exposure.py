"""Grade caps, policy limits and group limits apply to exposure (design brief §3), not to one application.

A customer's exposure is the sum over its facilities of max(limit, usage) plus its pending applications;
the caps apply to the exposure after the amount applied for; a group's exposure is its members' sum and a
group limit is hard. The fixture policy caps grade A at CNY 50m; FX: USD 7, EUR 8.
"""
import datetime as dt
from decimal import Decimal as D

import pytest

from credit import selectors, services
from credit.models import CreditApplication, Facility, Order
from creditportal.core.errors import ValidationFailed

from tests.config import configured

from .conftest import M

S = CreditApplication.Status
pytestmark = pytest.mark.django_db


def facility(customer, limit, currency="CNY"):
    return Facility.objects.create(customer=customer, limit=D(limit), currency=currency,
                                   start_date=dt.date(2026, 1, 1), expiry_date=dt.date(2027, 1, 1))


def submit(setup, app, **kw):
    return services.application_submit(actor=setup.users["rm"], application=app, **kw)


def refused(setup, app, code="max_limit"):
    with pytest.raises(ValidationFailed) as info:
        submit(setup, app)
    assert info.value.code == "policy_violation"
    app.refresh_from_db()
    assert app.status == S.DRAFT
    assert code in " ".join(info.value.field_errors["policy"]) or code in str(info.value)
    return info.value


@pytest.mark.parametrize("amount, ok", [
    ("42000000", True),          # 8m + 42m = 50m: at the cap
    ("41999999.99", True),
    ("42000000.01", False),      # a cent above
    ("45000000", False),         # the case: 8m existing + 45m new under a 50m cap
])
def test_grade_cap_applies_to_existing_limits_plus_the_amount(setup, new_application, amount, ok):
    facility(setup.customer, "8000000")
    app = new_application(amount=amount)
    if ok:
        app = submit(setup, app)
        assert app.status == S.SUBMITTED
        assert D(app.policy_result["exposure_after"]) == D("8000000") + D(amount)
    else:
        refused(setup, app, "maximum limit")


@pytest.mark.parametrize("amount, ok", [("20000000", True), ("20000000.01", False)])
def test_pending_applications_count_in_the_exposure(setup, new_application, amount, ok):
    submit(setup, new_application(amount="30000000"))        # pending: 30m
    app = new_application(amount=amount)
    if ok:
        assert submit(setup, app).status == S.SUBMITTED       # 30m + 20m = 50m
    else:
        refused(setup, app, "maximum limit")


def test_a_drafted_application_is_not_exposure_but_a_withdrawn_one_frees_it(setup, new_application):
    draft = new_application(amount="30000000")               # never submitted: not pending
    pending = submit(setup, new_application(amount="30000000"))
    refused(setup, new_application(amount="30000000"), "maximum limit")  # 30m pending + 30m > 50m
    services.application_withdraw(actor=setup.users["rm"], application=pending)
    assert submit(setup, draft).status == S.SUBMITTED


@pytest.mark.parametrize("amount, ok", [("40000000", True), ("40000000.01", False)])
def test_usage_above_the_limit_counts(setup, new_application, amount, ok):
    f = facility(setup.customer, "8000000")
    Order.objects.create(facility=f, reference="PO-1", amount=D("10000000"), currency="CNY",
                         created_by=setup.users["rm"])     # 10m used on an 8m limit
    assert selectors.customer_exposures([setup.customer.pk])[setup.customer.pk] == D("10000000")
    app = new_application(amount=amount)
    if ok:
        assert submit(setup, app).status == S.SUBMITTED   # 10m + 40m = 50m
    else:
        refused(setup, app, "maximum limit")


@pytest.mark.parametrize("amount, ok", [("43000000", True), ("43000000.01", False)])
def test_mixed_currencies_go_through_the_fx_table(setup, new_application, amount, ok):
    facility(setup.customer, "1000000", currency="USD")    # = CNY 7m
    app = new_application(amount=amount)
    if ok:
        assert submit(setup, app).status == S.SUBMITTED   # 7m + 43m = 50m
    else:
        refused(setup, app, "maximum limit")


def test_an_increase_replaces_the_facility_it_changes(setup, new_application):
    f = facility(setup.customer, "8000000")
    app = new_application(amount="50000000", application_type=CreditApplication.Type.INCREASE, facility=f)
    assert submit(setup, app).status == S.SUBMITTED        # 50m replaces 8m: at the cap, not 58m
    other = new_application(amount="50000000.01", application_type=CreditApplication.Type.INCREASE, facility=f)
    refused(setup, other, "maximum limit")


def test_the_cap_is_checked_again_when_the_last_level_approves(setup, new_application, to_pending):
    app = to_pending(new_application(amount="45000000"))   # fine when submitted
    facility(setup.customer, "8000000")                    # meanwhile another limit opened: 53m
    with pytest.raises(ValidationFailed) as info:
        for level in range(1, app.required_levels + 1):
            app = services.application_approve(actor=setup.users[f"approver{level}"], application=app, comment="ok")
    assert info.value.code == "policy_violation"
    app.refresh_from_db()
    assert app.status == S.PENDING_APPROVAL and app.facility_id is None


# --- Group limits are hard -----------------------------------------------------------------------

@pytest.fixture
def group(setup, make_customer, ratings_stub):
    from customers.models import CustomerGroup

    g = CustomerGroup.objects.create(name="华东集团")
    setup.customer.group = g
    setup.customer.save()
    sister = make_customer("华东物流", group=g)
    ratings_stub[sister.pk] = "A"
    facility(sister, "20000000")
    configured(services.group_limit_propose(actor=setup.users["riskadmin"], group=g, limit="30000000", currency="CNY"))
    return g


@pytest.mark.parametrize("amount, ok", [("9999999.99", True), ("10000000", True), ("10000000.01", False)])
def test_group_limit_at_and_around_it(setup, group, new_application, amount, ok):
    app = new_application(amount=amount)                   # sister 20m + amount against 30m
    if ok:
        assert submit(setup, app).status == S.SUBMITTED
    else:
        error = refused(setup, app, "group limit")
        assert error.code == "policy_violation"


def test_group_limit_is_hard_no_exception_opens_it_until_it_is_raised(setup, group, new_application):
    app = new_application(amount="15000000")
    with pytest.raises(ValidationFailed) as info:
        submit(setup, app, exception_reason="Strategic customer")
    assert info.value.code == "policy_violation"
    configured(services.group_limit_propose(actor=setup.users["riskadmin"], group=group, limit="35000000", currency="CNY"))
    assert submit(setup, app).status == S.SUBMITTED


def test_group_limit_counts_members_pending_applications_and_currencies(setup, group, new_application, make_customer,
                                                                        ratings_stub):
    third = make_customer("华东仓储", group=group)
    ratings_stub[third.pk] = "A"
    facility(third, "500000", currency="USD")             # CNY 3.5m
    submit(setup, new_application(amount="4000000", customer=third))   # pending 4m for another member
    # 20m + 3.5m + 4m = 27.5m: 2.5m left under 30m
    assert submit(setup, new_application(amount="2500000")).status == S.SUBMITTED
    refused(setup, new_application(amount="0.01"), "group limit")


def test_group_limit_in_another_currency(setup, group, new_application):
    configured(services.group_limit_propose(actor=setup.users["riskadmin"], group=group, limit="5000000", currency="EUR"))  # 40m
    assert submit(setup, new_application(amount="20000000")).status == S.SUBMITTED   # 20m + 20m = 40m
    refused(setup, new_application(amount="0.01"), "group limit")


def test_api_refuses_the_application_over_the_cap(setup, new_application, api_for):
    facility(setup.customer, "8000000")
    app = new_application(amount="45000000")
    response = api_for(setup.users["rm"]).post(f"/api/v1/applications/{app.pk}/submit/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "policy_violation"


def test_the_application_page_shows_the_exposure_the_caps_were_tested_on(setup, group, new_application, client_for):
    from django.urls import reverse

    facility(setup.customer, "3000000")
    app = submit(setup, new_application(amount="5000000"))
    html = client_for(setup.users["rm"]).get(reverse("credit:application_detail", args=[app.pk])).content.decode()
    assert "Customer&#x27;s exposure with this amount" in html or "Customer's exposure with this amount" in html
    assert "8,000,000.00" in html            # 3m + 5m
    assert "28,000,000.00" in html           # with the sister's 20m
    assert "30,000,000.00" in html           # the group limit
