"""The department's work in progress, with real ages: applications in every state (approval at each level
included) with their decisions, collection cases with activities and promises (due today, broken, to come) opened
through the services on the day they were opened, closed alerts of the past, and the ages of today's alerts."""
from __future__ import annotations

import datetime as dt
import logging
import random
from decimal import Decimal

from creditportal.core import clock
from creditportal.core.errors import ServiceError

from .customers import SEED, Profile
from ._common import bulk_made

log = logging.getLogger(__name__)
M = 1_000_000

# state, approval level reached (pending approval), how many
APPLICATION_STATES = [
    ("draft", 0, 4), ("submitted", 0, 4), ("under_review", 0, 4), ("recommended", 0, 3),
    ("pending_approval", 1, 4), ("pending_approval", 2, 3), ("pending_approval", 3, 2),
    ("approved", 0, 3), ("rejected", 0, 3), ("returned", 0, 3), ("withdrawn", 0, 2),
]
PURPOSES = ["流动资金周转，用于原材料采购。", "旺季备货，增加赊销额度。", "新签大客户订单，需要临时提高额度。",
            "额度到期续作，金额不变。", "扩大华南市场销售，申请新增赊销额度。"]
OPINIONS = ["财务状况稳健，付款记录良好，建议批准。", "杠杆偏高但现金流充足，建议附条件批准。",
            "近半年付款有所延迟，建议降低额度后批准。"]
RETURN_REASONS = ["请补充最近一期审计报告。", "担保人信息不完整，请补充后重新提交。", "申请金额与预计销售不匹配，请说明。"]


def _amount_for(level: int, rng: random.Random) -> Decimal:
    low, high = {0: (0.5, 4.5), 1: (0.5, 4.8), 2: (6, 18), 3: (25, 60)}[level]
    return Decimal(int(rng.uniform(low, high) * 10) * 100_000)


def write_applications(profs: list[Profile], users, today: dt.date, grades: dict[int, str]) -> None:
    """Applications in every state for rated active customers, entered into their state days to weeks ago."""
    from credit.models import CreditApplication, Decision

    rng = random.Random(SEED + 7)
    candidates = [p for p in profs if p.status == "active" and p.pk in grades]
    rng.shuffle(candidates)
    analysts, approvers = [users["analyst"], users["analyst2"]], [users[f"approver{n}"] for n in (1, 2, 3)]
    apps, stamps, trails = [], [], []
    now = dt.datetime.combine(today, dt.time(2), tzinfo=dt.timezone.utc)
    for state, level, count in APPLICATION_STATES:
        for _n in range(count):
            p = candidates.pop()
            in_flight = state not in ("approved", "rejected", "withdrawn")
            entered = now - dt.timedelta(days=rng.randint(1, 35) if in_flight else rng.randint(3, 200),
                                         hours=rng.randint(0, 8))
            created = entered - dt.timedelta(days=rng.randint(2, 15))
            reviewer = analysts[p.index % 2]
            rm = users[p.manager]
            required = level or (1 if state in ("approved", "rejected") else 0)
            amount = _amount_for(level, rng)
            trail = []
            if state != "draft":
                trail.append(("submit", rm, None, created + dt.timedelta(hours=3), ""))
            if state not in ("draft", "submitted", "withdrawn"):
                trail.append(("start_review", reviewer, None, created + dt.timedelta(days=1), ""))
            if state in ("recommended", "pending_approval", "approved", "rejected"):
                trail.append(("recommend", reviewer, None, created + dt.timedelta(days=2), ""))
            if state in ("pending_approval", "approved", "rejected"):
                trail.append(("route", reviewer, None, created + dt.timedelta(days=2, hours=1), ""))
                for reached in range(1, level):
                    trail.append(("approve", approvers[reached - 1], reached,
                                  created + dt.timedelta(days=2 + reached), "同意，提交上级审批。"))
            if state == "approved":
                trail.append(("approve", approvers[0], 1, entered, "同意。"))
            elif state == "rejected":
                trail.append(("reject", approvers[0], 1, entered, "逾期持续增加，担保不足，不予批准。"))
            elif state == "returned":
                trail.append(("return", reviewer, None, entered, rng.choice(RETURN_REASONS)))
            elif state == "withdrawn":
                trail.append(("withdraw", rm, None, entered, "客户暂不需要。"))
            apps.append(CreditApplication(
                customer_id=p.pk, amount=amount, currency="CNY", amount_reporting=amount, term_months=12,
                payment_term_days=rng.choice([30, 45, 60]), expected_monthly_sales=(amount / 3).quantize(Decimal("1")),
                purpose=rng.choice(PURPOSES), status=state, rating_grade=grades[p.pk], created_by=rm,
                reviewer=reviewer if state not in ("draft", "submitted", "withdrawn") else None,
                analyst_opinion=rng.choice(OPINIONS) if required or state == "recommended" else "",
                return_reason=trail[-1][4] if state == "returned" else "",
                current_level=level if state == "pending_approval" else required,
                required_levels=max(level, required), status_changed_at=entered,
                decided_at=entered if state in ("approved", "rejected", "withdrawn") else None))
            stamps.append(created)
            trails.append(trail)
    made = bulk_made(CreditApplication, apps, stamps, batch_size=200)
    decisions, times = [], []
    for app, trail in zip(made, trails):
        for action, actor, level, at, comment in trail:
            decisions.append(Decision(application=app, action=action, actor=actor, level=level, comment=comment))
            times.append(at)
    bulk_made(Decision, decisions, times, fields=("at",))


