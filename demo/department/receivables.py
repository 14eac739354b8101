"""The department's facilities (with the applications that opened them) and 26 months of invoices, payments and
allocations: paid on time, late or never by the customer's health at the time (the generator's ``_delay``)."""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from demo.generator._common import _add_months
from demo.generator.receivables import _delay

from .customers import HISTORY_MONTHS, SEED, Profile
from ._common import bulk_made

HUNDRED = Decimal("100")
MAX_LIMIT = 40_000_000  # trade credit: the largest customers' limits stay within the policy's (no one name dominates)
INVOICES_A_MONTH = {"micro": 1, "small": 2, "medium": 3, "large": 4}


def _money(value: float, step: int = 100) -> Decimal:
    return Decimal(max(step, int(value) // step * step))


def write_facilities(profs: list[Profile], users, today: dt.date, grades: dict[int, str]) -> None:
    """A facility for about three in four rated active customers, opened by an application approved then."""
    from credit.models import CreditApplication, Decision, Facility

    rng = random.Random(SEED + 5)
    apps, facilities, stamps = [], [], []
    for p in profs:
        if p.status != "active" or p.pk not in grades or rng.random() > 0.78:
            continue
        limit = _money(min(p.revenue * rng.uniform(0.03, 0.1), MAX_LIMIT * rng.uniform(0.6, 1)), 100_000)
        start = today - dt.timedelta(days=rng.randint(40, 720))
        term = 12 if (today - start).days < 300 else rng.choice([24, 36])
        expiry = _add_months(start, term)
        status, reason = "active", ""
        if expiry < today:
            status = "expired"
        elif p.health(0) < 0.15:
            status, reason = "suspended", "连续逾期，暂停使用额度。"
        decided = dt.datetime.combine(start - dt.timedelta(days=2), dt.time(9), tzinfo=dt.timezone.utc)
        created = decided - dt.timedelta(days=rng.randint(6, 20))
        level = 1 if limit <= 5_000_000 else 2 if limit <= 20_000_000 else 3
        apps.append(CreditApplication(
            customer_id=p.pk, amount=limit, currency="CNY", amount_reporting=limit, term_months=term,
            payment_term_days=60, purpose="流动资金周转，用于原材料采购。", status="facility_opened",
            rating_grade=grades[p.pk], created_by=users[p.manager], reviewer=users["analyst" if p.index % 2 else
                                                                                   "analyst2"],
            analyst_opinion="经营稳定，付款记录良好，建议按申请金额核定额度。", current_level=level,
            required_levels=level, status_changed_at=decided, decided_at=decided))
        facilities.append((p, limit, start, expiry, status, reason, decided))
        stamps.append(created)
    made = bulk_made(CreditApplication, apps, stamps, batch_size=300)
    decisions, decision_times = [], []
    for app, created, (_p, _limit, _start, _expiry, _status, _reason, decided) in zip(made, stamps, facilities):
        trail = [("submit", app.created_by_id, None, created), ("recommend", app.reviewer_id, None,
                                                               created + dt.timedelta(days=3))]
        trail += [("approve", users[f"approver{n}"].pk, n, created + dt.timedelta(days=3 + n))
                  for n in range(1, app.required_levels + 1)]
        trail.append(("open_facility", app.created_by_id, None, decided))
        for action, actor, level, at in trail:
            decisions.append(Decision(application=app, action=action, actor_id=actor, level=level,
                                      comment="同意。" if action == "approve" else ""))
            decision_times.append(at)
    bulk_made(Decision, decisions, decision_times, fields=("at",))
    rows = [Facility(customer_id=p.pk, application=app, currency="CNY", limit=limit, start_date=start,
                     expiry_date=expiry, status=status, status_reason=reason)
            for app, (p, limit, start, expiry, status, reason, _decided) in zip(made, facilities)]
    made_facilities = bulk_made(Facility, rows, [d for *_rest, d in facilities], batch_size=300)
    for facility, (p, limit, start, expiry, *_rest) in zip(made_facilities, facilities):
        p.facility = {"pk": facility.pk, "limit": limit, "start": start, "expiry": expiry}


def write_invoices(profs: list[Profile], users, today: dt.date) -> None:
    """Monthly invoices over ``HISTORY_MONTHS`` months, with their payments and allocations."""
    from collection.models import Invoice, Payment, PaymentAllocation

    rng = random.Random(SEED + 6)
    collector = users["collector"]
    first_month = _add_months(today.replace(day=1), -HISTORY_MONTHS)
    invoices, settlements = [], []
    for p in profs:
        if p.status == "prospect":
            continue
        last_month = _add_months(today.replace(day=1), -9) if p.status == "closed" else today
        per_month = INVOICES_A_MONTH[p.size]
        if p.facility:  # about half the limit used on average
            scale = float(p.facility["limit"]) * 0.3 / per_month
        else:
            scale = min(p.revenue / 300, MAX_LIMIT / 10) / per_month
        month, k = first_month, 0
        while month <= last_month:
            for _n in range(per_month):
                issue = month + dt.timedelta(days=rng.randint(2, 26))
                if p.health((today - issue).days / 30.4) < 0.3 and rng.random() < 0.6:
                    continue  # deliveries to a weak customer are held back (order holds, deposits)
                if issue > today - dt.timedelta(days=2):
                    continue
                term = rng.choice([30, 30, 45, 60, 60, 90] if p.health(0) > 0.4 else [30, 30, 45])
                due = issue + dt.timedelta(days=term)
                months_ago = (today - issue).days / 30.4
                amount = _money(scale * rng.uniform(0.5, 1.5))
                # The generator's habits by health, a little kinder: a department that lends to the weak has
                # stopped most of them (suspended, no new invoices), so fewer invoices reach them.
                delay = _delay(rng, p.health(months_ago) + 0.1)
                if delay is None and (p.health(0) > 0.3 or months_ago > 15) and rng.random() < 0.85:
                    delay = rng.randint(30, 150)  # paid at last, very late: only the weak leave debts for good
                paid_on = None if delay is None else due + dt.timedelta(days=delay)
                if p.status == "closed" and paid_on is None:
                    paid_on = due + dt.timedelta(days=rng.randint(0, 20))
                if paid_on is not None and paid_on >= today:
                    paid_on = None
                partial = None
                if paid_on is None and due < today - dt.timedelta(days=20) and rng.random() < 0.15:
                    partial = (amount * rng.randint(2, 7) / 10).quantize(HUNDRED),  \
                        due + dt.timedelta(days=rng.randint(1, (today - due).days - 1))
                facility = p.facility.get("pk") if p.facility and p.facility["start"] <= issue <= \
                    p.facility["expiry"] else None
                k += 1
                invoices.append(Invoice(
                    number=f"D21-{p.index:03d}-{issue:%Y%m}-{k:02d}", customer_id=p.pk, facility_id=facility,
                    issue_date=issue, due_date=due, amount=amount, currency="CNY",
                    paid_amount=amount if paid_on else (partial[0] if partial else Decimal("0")), paid_on=paid_on,
                    status="paid" if paid_on else "open", created_by=users[p.manager], description="货款 goods"))
                settlements.append((p, paid_on, partial))
            month = _add_months(month, 1)
    made = bulk_made(Invoice, invoices, [dt.datetime.combine(i.issue_date, dt.time(1, 30), tzinfo=dt.timezone.utc)
                                         for i in invoices], fields=("created_at",))
    payments, pairs = [], []
    for invoice, (p, paid_on, partial) in zip(made, settlements):
        if paid_on:
            amount, received = invoice.amount, paid_on
        elif partial:
            amount, received = partial
        else:
            continue
        payments.append(Payment(customer_id=p.pk, received_on=received, amount=amount, currency="CNY",
                                reference=f"BANK-{invoice.number}", allocated_amount=amount, created_by=collector))
        pairs.append(invoice)
    made_payments = bulk_made(Payment, payments, [dt.datetime.combine(pay.received_on, dt.time(6),
                                                                      tzinfo=dt.timezone.utc) for pay in payments],
                              fields=("created_at",))
    PaymentAllocation.objects.bulk_create(
        [PaymentAllocation(payment=pay, invoice=invoice, amount=pay.amount)
         for pay, invoice in zip(made_payments, pairs)], batch_size=500)
