"""Insurance through its services: the split, buyer limits, the insurer's deadlines as alerts, claims and their
links to collection's claim payout and write-off, the coverage rating inputs."""
import datetime as dt
from decimal import Decimal as D

import pytest

from audit.models import AuditEvent
from creditportal.core import clock
from creditportal.core.errors import Conflict, NotAllowed, ValidationFailed
from insurance import selectors, services
from insurance.models import BuyerLimit
from tests.factories import invoice

pytestmark = pytest.mark.django_db


def test_split_of_an_insured_customer_by_hand(insured, today):
    # exposure = max(limit 1,000,000, usage 0) = 1,000,000; min(1,000,000, 600,000) × 90% = 540,000
    split = selectors.coverage_by_customer([insured.pk])[insured.pk]
    assert (split.exposure, split.insured, split.uninsured) == (D("1000000.00"), D("540000.00"), D("460000.00"))
    assert split.insured_share == D("0.5400")


def test_an_expired_buyer_limit_covers_nothing(insured, today):
    limit = BuyerLimit.objects.get(customer=insured)
    BuyerLimit.objects.filter(pk=limit.pk).update(valid_to=dt.date(2026, 6, 14))  # ended yesterday, still "granted"
    split = selectors.coverage_by_customer([insured.pk])[insured.pk]
    assert (split.insured, split.uninsured) == (D("0.00"), D("1000000.00"))
    from accounts.system import system_user

    assert services.buyer_limits_expire(actor=system_user()) == 1
    assert BuyerLimit.objects.get(pk=limit.pk).state == "expired"
    assert selectors.coverage_by_customer([insured.pk])[insured.pk].insured == D("0.00")


def test_a_withdrawn_limit_covers_nothing(insured, users, today):
    limit = BuyerLimit.objects.get(customer=insured)
    services.buyer_limit_withdraw(actor=users["analyst"], limit=limit, note="Buyer's payment record")
    assert selectors.coverage_by_customer([insured.pk])[insured.pk].insured == D("0.00")


def test_buyer_limit_lifecycle_is_recorded_and_audited(users, make_customer, sinosure, today):
    customer = make_customer()
    with pytest.raises(NotAllowed):
        services.buyer_limit_request(actor=users["collector"], policy=sinosure, customer=customer, amount="100")
    limit = services.buyer_limit_request(actor=users["analyst"], policy=sinosure, customer=customer,
                                         amount="800000", conditions="Letter of credit above 1m")
    assert limit.state == "requested"
    assert selectors.coverage_by_customer([customer.pk])[customer.pk].covered == D("0.00")
    with pytest.raises(Conflict):
        services.buyer_limit_request(actor=users["analyst"], policy=sinosure, customer=customer, amount="1")
    with pytest.raises(ValidationFailed):
        services.buyer_limit_grant(actor=users["riskadmin"], limit=limit, amount="500000",
                                   valid_from=dt.date(2026, 7, 1), valid_to=dt.date(2026, 6, 1))
    limit = services.buyer_limit_grant(actor=users["riskadmin"], limit=limit, amount="500000",
                                       valid_from=dt.date(2026, 6, 1), valid_to=dt.date(2026, 12, 31),
                                       insurer_reference="SIN-BL-88")
    assert (limit.state, limit.amount) == ("granted", D("500000"))
    with pytest.raises(ValidationFailed):
        services.buyer_limit_reduce(actor=users["analyst"], limit=limit, amount="600000")
    limit = services.buyer_limit_reduce(actor=users["analyst"], limit=limit, amount="300000")
    assert (limit.state, limit.amount) == ("reduced", D("300000"))
    with pytest.raises(NotAllowed):
        services.buyer_limit_withdraw(actor=users["rm"], limit=limit)
    limit = services.buyer_limit_withdraw(actor=users["analyst"], limit=limit)
    assert limit.state == "withdrawn"
    verbs = set(AuditEvent.objects.filter(object_type="insurance.buyerlimit", object_id=str(limit.pk))
                .values_list("verb", flat=True))
    assert {"buyerlimit_grant", "buyerlimit_reduce", "buyerlimit_withdraw"} <= verbs


def _evaluate(on_date, customer):
    from accounts.system import system_user
    from monitoring.models import Alert
    from monitoring.services import alerts_evaluate

    clock.set_today(on_date)
    alerts_evaluate(actor=system_user(), on_date=on_date, customer_ids=[customer.pk])
    return Alert.objects.filter(customer=customer, rule__code="insurer-notice-due").first()


