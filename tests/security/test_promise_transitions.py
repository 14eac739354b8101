"""Promises to pay change state only through their django-fsm transitions, each with an audit event.

Kept (by payments, or when the case is paid), cancelled (replaced by a new promise, or by a write-off) and
broken: the promise's state changes through ``keep`` / ``cancel`` / ``break_`` and the trail holds one
transition event per promise, set-wise (one UPDATE and one INSERT for many promises).
"""
import datetime as dt

import pytest

from audit.models import AuditEvent
from collection import services
from collection.models import PromiseToPay
from tests.collection.conftest import (  # noqa: F401 - fixtures
    _english_messages, customer, make_customer, make_invoice, policy, today)

pytestmark = pytest.mark.django_db


def promise_events(promise):
    return list(AuditEvent.objects.for_object("collection.promisetopay", promise.pk)
                .filter(action=AuditEvent.Action.TRANSITION).values_list("verb", "actor_username", "after"))


@pytest.fixture
def case(users, customer, make_invoice, today):
    make_invoice(customer, "1000.00", days_past_due=40)
    make_invoice(customer, "500.00", days_past_due=10)
    return services.case_start(actor=users["collector"],
                               case=services.case_open(actor=users["collector"], customer=customer))


def test_kept_by_payment_goes_through_the_transition_and_is_audited(users, customer, case, today):
    from accounts.system import system_user

    promise = services.promise_add(actor=users["collector"], case=case, promised_date=today + dt.timedelta(days=5),
                                   amount="600.00")
    assert promise_events(promise) == []
    services.payment_post(actor=users["collector"], customer=customer, amount="600.00", received_on=today)
    promise.refresh_from_db()
    assert (promise.state, promise.resolved_on) == ("kept", today)
    assert promise_events(promise) == [("promise_kept", system_user().username,
                                        {"state": "kept", "resolved_on": today.isoformat()})]


def test_a_new_promise_cancels_the_pending_one_with_an_audit_event(users, case, today):
    first = services.promise_add(actor=users["collector"], case=case, promised_date=today + dt.timedelta(days=5),
                                 amount="600.00")
    second = services.promise_add(actor=users["collector"], case=case, promised_date=today + dt.timedelta(days=9),
                                  amount="900.00")
    first.refresh_from_db()
    assert (first.state, first.resolved_on) == ("cancelled", today)
    assert [(verb, who) for verb, who, _ in promise_events(first)] == [("promise_replaced", "collector")]
    assert PromiseToPay.objects.get(pk=second.pk).state == "pending" and promise_events(second) == []


def test_paying_the_case_in_full_keeps_a_larger_promise_with_an_audit_event(users, customer, case, today):
    promise = services.promise_add(actor=users["collector"], case=case, promised_date=today + dt.timedelta(days=5),
                                   amount="5000.00")  # more than the case owes: only the case being paid keeps it
    services.payment_post(actor=users["collector"], customer=customer, amount="1500.00", received_on=today)
    case.refresh_from_db()
    promise.refresh_from_db()
    assert case.state == "paid" and promise.state == "kept"
    assert [verb for verb, _, _ in promise_events(promise)] == ["promise_kept"]


def test_a_write_off_cancels_the_pending_promise_with_an_audit_event(users, case, today, approver_authorities):
    promise = services.promise_add(actor=users["collector"], case=case, promised_date=today + dt.timedelta(days=5),
                                   amount="600.00")
    writeoff = services.writeoff_propose(actor=users["collector"], case=case, reason="debtor insolvent")
    services.writeoff_approve(actor=users["approver1"], writeoff=writeoff, note="ok")
    promise.refresh_from_db()
    assert promise.state == "cancelled"
    assert [(verb, who) for verb, who, _ in promise_events(promise)] == [("promise_cancelled_by_write_off",
                                                                          "approver1")]


def test_a_refused_write_off_leaves_the_promise_pending_and_unaudited(users, case, today):
    from creditportal.core.errors import NotAllowed

    promise = services.promise_add(actor=users["collector"], case=case, promised_date=today + dt.timedelta(days=5),
                                   amount="600.00")
    writeoff = services.writeoff_propose(actor=users["collector"], case=case, reason="debtor insolvent")
    with pytest.raises(NotAllowed):
        services.writeoff_approve(actor=users["collector"], writeoff=writeoff)  # four-eyes
    assert PromiseToPay.objects.get(pk=promise.pk).state == "pending" and promise_events(promise) == []


@pytest.mark.parametrize("count", [2, 6])
def test_keeping_many_promises_is_set_wise(users, make_customer, make_invoice, today, count,
                                           django_assert_max_num_queries):
    """Payments arrived before the promises were recorded: one evaluation keeps them all, in a constant number
    of queries, with one audit event each."""
    promises = []
    for n in range(count):
        customer = make_customer(f"客户{n}")
        make_invoice(customer, "1000.00", days_past_due=20)
        case = services.case_start(actor=users["collector"],
                                   case=services.case_open(actor=users["collector"], customer=customer))
        services.payment_post(actor=users["collector"], customer=customer, amount="400.00", received_on=today)
        promises.append(services.promise_add(actor=users["collector"], case=case,
                                             promised_date=today + dt.timedelta(days=3), amount="400.00"))
    with django_assert_max_num_queries(12):
        assert services.promises_evaluate(as_of=today, detect_broken=False) == {"kept": count, "broken": 0}
    assert set(PromiseToPay.objects.filter(pk__in=[p.pk for p in promises]).values_list("state", flat=True)) == {"kept"}
    assert AuditEvent.objects.filter(object_type="collection.promisetopay", verb="promise_kept",
                                     object_id__in=[str(p.pk) for p in promises]).count() == count
    # evaluating again finds nothing pending and writes nothing
    before = AuditEvent.objects.count()
    assert services.promises_evaluate(as_of=today, detect_broken=False) == {"kept": 0, "broken": 0}
    assert AuditEvent.objects.count() == before
