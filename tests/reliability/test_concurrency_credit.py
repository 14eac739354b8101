"""Races on PostgreSQL (credit): twenty approvers at once, twenty orders on one facility."""
import datetime as dt
from decimal import Decimal as D

import pytest

from credit import selectors, services
from credit.models import CreditApplication, Decision, Facility, Order
from creditportal.core.errors import Conflict, NotAllowed, ValidationFailed
from tests.credit.conftest import (  # noqa: F401 - fixtures
    _english, _fixed_business_date, customer, fx, make_customer, matrix, new_application, policy, ratings_stub,
    setup, to_pending)

from tests.threads import run_at_once
from tests.config import configured

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_approvers_at_once_exactly_one_succeeds(setup, new_application, to_pending, make_user):
    users = dict(setup.users)
    approvers = [users["approver2"], users["approver3"]]
    for i in range(18):
        u = make_user(f"approver-x{i}", "approver")
        configured(services.approver_authority_propose(actor=users["riskadmin"], user=u, level=setup.matrix[1]))
        approvers.append(u)
    app = to_pending(new_application(amount="25000000"))
    level = app.current_level
    copies = [CreditApplication.objects.get(pk=app.pk) for _ in approvers]
    results = run_at_once([
        (lambda u=u, c=c: services.application_approve(actor=u, application=c, comment="ok"))
        for u, c in zip(approvers, copies)
    ])
    successes = [r for r in results if isinstance(r, CreditApplication)]
    refused = [r for r in results if isinstance(r, (Conflict, NotAllowed, ValidationFailed))]
    assert len(successes) == 1, results
    assert len(refused) == 19, [type(r) for r in results]
    app.refresh_from_db()
    assert app.current_level == level + 1 or app.state != "pending_approval"
    assert Decision.objects.filter(application=app, action="approve").count() == 1


def test_twenty_orders_on_one_facility_never_exceed_the_limit(setup):
    facility = Facility.objects.create(customer=setup.customer, limit=D("1000"), currency="CNY",
                                       start_date=dt.date(2026, 1, 1), expiry_date=dt.date(2027, 1, 1))
    rm = setup.users["rm"]
    results = run_at_once([
        (lambda i=i: services.order_record(actor=rm, facility=Facility.objects.get(pk=facility.pk),
                                           amount="150", currency="CNY", reference=f"R-{i}"))
        for i in range(20)
    ])
    recorded = [r for r in results if isinstance(r, Order)]
    assert all(isinstance(r, (Order, ValidationFailed, Conflict)) for r in results), results
    assert len(recorded) == 6  # 6 × 150 = 900 ≤ 1000 < 1050
    assert selectors.utilisation([facility])[facility.pk] <= D("1000")
    assert Order.objects.filter(facility=facility).count() == 6