def test_notify_the_insurer_alert_at_its_day_and_cleared_by_the_notification(insured, users, today):
    # due 2026-04-16, notify within 60 days past due → the last day is 2026-06-15
    inv = invoice(insured, "200000", number="INV-N1", due=dt.date(2026, 4, 16), created_by=users["rm"])
    deadline = dt.date(2026, 6, 15)
    assert _evaluate(deadline - dt.timedelta(days=1), insured) is None
    alert = _evaluate(deadline, insured)
    assert alert is not None and alert.still_firing and alert.value == 0
    assert alert.detail["invoice"] == "INV-N1"
    with pytest.raises(NotAllowed):
        services.notification_record(actor=users["rm"], invoice=inv, notified_on=deadline, reference="X")
    services.notification_record(actor=users["collector"], invoice=inv, notified_on=deadline, reference="SIN-RPT-1")
    with pytest.raises(Conflict):
        services.notification_record(actor=users["collector"], invoice=inv, notified_on=deadline, reference="again")
    alert = _evaluate(deadline, insured)
    assert alert.still_firing is False


def test_an_uninsured_invoice_raises_no_insurer_alert(make_customer, users, sinosure, today):
    plain = make_customer()
    invoice(plain, "1000", number="INV-P1", due=dt.date(2026, 4, 16), created_by=users["rm"])
    assert _evaluate(dt.date(2026, 6, 15), plain) is None
    assert selectors.notification_deadlines([plain.pk], dt.date(2026, 6, 15)) == {}


def test_invoice_on_terms_beyond_the_policy_is_not_insured(insured, users, today):
    invoice(insured, "1000", number="INV-LONG", due=dt.date(2026, 4, 16), issued=dt.date(2025, 10, 1),
            created_by=users["rm"])
    assert selectors.insured_overdue_invoices([insured.pk], today) == []


def test_claim_before_its_deadline_and_its_links(insured, users, today):
    from collection.models import ClaimPayout, CollectionCase, WriteOff, WriteOffItem

    inv = invoice(insured, "200000", number="INV-C1", due=dt.date(2026, 2, 20), created_by=users["rm"])
    # claim deadline: 2026-02-20 + 120 days = 2026-06-20
    with pytest.raises(ValidationFailed):
        services.claim_file(actor=users["collector"], invoice=inv, amount="300000", filed_on=today)  # > owed
    claim = services.claim_file(actor=users["collector"], invoice=inv, amount="200000", filed_on=today,
                                reference="SIN-CL-1")
    assert claim.state == "filed" and claim.policy.policy_number == "SIN-2026-01"
    with pytest.raises(Conflict):
        services.claim_file(actor=users["collector"], invoice=inv, amount="1", filed_on=today)
    claim = services.claim_accept(actor=users["analyst"], claim=claim)
    with pytest.raises(ValidationFailed):
        services.claim_pay(actor=users["analyst"], claim=claim, paid_amount="200001", paid_on=today)
    claim = services.claim_pay(actor=users["analyst"], claim=claim, paid_amount="180000", paid_on=today)
    assert (claim.state, claim.paid_amount) == ("paid", D("180000"))

    other = invoice(insured, "5", number="INV-C2", due=dt.date(2026, 2, 1), created_by=users["rm"])
    payout = ClaimPayout.objects.create(customer=insured, invoice=inv, paid_on=today, amount=D("180000"),
                                        reason="Sinosure indemnity", created_by=users["rm"])
    wrong = ClaimPayout.objects.create(customer=insured, invoice=other, paid_on=today, amount=D("5"),
                                       reason="other", created_by=users["rm"])
    case = CollectionCase.objects.create(customer=insured, opened_on=today, opened_by=users["collector"])
    write_off = WriteOff.objects.create(case=case, amount=D("20000"), reason="Uninsured 10%",
                                        proposed_by=users["collector"], proposed_on=today)
    WriteOffItem.objects.create(write_off=write_off, invoice=inv, amount=D("20000"))
    with pytest.raises(ValidationFailed):
        services.claim_link(actor=users["collector"], claim=claim, claim_payout=wrong)
    claim = services.claim_link(actor=users["collector"], claim=claim, claim_payout=payout, write_off=write_off)
    assert (claim.claim_payout_id, claim.write_off_id) == (payout.pk, write_off.pk)
    assert payout.insurance_claims.get() == claim and write_off.insurance_claims.get() == claim


def test_a_claim_after_the_deadline_is_refused(insured, users, today):
    inv = invoice(insured, "1000", number="INV-L1", due=dt.date(2026, 2, 14), created_by=users["rm"])
    with pytest.raises(ValidationFailed, match="2026-06-14"):
        services.claim_file(actor=users["collector"], invoice=inv, amount="1000", filed_on=today)


def test_coverage_input_source_set_wise(insured, make_customer, users, sinosure, today, django_assert_max_num_queries):
    from ratings.providers import extra_inputs_for

    plain = make_customer()
    others = [make_customer() for _ in range(5)]
    ids = [insured.pk, plain.pk] + [c.pk for c in others]
    with django_assert_max_num_queries(10) as few:
        extra_inputs_for([insured.pk, plain.pk], today)
    with django_assert_max_num_queries(10) as many:
        inputs = extra_inputs_for(ids, today)["coverage"]
    assert len(few.captured_queries) == len(many.captured_queries)
    assert inputs[insured.pk]["insured_share"] == "0.5400"
    assert inputs[plain.pk] == {}
