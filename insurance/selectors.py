"""Reads of the insurance app, set-wise (a constant number of queries for any number of customers)."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.conf import settings

from creditportal.core import clock
from creditportal.core.money import MissingRate, RateTable

from . import rules
from .models import (
    COVERING_STATES,
    BuyerLimit,
    BuyerLimitState,
    InsuranceClaim,
    InsurancePolicy,
    InsurerNotification,
    UninsuredCap,
)

ZERO = Decimal("0")


def covering_limits(customer_ids, on_date: dt.date, *, table: RateTable) -> dict[int, list[tuple]]:
    """``{customer_id: [(amount in the reporting currency, insured share as a fraction, buyer limit)]}``: the
    buyer limits that cover on ``on_date`` (``rules.buyer_limit_covers``; one query). A limit in a currency
    without an FX rate is left out (it cannot be compared with the exposure)."""
    result = defaultdict(list)
    rows = (BuyerLimit.objects.filter(customer_id__in=list(customer_ids), state__in=COVERING_STATES)
            .select_related("policy"))
    for limit in rows:
        policy = limit.policy
        if not rules.buyer_limit_covers(state=limit.state, valid_from=limit.valid_from, valid_to=limit.valid_to,
                                        policy_from=policy.valid_from, policy_to=policy.valid_to, on_date=on_date):
            continue
        try:
            amount = table.convert(limit.amount, limit.currency)
        except MissingRate:
            continue
        result[limit.customer_id].append((amount, rules.share_fraction(policy.insured_share), limit))
    return result


def split_exposures(exposures: dict[int, Decimal], on_date: dt.date, *, table: RateTable) -> dict[int, rules.Split]:
    """``{customer_id: Split}`` of the given exposures (reporting currency) on ``on_date`` (one query)."""
    cover = covering_limits(list(exposures), on_date, table=table)
    return {cid: rules.insured_split(exposure, [(a, s) for a, s, _limit in cover.get(cid, [])])
            for cid, exposure in exposures.items()}


def coverage_by_customer(customer_ids, *, on_date: dt.date | None = None, table: RateTable | None = None,
                         exposures: dict | None = None) -> dict[int, rules.Split]:
    """``{customer_id: Split}``: each customer's exposure (credit's one definition,
    ``credit.selectors.customer_exposures``: 4 queries) split into its insured and uninsured parts (1 query).
    Raises ``MissingRate`` when a facility's currency has no FX rate."""
    from credit.selectors import customer_exposures

    ids = list(customer_ids)
    on_date = on_date or clock.today()
    table = table or RateTable(on_date)
    if exposures is None:
        exposures = customer_exposures(ids, table=table)
    return split_exposures({cid: exposures.get(cid, ZERO) for cid in ids}, on_date, table=table)


def uninsured_caps() -> dict[str, Decimal]:
    """``{grade: maximum uninsured exposure}`` in force (reporting currency; a grade without a row: no cap)."""
    return dict(UninsuredCap.objects.values_list("grade", "max_uninsured"))


def policies_in_force(on_date: dt.date):
    return InsurancePolicy.objects.filter(valid_from__lte=on_date, valid_to__gte=on_date)


# --- Deadlines (the monitoring metrics read these) ----------------------------------------------------

