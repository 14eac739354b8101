"""Races on PostgreSQL: two approvers at once give exactly one transition; many orders never exceed a limit."""
import datetime as dt
from decimal import Decimal as D

import pytest

from credit import selectors, services
from credit.models import CreditApplication, Decision, Facility, GroupLimit, Order
from creditportal.core.errors import Conflict, NotAllowed, ValidationFailed
from tests.threads import run_at_once
from tests.config import configured

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("first, second", [("approver2", "approver3"), ("approver2", "approver2b")])
def test_two_approvers_at_once_exactly_one_succeeds(setup, new_application, to_pending, make_user, first, second):
    users = dict(setup.users)
    users["approver2b"] = make_user("approver2b", "approver")
    configured(services.approver_authority_propose(actor=users["riskadmin"], user=users["approver2b"],
                                                   level=setup.matrix[1]))
    app = to_pending(new_application(amount="25000000"))
    assert app.current_level == 1
    seen_a = CreditApplication.objects.get(pk=app.pk)
    seen_b = CreditApplication.objects.get(pk=app.pk)
    results = run_at_once([
        lambda: services.application_approve(actor=users[first], application=seen_a, comment="a"),
        lambda: services.application_approve(actor=users[second], application=seen_b, comment="b"),
    ])
    successes = [r for r in results if isinstance(r, CreditApplication)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(successes) == 1 and len(conflicts) == 1, results
    app.refresh_from_db()
    assert app.current_level == 2
    assert Decision.objects.filter(application=app, action="approve").count() == 1


def test_two_approvers_through_the_api_one_gets_409(setup, new_application, to_pending, api_for):
    app = to_pending(new_application(amount="25000000"))
    url = f"/api/v1/applications/{app.pk}/approve/"
    clients = [api_for(setup.users["approver2"]), api_for(setup.users["approver3"])]
    results = run_at_once([lambda c=c: c.post(url, {"comment": "ok", "level": 1}, format="json") for c in clients])
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409], [getattr(r, "data", r) for r in results]
    assert Decision.objects.filter(application=app, action="approve").count() == 1


def _facility(customer, limit="1000", currency="CNY"):
    return Facility.objects.create(customer=customer, limit=D(limit), currency=currency,
                                   start_date=dt.date(2026, 1, 1), expiry_date=dt.date(2027, 1, 1))


def test_twenty_orders_at_once_never_exceed_the_limit(setup):
    facility = _facility(setup.customer, "1000")
    rm = setup.users["rm"]
    results = run_at_once([
        (lambda i=i: services.order_record(actor=rm, facility=facility, amount="100", currency="CNY",
                                           reference=f"SO-{i}"))
        for i in range(20)
    ])
    recorded = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, ValidationFailed)]
    assert len(recorded) == 10 and len(refused) == 10, [type(r) for r in results]
    assert selectors.utilisation([facility])[facility.pk] == D("1000")


def test_orders_on_two_facilities_of_a_group_never_exceed_the_group_limit(setup, make_customer, ratings_stub):
    from customers.models import CustomerGroup

    group = CustomerGroup.objects.create(name="集团")
    setup.customer.group = group
    setup.customer.save()
    sister = make_customer("子公司", group=group)
    ratings_stub[sister.pk] = "A"
    f1, f2 = _facility(setup.customer, "1000"), _facility(sister, "1000")
    GroupLimit.objects.create(group=group, limit=D("1000"), currency="CNY")
    rm = setup.users["rm"]
    sister.relationship_manager = rm
    sister.save()
    results = run_at_once([
        (lambda i=i: services.order_record(actor=rm, facility=f1 if i % 2 else f2, amount="100", currency="CNY",
                                           reference=f"G-{i}"))
        for i in range(16)
    ])
    assert sum(isinstance(r, Order) for r in results) == 10
    used = selectors.utilisation([f1, f2])
    assert used[f1.pk] + used[f2.pk] == D("1000")
