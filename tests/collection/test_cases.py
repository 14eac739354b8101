"""Collection cases: transitions, promises kept and broken, write-off four-eyes, recoveries, refusals."""
import datetime as dt
from decimal import Decimal as D

import pytest

from collection import services
from collection.models import CollectionCase, Invoice, PromiseToPay
from creditportal.core import clock
from creditportal.core.errors import Conflict, NotAllowed

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(users, customer, make_invoice, today):
    make_invoice(customer, "1000.00", days_past_due=40)
    make_invoice(customer, "500.00", days_past_due=10)
    return services.case_open(actor=users["collector"], customer=customer)


def test_case_assigned_to_least_loaded_collector(users, make_user, make_customer, make_invoice, today):
    busy = users["collector"]
    idle = make_user("collector2", "collector")
    c1, c2 = make_customer("一"), make_customer("二")
    make_invoice(c1, "10", days_past_due=5)
    make_invoice(c2, "10", days_past_due=5)
    first = services.case_open(actor=users["collector"], customer=c1)
    second = services.case_open(actor=users["collector"], customer=c2)
    assert {first.assigned_to, second.assigned_to} == {busy, idle}
    moved = services.case_assign(actor=users["collector"], case=second, collector=first.assigned_to)
    assert moved.assigned_to == first.assigned_to


def test_promise_kept_by_payment(users, customer, case, today):
    case = services.case_start(actor=users["collector"], case=case)
    promise = services.promise_add(actor=users["collector"], case=case, promised_date=today + dt.timedelta(days=5),
                                   amount="600.00")
    assert CollectionCase.objects.get(pk=case.pk).state == "promise_to_pay"
    services.payment_post(actor=users["collector"], customer=customer, amount="300.00", received_on=today)
    assert PromiseToPay.objects.get(pk=promise.pk).state == "pending"
    services.payment_post(actor=users["collector"], customer=customer, amount="300.00", received_on=today)
    assert PromiseToPay.objects.get(pk=promise.pk).state == "kept"