def insured_overdue_invoices(customer_ids, on_date: dt.date) -> list[dict]:
    """The open invoices past due on ``on_date`` that a buyer limit insures (``rules.invoice_insured``), each
    ``{"invoice_id", "number", "customer_id", "due_date", "policy", "notified", "claimed"}`` (4 queries)."""
    from collection.models import Invoice, InvoiceStatus

    ids = list(customer_ids)
    limits = defaultdict(list)
    for limit in (BuyerLimit.objects.filter(customer_id__in=ids).exclude(state=BuyerLimitState.REQUESTED)
                  .select_related("policy")):
        limits[limit.customer_id].append(limit)
    if not limits:
        return []
    invoices = list(Invoice.objects.filter(customer_id__in=list(limits), status=InvoiceStatus.OPEN,
                                           due_date__lt=on_date, issue_date__lte=on_date)
                    .values("id", "number", "customer_id", "issue_date", "due_date"))
    if not invoices:
        return []
    invoice_ids = [row["id"] for row in invoices]
    notified = set(InsurerNotification.objects.filter(invoice_id__in=invoice_ids).values_list("invoice_id", flat=True))
    claimed = set(InsuranceClaim.objects.filter(invoice_id__in=invoice_ids).values_list("invoice_id", flat=True))
    result = []
    for row in invoices:
        for limit in limits[row["customer_id"]]:
            policy = limit.policy
            withdrawn_on = limit.decided_on if limit.state == BuyerLimitState.WITHDRAWN else None
            if rules.invoice_insured(issue_date=row["issue_date"], due_date=row["due_date"], state=limit.state,
                                     valid_from=limit.valid_from, valid_to=limit.valid_to, withdrawn_on=withdrawn_on,
                                     policy_from=policy.valid_from, policy_to=policy.valid_to,
                                     max_credit_days=policy.max_credit_days):
                result.append({**row, "invoice_id": row["id"], "policy": policy,
                               "notified": row["id"] in notified, "claimed": row["id"] in claimed})
                break
    return result


def _nearest_deadline(rows, days_of, on_date):
    worst = {}
    for row in rows:
        left = max(rules.days_left(row["due_date"], days_of(row["policy"]), on_date), 0)
        if row["customer_id"] not in worst or left < worst[row["customer_id"]][0]:
            worst[row["customer_id"]] = (left, {"invoice_id": row["invoice_id"], "invoice": row["number"],
                                                "policy": row["policy"].policy_number,
                                                "deadline": rules.deadline(row["due_date"], days_of(row["policy"]))})
    return worst


def notification_deadlines(customer_ids, on_date: dt.date) -> dict[int, tuple[int, dict]]:
    """``{customer_id: (days left, detail)}``: the nearest insurer-notification deadline among the customer's
    insured overdue invoices not yet notified (0 on its last day and once passed: the detail names the deadline)."""
    rows = [r for r in insured_overdue_invoices(customer_ids, on_date) if not r["notified"]]
    return _nearest_deadline(rows, lambda policy: policy.notification_days, on_date)


def claim_deadlines(customer_ids, on_date: dt.date) -> dict[int, tuple[int, dict]]:
    """``{customer_id: (days left, detail)}``: the nearest claim-filing deadline among the customer's insured
    overdue invoices without a claim."""
    rows = [r for r in insured_overdue_invoices(customer_ids, on_date) if not r["claimed"]]
    return _nearest_deadline(rows, lambda policy: policy.claim_days, on_date)


# --- Customer page tab -----------------------------------------------------------------------------

def customer_tab(customer, user) -> dict:
    """The insurance tab of the customer page: the insured / uninsured split today, the buyer limits, the
    open deadlines, notifications and claims."""
    on_date = clock.today()
    try:
        split = coverage_by_customer([customer.pk], on_date=on_date)[customer.pk]
    except MissingRate:
        split = None
    deadlines = [r for r in insured_overdue_invoices([customer.pk], on_date) if not (r["notified"] and r["claimed"])]
    for row in deadlines:
        row["notify_by"] = rules.deadline(row["due_date"], row["policy"].notification_days)
        row["claim_by"] = rules.deadline(row["due_date"], row["policy"].claim_days)
    return {"insurance": {
        "split": split,
        "reporting_currency": settings.REPORTING_CURRENCY,
        "buyer_limits": list(BuyerLimit.objects.visible_to(user).filter(customer=customer).select_related("policy")),
        "notifications": list(InsurerNotification.objects.visible_to(user).filter(customer=customer)
                              .select_related("invoice", "policy")),
        "claims": list(InsuranceClaim.objects.visible_to(user).filter(customer=customer)
                       .select_related("invoice", "policy", "claim_payout", "write_off")),
        "deadlines": deadlines,
        "today": on_date,
    }}
