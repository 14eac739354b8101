"""Applications, facilities and orders; invoices, payments and allocations; alerts."""
from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from ._common import CURRENCY_MIX, FACILITY_SHARE, _add_months, _weighted
from .pgcopy import Copier, cents, next_id


def _credit(plan, rng, cursor, users, custs, counts):
    from credit.models import CreditApplication, Facility, Order

    first_app = next_id(cursor, CreditApplication)
    first_fac = next_id(cursor, Facility)
    first_order = next_id(cursor, Order)
    app_pk, fac_pk, order_pk = first_app, first_fac, first_order
    analyst, approver = users["analyst"], users["approver1"]
    apps_rows, facs_rows, orders_rows = [], [], []
    for c in custs:
        if c.status == "active" and rng.random() < FACILITY_SHARE:
            limit = max(100_000, int(c.revenue * rng.uniform(0.03, 0.12)) // 10_000 * 10_000)
            start = plan.today - dt.timedelta(days=rng.randint(20, 700))
            term = rng.choice([12, 24, 36])
            expiry = _add_months(start, term)
            status = "active" if expiry >= plan.today else "expired"
            if status == "active" and c.health < 0.12 and rng.random() < 0.5:
                status = "suspended"
            at = dt.datetime.combine(start - dt.timedelta(days=10), dt.time(2), tzinfo=dt.timezone.utc)
            apps_rows.append((app_pk, c.id, cents(limit * 100), term, "facility_opened", c.grade or "", c.rm_id,
                              analyst.pk, at, at + dt.timedelta(days=9), cents(limit * 100), 1, 1))
            facs_rows.append((fac_pk, c.id, app_pk, cents(limit * 100), start, expiry, status,
                              at + dt.timedelta(days=10)))
            c.facility_id = fac_pk
            if rng.random() < 0.2:
                for k in range(rng.randint(1, 3)):
                    orders_rows.append((order_pk, fac_pk, f"PO-{fac_pk}-{k + 1}",
                                        cents(int(limit * rng.uniform(0.01, 0.1)) * 100),
                                        rng.choice(["reserved", "released", "released"]), c.rm_id,
                                        at + dt.timedelta(days=30 + k)))
                    order_pk += 1
            app_pk += 1
            fac_pk += 1
        if c.status in ("active", "prospect") and rng.random() < 0.03:
            status, level, required = rng.choice([("draft", 0, 0), ("submitted", 0, 0), ("under_review", 0, 0),
                                                  ("recommended", 0, 0), ("pending_approval", 1, 2),
                                                  ("returned", 0, 0)])
            at = timezone.make_aware(dt.datetime.combine(plan.today - dt.timedelta(days=rng.randint(1, 40)),
                                                         dt.time(10)))
            amount = max(100_000, int(c.revenue * rng.uniform(0.03, 0.1)) // 10_000 * 10_000)
            apps_rows.append((app_pk, c.id, cents(amount * 100), 12, status, c.grade or "", c.rm_id,
                              analyst.pk if status not in ("draft", "submitted") else None, at, None,
                              cents(amount * 100), level, required))
            app_pk += 1
    with Copier(cursor, CreditApplication, ["id", "customer_id", "amount", "term_months", "status", "rating_grade",
                                            "created_by_id", "reviewer_id", "created_at", "decided_at",
                                            "amount_reporting", "current_level", "required_levels",
                                            "status_changed_at", "updated_at"],
                {"currency": "CNY", "application_type": "new", "product": "trade_credit",
                 "purpose": "流动资金周转 / working capital for purchases", "policy_result": {},
                 "policy_exception": False}) as copy:
        for row in apps_rows:
            copy.row(*row, row[9] or row[8], row[9] or row[8])
    with Copier(cursor, Facility, ["id", "customer_id", "application_id", "limit", "start_date", "expiry_date",
                                   "status", "created_at", "updated_at"],
                {"currency": "CNY", "product": "trade_credit", "temporary": False}) as copy:
        for row in facs_rows:
            copy.row(*row, row[-1])
    with Copier(cursor, Order, ["id", "facility_id", "reference", "amount", "status", "created_by_id",
                                "created_at"], {"currency": "CNY"}) as copy:
        for row in orders_rows:
            copy.row(*row)
    counts["credit applications"] = app_pk - first_app
    counts["facilities"] = fac_pk - first_fac
    counts["orders"] = order_pk - first_order


def _delay(rng: random.Random, health: float) -> int | None:
    """Days paid after the due date (negative: early); ``None``: not paid (yet)."""
    x = rng.random()
    if health > 0.5:
        table = [(0.80, (-7, 0)), (0.95, (1, 9)), (0.995, (10, 30)), (1.0, (31, 90))]
        unpaid = 0.003
    elif health > 0.25:
        table = [(0.55, (-3, 0)), (0.80, (1, 9)), (0.95, (10, 45)), (1.0, (46, 150))]
        unpaid = 0.02
    else:
        table = [(0.30, (-2, 0)), (0.55, (1, 9)), (0.80, (10, 60)), (1.0, (61, 300))]
        unpaid = 0.15
    if rng.random() < unpaid:
        return None
    for limit, (low, high) in table:
        if x < limit:
            return rng.randint(low, high)
    return 0


def _receivables(plan, rng, cursor, users, custs, counts):
    from collection.models import Invoice, Payment, PaymentAllocation

    today = plan.today
    inv_pk = first_inv = next_id(cursor, Invoice)
    pay_pk = first_pay = next_id(cursor, Payment)
    alloc_pk = first_alloc = next_id(cursor, PaymentAllocation)
    collector = str(users["collector"].pk)
    per = plan.invoices_per_customer
    with Copier(cursor, Invoice, ["id", "number", "customer_id", "facility_id", "issue_date", "due_date", "amount",
                                  "currency", "paid_amount", "paid_on", "status", "created_by_id", "created_at"],
                {"written_off_amount": "0.00", "description": ""}, spool=True) as inv, \
            Copier(cursor, Payment, ["id", "customer_id", "received_on", "amount", "currency", "reference",
                                     "allocated_amount", "created_by_id", "created_at"],
                   {"is_recovery": False}, spool=True) as pay, \
            Copier(cursor, PaymentAllocation, ["id", "payment_id", "invoice_id", "amount"], spool=True) as alloc:
        for c in custs:
            if c.status == "prospect":
                continue
            n = max(0, per + rng.randint(-per // 2, per // 2)) if per > 1 else per
            scale = max(5_000, c.revenue // 200)
            customer, rm = str(c.id), str(c.rm_id)
            for _k in range(n):
                issue = today - dt.timedelta(days=rng.randint(3, 540))
                term = rng.choice([30, 30, 45, 60, 90])
                due = issue + dt.timedelta(days=term)
                currency = _weighted(rng, CURRENCY_MIX)
                amount = int(scale * rng.uniform(0.2, 2.5) * 100)
                delay = _delay(rng, c.health)
                paid_on = None if delay is None else due + dt.timedelta(days=delay)
                if paid_on is not None and paid_on > today:
                    paid_on = None
                partial = paid_on is None and due < today and rng.random() < 0.15
                if paid_on is not None:
                    paid, status = amount, "paid"
                elif partial:
                    paid, status = amount * rng.randint(2, 8) // 10, "open"
                else:
                    paid, status = 0, "open"
                issue_text = issue.isoformat()
                facility = str(c.facility_id) if c.facility_id and currency == "CNY" else "\\N"
                inv.raw(str(inv_pk), f"INV{inv_pk:010d}", customer, facility, issue_text, due.isoformat(),
                        cents(amount), currency, cents(paid), paid_on.isoformat() if paid_on else "\\N", status, rm,
                        issue_text + " 01:30:00+00")
                if paid:
                    received = paid_on or (due + dt.timedelta(days=rng.randint(0, max(0, (today - due).days))))
                    received_text = received.isoformat()
                    pay.raw(str(pay_pk), customer, received_text, cents(paid), currency, f"BANK-{pay_pk}", cents(paid),
                            collector, received_text + " 06:00:00+00")
                    alloc.raw(str(alloc_pk), str(pay_pk), str(inv_pk), cents(paid))
                    pay_pk += 1
                    alloc_pk += 1
                inv_pk += 1
    counts["invoices"] = inv_pk - first_inv
    counts["payments"] = pay_pk - first_pay
    counts["payment allocations"] = alloc_pk - first_alloc


def _alerts(plan, rng, cursor, users, custs, counts):
    from monitoring.models import Alert, WarningRule

    rules = list(WarningRule.objects.filter(enabled=True).order_by("code").values_list("pk", "severity",
                                                                                          "recommended_action"))
    first = next_id(cursor, Alert)
    pk = first
    if rules:
        with Copier(cursor, Alert, ["id", "rule_id", "customer_id", "severity", "status", "value", "detail",
                                    "recommended_action", "raised_on", "last_seen_on", "times_seen", "owner_id",
                                    "created_at", "updated_at"],
                    {"still_firing": True, "comment": "", "action_taken": ""}) as copy:
            for c in custs:
                if rng.random() >= (0.25 if c.health < 0.25 else 0.03):
                    continue
                for rule_pk, severity, action in rng.sample(rules, k=min(len(rules), rng.randint(1, 2))):
                    raised = plan.today - dt.timedelta(days=rng.randint(0, 150))
                    status = _weighted(rng, [("open", 0.6), ("acknowledged", 0.2), ("resolved", 0.15),
                                             ("dismissed", 0.05)])
                    at = dt.datetime.combine(raised, dt.time(1), tzinfo=dt.timezone.utc)
                    copy.row(pk, rule_pk, c.id, severity, status, f"{rng.uniform(0, 200):.4f}", {"generated": True},
                             action, raised, plan.today, rng.randint(1, 30), c.rm_id, at, at)
                    pk += 1
    counts["alerts"] = pk - first