def work_cases(profs: list[Profile], users, today: dt.date) -> None:
    """Collection cases of customers long overdue, through the services on the days they happened."""
    from collection import services
    from collection.models import CollectionCase, Invoice
    from customers.models import Customer

    rng = random.Random(SEED + 8)
    collector = users["collector"]
    ids = {p.pk: p for p in profs if p.status == "active"}
    oldest = {}
    for customer_id, due in (Invoice.objects.filter(customer_id__in=ids, status="open",
                                                    due_date__lt=today - dt.timedelta(days=30))
                             .order_by("customer_id", "due_date").values_list("customer_id", "due_date")):
        oldest.setdefault(customer_id, due)
    busy = set(CollectionCase.objects.active().values_list("customer_id", flat=True))
    chosen = [cid for cid in sorted(oldest) if cid not in busy][:24]
    broken = []
    for n, customer_id in enumerate(chosen):
        customer = ids[customer_id]
        opened = max(oldest[customer_id] + dt.timedelta(days=10), today - dt.timedelta(days=rng.randint(9, 75)))
        opened = min(opened, today - dt.timedelta(days=8))
        try:
            with clock.frozen(opened):
                case = services.case_open(actor=collector, customer=Customer.objects.get(pk=customer.pk),
                                          assigned_to=collector)
                case = services.case_start(actor=collector, case=case)
            with clock.frozen(opened + dt.timedelta(days=2)):
                services.activity_add(actor=collector, case=case, kind="call", outcome=rng.choice([
                    "财务经理确认欠款，称回款延迟，需要两周。", "对方称资金紧张，正在筹措，要求分期。",
                    "电话无人接听，已发送催款函。"]), next_step="跟进付款计划", next_action_on=opened + dt.timedelta(days=9))
            kind = n % 4
            if kind == 0:  # due today
                made_on, promised = today - dt.timedelta(days=rng.randint(3, 12)), today
            elif kind == 1:  # broken: the date passed without the money
                made_on = opened + dt.timedelta(days=3)
                promised = min(made_on + dt.timedelta(days=rng.randint(5, 12)), today - dt.timedelta(days=1))
                broken.append(customer.pk)
            elif kind == 2:  # still to come
                made_on, promised = today - dt.timedelta(days=2), today + dt.timedelta(days=rng.randint(5, 20))
            else:
                if rng.random() < 0.5:
                    with clock.frozen(opened + dt.timedelta(days=5)):
                        services.case_escalate(actor=collector, case=case, channel=rng.choice(["agency", "litigation"]))
                continue
            open_amount = sum((i.amount - i.paid_amount for i in Invoice.objects.filter(
                customer_id=customer.pk, status="open", due_date__lt=made_on)), Decimal("0"))
            if open_amount <= 0:
                continue
            with clock.frozen(made_on):
                services.promise_add(actor=collector, case=case, promised_date=promised,
                                     amount=(open_amount / 2).quantize(Decimal("0.01")), note="银行转账 by transfer")
        except ServiceError as error:
            log.warning("demo case for %s not worked: %s", customer.name, error.message)
    if broken:
        services.promises_evaluate(as_of=today, customer_ids=broken)


