"""The collector's work queue and a case's figures and buttons."""
from __future__ import annotations

import datetime as dt

from django.db.models import F, Min, Sum

from creditportal.core import clock

from ..models import (
    ACTIVE_CASE_STATES,
    CaseState,
    CollectionCase,
    DunningAction,
    DunningActionKind,
    PromiseState,
    PromiseToPay,
    WriteOff,
    WriteOffState,
)
from ._common import ZERO
from .receivables import oldest_overdue, overdue_amounts


# --- work queue -------------------------------------------------------------------------------

def work_queue(user, *, as_of=None, limit=10) -> dict:
    """The collector's queue: calls due today, promises due, broken promises, oldest cases (constant queries)."""
    as_of = as_of or clock.today()
    mine = CollectionCase.objects.visible_to(user).active().filter(assigned_to=user).select_related("customer")
    calls = list(mine.filter(next_action_on__lte=as_of).order_by("next_action_on", "pk")[:limit])
    call_tasks = list(DunningAction.objects.visible_to(user).open()
                      .filter(action=DunningActionKind.PHONE_CALL, outcome=DunningAction.Outcome.PENDING,
                              assigned_to=user).select_related("customer").order_by("business_date", "pk")[:limit])
    promises = PromiseToPay.objects.visible_to(user).filter(case__assigned_to=user).select_related("case__customer")
    due = list(promises.filter(state=PromiseState.PENDING, promised_date__lte=as_of).order_by("promised_date")[:limit])
    broken = list(promises.filter(state=PromiseState.BROKEN, resolved_on__gte=as_of - dt.timedelta(days=30))
                  .order_by("-resolved_on")[:limit])
    oldest = list(mine.order_by("opened_on", "pk")[:limit])
    return {"calls": calls, "call_tasks": call_tasks, "promises_due": due, "broken": broken, "oldest": oldest,
            "as_of": as_of}


def worklist(user, *, as_of=None, limit: int = 200) -> dict:
    """The collector's worklist: their active cases, most urgent first (``rules.worklist_order``), each with
    the customer's amount overdue (reporting currency) and maximum days past due, the next action, the
    earliest pending promise and the primary contact's phone. A constant number of queries (six)."""
    from creditportal.core.money import RateTable
    from customers.models import Contact

    from .. import rules

    as_of = as_of or clock.today()
    cases = list(CollectionCase.objects.visible_to(user).active().filter(assigned_to=user)
                 .select_related("customer").order_by("pk")[:limit])
    customer_ids = {c.customer_id for c in cases}
    table = RateTable(as_of)
    overdue, missing = overdue_amounts(customer_ids, as_of, table)
    oldest = oldest_overdue(customer_ids, as_of)
    promises = {}
    for promise in (PromiseToPay.objects.filter(case_id__in=[c.pk for c in cases], state=PromiseState.PENDING)
                    .order_by("promised_date", "pk")):
        promises.setdefault(promise.case_id, promise)
    contacts = {}
    for contact in Contact.objects.filter(customer_id__in=customer_ids).order_by("-is_primary", "pk"):
        contacts.setdefault(contact.customer_id, contact)
    rows = []
    for case in cases:
        dpd = rules.debtor_days_past_due(oldest.get(case.customer_id), as_of)
        amount = overdue.get(case.customer_id, ZERO)
        promise = promises.get(case.pk)
        rows.append({"case": case, "customer": case.customer, "overdue": amount, "max_days_past_due": dpd,
                     "next_action": case.next_action_on, "promise": promise, "contact": contacts.get(case.customer_id),
                     "score": rules.priority_score(amount, dpd),
                     "action_due": case.next_action_on is not None and case.next_action_on <= as_of,
                     "promise_due": promise is not None and promise.promised_date <= as_of,
                     "key": rules.worklist_order(overdue_amount=amount, max_days_past_due=dpd,
                                                 promise_due=promise.promised_date if promise else None,
                                                 next_action=case.next_action_on, today=as_of)})
    rows.sort(key=lambda row: row["key"])
    return {"rows": rows, "as_of": as_of, "currency": table.reporting_currency, "missing_rates": missing}


def case_totals(case) -> list[dict]:
    """Amount, paid, written off, outstanding and recovered of one case, one row per currency (an amount in
    one currency is never added to one in another; two queries)."""
    rows = {}

    def row(currency):
        return rows.setdefault(currency, {"currency": currency, "amount": ZERO, "paid": ZERO, "written_off": ZERO,
                                          "outstanding": ZERO, "recovered": ZERO})

    for agg in (case.invoices.order_by().values("currency")
                .annotate(amount=Sum("amount"), paid=Sum("paid_amount"), written=Sum("written_off_amount"))):
        r = row(agg["currency"])
        r["amount"], r["paid"], r["written_off"] = agg["amount"] or ZERO, agg["paid"] or ZERO, agg["written"] or ZERO
        r["outstanding"] = r["amount"] - r["paid"] - r["written_off"]
    for agg in case.payments.filter(is_recovery=True).order_by().values("currency").annotate(total=Sum("amount")):
        row(agg["currency"])["recovered"] = agg["total"] or ZERO
    return [rows[c] for c in sorted(rows)]


CASE_TRANSITIONS = ("start", "escalate", "close", "mark_paid", "promise", "write_off")


def case_actions(case, user, *, pending_writeoff=None) -> dict[str, bool]:
    """What ``user`` may do now on ``case`` (the buttons of the case page): their rights and what the case's
    state machine allows from its state; ``pending_writeoff`` is the case's write-off waiting for a decision."""
    from django_fsm import can_proceed

    can = {name: can_proceed(getattr(case, name)) for name in CASE_TRANSITIONS}
    change = user.has_perm("collection.change_collectioncase")
    return {
        "start": change and can["start"], "escalate": change and can["escalate"],
        "mark_paid": change and can["mark_paid"], "close": change and can["close"], "assign": change and can["close"],
        "activity": user.has_perm("collection.add_collectionactivity"),
        "promise": user.has_perm("collection.add_promisetopay") and can["promise"],
        "propose_writeoff": user.has_perm("collection.propose_writeoff") and can["write_off"]
        and pending_writeoff is None,
        "recovery": case.state == CaseState.WRITTEN_OFF and user.has_perm("collection.add_payment"),
        "decide_writeoff": pending_writeoff is not None and user.has_perm("collection.approve_writeoff"),
    }


def writeoffs_awaiting(user):
    """Proposed write-offs ``user`` may decide: visible to them and not proposed by them (oldest first)."""
    return (WriteOff.objects.visible_to(user).filter(state=WriteOffState.PROPOSED).exclude(proposed_by=user)
            .select_related("case__customer").order_by("proposed_on", "pk"))


def active_case_states():
    return [CaseState(s) for s in ACTIVE_CASE_STATES]


