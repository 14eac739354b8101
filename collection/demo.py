"""Demo receivables for ``manage.py load_demo``: invoices paid on time, paid late, overdue in every bucket,
dunning as the system user, a case with a promise to pay and an escalated case. Under the behaviour rules
(DESIGN §3) the nightly batch then sees good payers (huadong_parent, jinghua_tech), a slow payer
(huadong_cement, 9 days late on average → C) and two customers whose D comes from real non-payment
(lingnan_food: 130,000 open 75–120 days; xibei_energy: nothing paid, in litigation). Idempotent (invoice numbers
``DEMO-…``), through the services, relative to the business date.

Uses ``context["users"]`` and ``context["customers"]`` (customers' demo); adds ``context["collection_cases"]``.
"""
import datetime as dt
from decimal import Decimal

from creditportal.core import clock

from . import services
from .models import CaseState, CollectionCase, Invoice

# customer key, [(suffix, amount, days past due today, days after due it was paid or None)]
PLAN = {
    "huadong_parent": [("01", "120000.00", 75, 0), ("02", "95000.00", 45, -2), ("03", "88000.00", 15, 0),
                       ("04", "132000.00", -20, None)],
    "huadong_cement": [("01", "64000.00", 80, 12), ("02", "58000.00", 50, 6), ("03", "71000.00", 18, None)],
    "huadong_logistics": [("01", "23000.00", 40, 3), ("02", "26000.00", -5, None)],
    # a good payer with one invoice in collection: 38,000 of 803,000 due in the window unpaid → B, not a veto
    "jinghua_tech": [("01", "45000.00", 70, 0), ("02", "38000.00", 45, None), ("03", "12000.00", 20, None),
                     ("04", "250000.00", 100, 0), ("05", "260000.00", 160, 1), ("06", "210000.00", 220, 0)],
    "lingnan_food": [("01", "150000.00", 130, 20), ("02", "76000.00", 75, None), ("03", "54000.00", 120, None)],
    "xibei_energy": [("01", "260000.00", 400, None), ("02", "180000.00", 200, None), ("03", "90000.00", 95, None)],
    "pacific_parts": [("01", "42000.00", 35, 1), ("02", "39000.00", 5, None)],
}


# Invoices are issued on 60 days' terms; one is issued on 120 days, beyond the credit policy's longest payment
# term for any grade, so the invoice list, the invoice and the customer's page flag it (trade credit, issue 23).
TERM_DAYS = 60
LONG_TERMS = {("huadong_logistics", "02"): 120}


def load(context):
    users = context["users"]
    customers = context.get("customers", {})
    today = clock.today()
    collector = users.get("collector")
    if not Invoice.objects.filter(number__startswith="DEMO-").exists():
        for key, rows in PLAN.items():
            customer = customers.get(key)
            if customer is None:
                continue
            rm = customer.relationship_manager
            for suffix, amount, days_past_due, paid_after in rows:
                due = today - dt.timedelta(days=days_past_due)
                invoice = services.invoice_create(
                    actor=rm, customer=customer, number=f"DEMO-{customer.pk:03d}-{suffix}",
                    issue_date=due - dt.timedelta(days=LONG_TERMS.get((key, suffix), TERM_DAYS)), due_date=due, amount=Decimal(amount), currency="CNY",
                    description="演示发票 demo invoice")
                if paid_after is not None:
                    received = due + dt.timedelta(days=paid_after)
                    services.payment_post(actor=rm, customer=customer, amount=invoice.amount, received_on=received,
                                          reference=f"PAY-{invoice.number}", allocations=[(invoice.pk, invoice.amount)])
            if key == "lingnan_food":  # a partial payment, oldest first
                services.payment_post(actor=rm, customer=customer, amount=Decimal("20000.00"),
                                      received_on=today - dt.timedelta(days=10), reference="PARTIAL")
                services.claim_payout_create(actor=rm, customer=customer, amount=Decimal("3000.00"),
                                             paid_on=today - dt.timedelta(days=30), reason="质量索赔 quality claim")
        _dunning_by_grade(users)
        services.dunning_run(as_of=today)
        if collector is not None:
            _work_cases(customers, collector, today)
    context["collection_cases"] = {c.customer_id: c for c in CollectionCase.objects.active()}
    return context


DUNNING_D_LEVELS = [  # a D customer is dunned earlier and harder (issue 23)
    (1, "到期前电话 Call before the due date", -5, "phone_call"),
    (2, "逾期即发催款函 Formal letter on the first day", 1, "formal_letter"),
    (3, "暂停交货 Suspend deliveries", 10, "suspend_deliveries"),
    (4, "最后通知 Final notice", 30, "final_notice"),
]


def _dunning_by_grade(users):
    """A harder dunning policy for customers rated D, through the four-eyes proposals (riskadmin proposes,
    riskadmin2 approves); the other letters keep the default (active) policy."""
    from proposals.services import change_approve

    from .models import DunningGradePolicy, DunningPolicy

    admin, checker = users.get("riskadmin"), users.get("riskadmin2")
    if admin is None or checker is None or DunningGradePolicy.objects.filter(letter="D").exists():
        return
    name = "D 类客户 D customers"
    policy = DunningPolicy.objects.filter(name=name).first() or change_approve(
        actor=checker, note="demo", change=services.dunning_policy_propose(
            actor=admin, name=name, is_active=False, small_amount_tolerance=Decimal("0.00"),
            late_fee_daily_rate=Decimal("0.0008"), case_open_order=2, letter_language="zh-hans"))
    for order, level_name, days, action in DUNNING_D_LEVELS:
        if not policy.levels.filter(order=order).exists():
            change_approve(actor=checker, note="demo", change=services.dunning_level_propose(
                actor=admin, policy=policy, order=order, name=level_name, days_past_due=days, action=action))
    change_approve(actor=checker, note="demo",
                   change=services.dunning_grade_propose(actor=admin, letter="D", policy=policy))


def _work_cases(customers, collector, today):
    tech = customers.get("jinghua_tech")
    if tech is not None:
        case = CollectionCase.objects.active().filter(customer=tech).first() or \
            services.case_open(actor=collector, customer=tech, assigned_to=collector)
        if case.state == CaseState.OPEN:
            case = services.case_start(actor=collector, case=case)
        services.activity_add(actor=collector, case=case, kind="call", occurred_on=today,
                              outcome="财务总监确认欠款，承诺两周内付款。CFO confirmed the debt.",
                              next_step="核对到账 check receipt", next_action_on=today + dt.timedelta(days=14))
        services.promise_add(actor=collector, case=case, promised_date=today + dt.timedelta(days=14),
                             amount=Decimal("38000.00"), note="by bank transfer")
    energy = customers.get("xibei_energy")
    if energy is not None:
        case = CollectionCase.objects.active().filter(customer=energy).first() or \
            services.case_open(actor=collector, customer=energy, assigned_to=collector)
        if case.state != CaseState.ESCALATED:
            services.case_escalate(actor=collector, case=case, channel="litigation")