CLOSED_COMMENTS = ["客户已补足逾期款项，预警解除。", "经核实为一次性因素，不影响偿付能力。", "已下调额度并增加担保，风险可控。"]


def write_closed_alerts(profs: list[Profile], users, today: dt.date) -> None:
    """Alerts of the past, handled (resolved or dismissed) by the risk team, for customers weak at the time."""
    from monitoring.models import Alert, WarningRule

    rng = random.Random(SEED + 9)
    rules = list(WarningRule.objects.filter(enabled=True).order_by("code"))
    if not rules:
        return
    rows, stamps = [], []
    for p in profs:
        if p.status == "prospect" or rng.random() > (0.5 if min(p.health(6), p.health(15)) < 0.45 else 0.08):
            continue
        for rule in rng.sample(rules, k=min(len(rules), rng.randint(1, 2))):
            raised = today - dt.timedelta(days=rng.randint(40, 600))
            handled = raised + dt.timedelta(days=rng.randint(2, 30))
            status = "resolved" if rng.random() < 0.75 else "dismissed"
            at = dt.datetime.combine(raised, dt.time(1), tzinfo=dt.timezone.utc)
            rows.append(Alert(rule=rule, customer_id=p.pk, severity=rule.severity, status=status,
                              detail={}, recommended_action=rule.recommended_action, still_firing=False,
                              raised_on=raised, last_seen_on=handled, times_seen=(handled - raised).days + 1,
                              owner=users[p.manager], comment=rng.choice(CLOSED_COMMENTS),
                              handled_by=users["riskadmin" if p.index % 2 else "analyst"],
                              handled_at=dt.datetime.combine(handled, dt.time(8), tzinfo=dt.timezone.utc)))
            stamps.append(at)
    bulk_made(Alert, rows, stamps)


def age_open_alerts(profs: list[Profile], users, today: dt.date) -> None:
    """The rules raised the department's open alerts today (monitoring's demo): give them the day the condition
    first held (up to three months back) and have the risk team acknowledge some of them."""
    from monitoring import services
    from monitoring.models import Alert

    rng = random.Random(SEED + 10)
    ids = [p.pk for p in profs]
    alerts = list(Alert.objects.filter(customer_id__in=ids, status="open", raised_on=today).order_by("pk"))
    for alert in alerts:
        days = rng.choice([0, 1, 3, 6, 9, 14, 21, 30, 45, 60, 90, 120, 150])
        alert.raised_on = today - dt.timedelta(days=days)
        alert.times_seen = days + 1
        alert.created_at = dt.datetime.combine(alert.raised_on, dt.time(1), tzinfo=dt.timezone.utc)
    Alert.objects.bulk_update(alerts, ["raised_on", "times_seen", "created_at"], batch_size=500)
    for alert in alerts[::4]:
        if alert.raised_on < today - dt.timedelta(days=5):
            try:
                services.alert_acknowledge(actor=users["analyst"], alert=alert, comment="已联系客户经理核实情况。")
            except ServiceError as error:
                log.warning("demo alert %s not acknowledged: %s", alert.pk, error.message)
