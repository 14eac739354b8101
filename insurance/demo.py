"""Demo credit insurance for ``manage.py load_demo``: a Sinosure short-term policy (90% insured, notify within
60 days past due, claim within 120), approved by a second risk administrator; caps on the uninsured exposure
for the weaker grades; buyer limits on some demo customers (granted, reduced, one expired, one requested);
a notification of an overdue insured invoice. Idempotent (keyed by the policy number), through the services,
relative to the business date. Uses ``context["users"]`` and ``context["customers"]``."""
import datetime as dt

from creditportal.core import clock

from . import services
from .models import InsurancePolicy, InsurerNotification

POLICY_NUMBER = "SINOSURE-DEMO-2026"


def _approved(users, change):
    from proposals.services import change_approve

    return change_approve(actor=users["riskadmin2"], change=change, note="demo")


def load(context):
    users = context["users"]
    customers = context.get("customers", {})
    if "riskadmin" not in users or "riskadmin2" not in users or InsurancePolicy.objects.filter(
            policy_number=POLICY_NUMBER).exists():
        return context
    today = clock.today()
    _approved(users, services.policy_propose(
        actor=users["riskadmin"], policy_number=POLICY_NUMBER, insurer="中国出口信用保险公司 Sinosure",
        insured_share="90", max_credit_days=180, notification_days=60, claim_days=120,
        valid_from=today - dt.timedelta(days=500), valid_to=today + dt.timedelta(days=230), currency="CNY",
        notes="短期出口信用保险 short-term trade credit insurance"))
    _approved(users, services.uninsured_caps_propose(actor=users["riskadmin"], caps={
        "BB": "3000000", "B": "2000000", "CCC": "500000", "CC": "200000", "C": "100000", "D": "0"}))
    policy = InsurancePolicy.objects.get(policy_number=POLICY_NUMBER)
    analyst = users.get("analyst") or users["riskadmin"]
    start = today - dt.timedelta(days=400)
    plan = [("huadong_parent", "500000", None), ("jinghua_tech", "800000", "600000"),
            ("lingnan_food", "300000", None), ("pacific_parts", "200000", "request")]
    for key, amount, then in plan:
        customer = customers.get(key)
        if customer is None:
            continue
        limit = services.buyer_limit_request(actor=analyst, policy=policy, customer=customer, amount=amount,
                                             conditions="每笔发票账期不超过 180 天 terms up to 180 days")
        if then == "request":
            continue
        valid_to = today - dt.timedelta(days=30) if key == "lingnan_food" else today + dt.timedelta(days=200)
        limit = services.buyer_limit_grant(actor=analyst, limit=limit, amount=amount, valid_from=start,
                                           valid_to=valid_to, decided_on=start,
                                           insurer_reference=f"SIN-BL-{customer.pk:04d}")
        if then:
            services.buyer_limit_reduce(actor=analyst, limit=limit, amount=then,
                                        decided_on=today - dt.timedelta(days=20))
    from accounts.system import system_user

    services.buyer_limits_expire(actor=system_user(), on_date=today)  # lingnan_food's limit ended a month ago
    _notify_one(customers, users, today)
    context["insurance_policy"] = policy
    return context


def _notify_one(customers, users, today):
    """jinghua_tech's invoice 45 days past due is notified to the insurer; its others stay to be watched."""
    from .selectors import insured_overdue_invoices

    tech = customers.get("jinghua_tech")
    collector = users.get("collector")
    if tech is None or collector is None:
        return
    for row in insured_overdue_invoices([tech.pk], today):
        if not row["notified"] and (today - row["due_date"]).days == 45:
            from collection.models import Invoice

            services.notification_record(actor=collector, invoice=Invoice.objects.get(pk=row["invoice_id"]),
                                         notified_on=today - dt.timedelta(days=5), reference="SIN-RPT-DEMO-1",
                                         note="可能损失通知书 notice of possible loss")
    return InsurerNotification.objects.filter(customer=tech).first()