def test_promise_broken_moves_case_on_and_notifies(users, customer, case, today, mailoutbox,
                                                   django_capture_on_commit_callbacks):
    users["collector"].email = "collector@example.cn"
    users["collector"].save()
    from creditportal.core import events

    published = []
    events.subscribe("collection.promise_broken", lambda **kw: published.append(kw))
    promise = services.promise_add(actor=users["collector"], case=case, promised_date=today + dt.timedelta(days=2),
                                   amount="600.00")
    services.payment_post(actor=users["collector"], customer=customer, amount="100.00", received_on=today)
    on_date = today + dt.timedelta(days=2)
    clock.set_today(on_date)
    assert services.promises_evaluate(as_of=on_date)["broken"] == 0  # promised date not passed yet
    clock.set_today(on_date + dt.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        result = services.daily_run(as_of=on_date + dt.timedelta(days=1))
    assert result["broken"] == 1
    assert PromiseToPay.objects.get(pk=promise.pk).state == "broken"
    case.refresh_from_db()
    assert case.state == "in_progress" and case.broken_promises == 1
    assert published == [{"promise_id": promise.pk, "case_id": case.pk}]
    assert any("collector@example.cn" in m.to for m in mailoutbox)
    # a second broken promise escalates to an agency
    later = clock.today()
    services.promise_add(actor=users["collector"], case=case, promised_date=later, amount="50.00")
    clock.set_today(later + dt.timedelta(days=1))
    services.promises_evaluate(as_of=later + dt.timedelta(days=1))
    case.refresh_from_db()
    assert case.state == "escalated" and case.escalation_channel == "agency"


def test_case_paid_when_all_invoices_paid(users, customer, case, today):
    services.payment_post(actor=users["rm"], customer=customer, amount="1500.00", received_on=today)
    assert CollectionCase.objects.get(pk=case.pk).state == "paid"


def test_transition_from_wrong_state_is_conflict(users, case):
    services.case_close(actor=users["collector"], case=case, note="customer disputes")
    with pytest.raises(Conflict):
        services.case_start(actor=users["collector"], case=case)


def test_write_off_four_eyes_authority_and_recovery(users, customer, case, today, approver_authorities):
    case = services.case_escalate(actor=users["collector"], case=case, channel="litigation")
    writeoff = services.writeoff_propose(actor=users["collector"], case=case, reason="debtor insolvent")
    assert writeoff.amount == D("1500.00")
    with pytest.raises(NotAllowed):  # the proposer cannot approve (and has no approval right)
        services.writeoff_approve(actor=users["collector"], writeoff=writeoff)
    with pytest.raises(NotAllowed):  # a relationship manager cannot write off
        services.writeoff_approve(actor=users["rm"], writeoff=writeoff)
    with pytest.raises(NotAllowed):
        services.writeoff_propose(actor=users["rm"], case=case, reason="x")
    approved = services.writeoff_approve(actor=users["approver1"], writeoff=writeoff, note="ok")
    assert approved.state == "approved" and approved.decided_by == users["approver1"]
    assert set(Invoice.objects.filter(customer=customer).values_list("status", flat=True)) == {"written_off"}
    case.refresh_from_db()
    assert case.state == "written_off"
    with pytest.raises(Conflict):
        services.writeoff_approve(actor=users["approver2"], writeoff=writeoff)
    # 账销案存: recoveries after the write-off are recorded against the case
    services.recovery_record(actor=users["collector"], case=case, amount="200.00", received_on=today)
    from collection.selectors import case_totals

    assert case_totals(case) == [{"currency": "CNY", "amount": D("1500.00"), "paid": D("0"), "written_off": D("1500.00"),
                                  "outstanding": D("0"), "recovered": D("200.00")}]


def test_approver_must_approve_own_proposal_refused(users, make_user, customer, case):
    """Four-eyes holds even for someone who has both rights."""
    from django.contrib.auth.models import Group

    both = make_user("both", "collector")
    both.groups.add(Group.objects.get(name="approver"))
    case = services.case_start(actor=both, case=case)
    writeoff = services.writeoff_propose(actor=both, case=case, reason="small balance")
    with pytest.raises(NotAllowed):
        services.writeoff_approve(actor=both, writeoff=writeoff)


def test_write_off_above_authority_refused(users, customer, case):
    from credit.models import ApproverAuthority, AuthorityLevel

    level = AuthorityLevel.objects.create(number=91, name="small", max_amount=D("1000.00"))
    ApproverAuthority.objects.create(user=users["approver1"], level=level)
    case = services.case_start(actor=users["collector"], case=case)
    writeoff = services.writeoff_propose(actor=users["collector"], case=case, reason="uncollectable")
    with pytest.raises(NotAllowed):
        services.writeoff_approve(actor=users["approver1"], writeoff=writeoff)
    big = AuthorityLevel.objects.create(number=92, name="big", max_amount=None)
    ApproverAuthority.objects.create(user=users["approver2"], level=big)
    assert services.writeoff_approve(actor=users["approver2"], writeoff=writeoff).state == "approved"


def test_write_off_refused_to_an_approver_with_no_matrix_entry(users, customer, case):
    """An approver with no entry in the authority matrix had unlimited write-off authority."""
    from credit.models import ApproverAuthority

    assert not ApproverAuthority.objects.filter(user=users["approver1"]).exists()
    case = services.case_start(actor=users["collector"], case=case)
    writeoff = services.writeoff_propose(actor=users["collector"], case=case, reason="uncollectable")
    with pytest.raises(NotAllowed, match="authority matrix"):
        services.writeoff_approve(actor=users["approver1"], writeoff=writeoff)
    writeoff.refresh_from_db()
    assert writeoff.state == "proposed"


def test_write_off_delegation_is_capped_at_the_delegators_authority(users, customer, case, today):
    """A delegation of a high level by a delegator whose own level is lower lends only the delegator's level
    (write-offs read the same authority rule as applications)."""
    import datetime as dt

    from credit.models import ApproverAuthority, AuthorityLevel, Delegation

    small = AuthorityLevel.objects.create(number=91, name="small", max_amount=D("1000.00"))
    big = AuthorityLevel.objects.create(number=92, name="big", max_amount=None)
    ApproverAuthority.objects.create(user=users["approver2"], level=small)
    Delegation.objects.create(delegator=users["approver2"], delegate=users["approver1"], level=big,
                              start_date=today - dt.timedelta(days=1), end_date=today + dt.timedelta(days=5),
                              reason="leave", created_by=users["riskadmin"])
    case = services.case_start(actor=users["collector"], case=case)
    writeoff = services.writeoff_propose(actor=users["collector"], case=case, reason="uncollectable")
    assert writeoff.amount == D("1500.00")
    with pytest.raises(NotAllowed, match="exceeds your approval authority"):  # capped at 1,000
        services.writeoff_approve(actor=users["approver1"], writeoff=writeoff)
    # once the delegator's own authority covers it, the same delegation does
    ApproverAuthority.objects.filter(user=users["approver2"]).update(level=big)
    assert services.writeoff_approve(actor=users["approver1"], writeoff=writeoff).state == "approved"
