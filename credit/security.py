"""Reads of the security of applications (issue 23): the haircut and recovery tables in force, each collateral
item's and guarantee's counted value, revaluations due, and the guarantee cycles of the portfolio.

Selectors in the sense of ``docs/DEVELOPING.md``: set-wise, a constant number of queries per call; the
arithmetic is ``credit.rules`` (``lendable_value``, ``guarantor_grade``, ``recovery_factor``,
``counted_guarantee``, ``secured_value``, ``revaluation_status``, ``guarantee_cycles``). Used by the application
analysis (coverage), the pages, the API, the memo and monitoring's coverage metric.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from creditportal.core import clock
from creditportal.core.money import RateTable
from customers.models import Customer

from . import rules, selectors
from .models import Collateral, CollateralHaircut, CreditApplication, Facility, Guarantor, RecoveryFactor

ZERO = Decimal("0")
S = CreditApplication.Status
# Applications whose security still matters: in the workflow, approved, or behind an open facility.
LIVE_STATES = [*CreditApplication.OPEN_STATES, S.APPROVED]
OPEN_FACILITY_STATES = [Facility.Status.ACTIVE, Facility.Status.SUSPENDED]


# --- The tables in force ------------------------------------------------------------------------

def current_haircuts() -> dict[str, tuple[Decimal, int]]:
    """{collateral type: (haircut, revaluation interval in months)}: the table's rows over the shipped defaults."""
    table = dict(rules.DEFAULT_HAIRCUTS)
    table.update({kind: (haircut, months) for kind, haircut, months in
                  CollateralHaircut.objects.values_list("kind", "haircut", "revaluation_months")})
    return table


def recovery_grades() -> list[str]:
    """The grades of the recovery table: the master scale's (strongest first), then ``unrated``."""
    return [*rules.DEFAULT_GRADES, rules.UNRATED]


def current_recovery_factors() -> dict[str, Decimal]:
    """{grade: recovery factor} (``rules.UNRATED`` included): the table's rows over the shipped defaults."""
    factors = dict(rules.DEFAULT_RECOVERY_FACTORS)
    factors.update(dict(RecoveryFactor.objects.values_list("grade", "factor")))
    return factors


# --- Counted values -------------------------------------------------------------------------------

@dataclass
class CountedItem:
    """One collateral item or guarantee with what it counts for in coverage (in its own currency):
    ``factor`` is 1 − haircut for collateral, the recovery factor for a guarantee."""

    item: object
    kind: str                 # "collateral" or "guarantee"
    face: Decimal             # market value or amount guaranteed
    currency: str
    factor: Decimal
    counted: Decimal
    grade: str = ""           # a guarantee: the guarantor's grade used (``unrated`` when none)
    grade_source: str = ""    # "portal", "external" or "unrated"
    revaluation: str = ""     # collateral: "ok", "due" or "overdue"


def security_by_application(application_ids, *, on_date: dt.date | None = None) -> dict[int, list[CountedItem]]:
    """{application id: [CountedItem]} (collateral first, then guarantees) in four queries whatever the number
    of applications: collateral, guarantors, the guarantor customers' ratings, the recovery table."""
    on_date = on_date or clock.today()
    ids = list(application_ids)
    result: dict[int, list[CountedItem]] = defaultdict(list)
    if not ids:
        return result
    for c in Collateral.objects.filter(application_id__in=ids).order_by("id"):
        result[c.application_id].append(CountedItem(
            c, "collateral", c.market_value, c.currency, Decimal(1) - c.haircut, c.lendable_value,
            revaluation=rules.revaluation_status(c.revaluation_due, on_date)))
    guarantors = list(Guarantor.objects.filter(application_id__in=ids).select_related("customer").order_by("id"))
    if guarantors:
        ratings = selectors.current_ratings({g.customer_id for g in guarantors if g.customer_id})
        factors = current_recovery_factors()
        for g in guarantors:
            rating = ratings.get(g.customer_id) if g.customer_id else None
            own = rating.grade if rating is not None and not selectors.rating_is_expired(rating, on_date) else None
            # a portal customer counts with its own rating in force; an outside party with its agency's
            grade, source = rules.guarantor_grade(
                customer_grade=own, mapped_grade="" if g.customer_id else g.mapped_grade,
                rated_on=g.external_rated_on, on_date=on_date)
            factor = rules.recovery_factor(grade, factors)
            result[g.application_id].append(CountedItem(
                g, "guarantee", g.amount, g.currency, factor, rules.counted_guarantee(g.amount, factor),
                grade=grade, grade_source=source))
    return result


def secured_value(items, currency: str, table: RateTable) -> Decimal:
    """What the items secure in ``currency`` (``rules.secured_value``: lendable collateral plus counted
    guarantees); raises ``MissingRate`` without a rate."""
    collateral = [table.convert(i.counted, i.currency, currency) for i in items if i.kind == "collateral"]
    guarantees = [table.convert(i.counted, i.currency, currency) for i in items if i.kind == "guarantee"]
    return rules.secured_value(collateral, guarantees)


def _behind_open_facilities():
    return Facility.objects.filter(status__in=OPEN_FACILITY_STATES, application__isnull=False).values("application_id")


# --- Revaluations ---------------------------------------------------------------------------------

def revaluations_due(*, customer_ids=None, application_ids=None, on_date: dt.date | None = None) -> list[dict]:
    """The collateral of live applications and open facilities whose revaluation is due (within
    ``rules.REVALUATION_DUE_WINDOW_DAYS``) or overdue, soonest first (one query):
    ``[{"collateral", "application_id", "customer_id", "status", "days"}]`` (``days`` past the date, negative
    before it)."""
    on_date = on_date or clock.today()
    horizon = on_date + dt.timedelta(days=rules.REVALUATION_DUE_WINDOW_DAYS)
    live = Q(application__status__in=LIVE_STATES) | Q(application_id__in=_behind_open_facilities())
    qs = Collateral.objects.filter(revaluation_due__lte=horizon)
    if customer_ids is not None:
        qs = qs.filter(application__customer_id__in=list(customer_ids))
    if application_ids is not None:
        qs = qs.filter(application_id__in=list(application_ids))
    rows = qs.filter(live).select_related("application").order_by("revaluation_due", "id")
    return [{"collateral": c, "application_id": c.application_id, "customer_id": c.application.customer_id,
             "status": rules.revaluation_status(c.revaluation_due, on_date),
             "days": (on_date - c.revaluation_due).days} for c in rows]


# --- Guarantee cycles -----------------------------------------------------------------------------

def guarantee_edges() -> list[tuple[int, int]]:
    """(guarantor customer, guaranteed customer) of the guarantees that count today: on applications in the
    workflow or approved, and behind open facilities (one query)."""
    rows = (Guarantor.objects.filter(customer__isnull=False)
            .filter(Q(application__status__in=LIVE_STATES) | Q(application_id__in=_behind_open_facilities()))
            .values_list("customer_id", "application__customer_id").distinct())
    return sorted(set(rows))


def guarantee_cycles(customer_ids=None) -> list[dict]:
    """The mutual and chain guarantees of the portfolio (``rules.guarantee_cycles``), those touching
    ``customer_ids`` when given: ``[{"customers": [Customer, ...] in guarantee order, "ids", "kind"
    ("mutual"/"chain"), "group_id" (all in one group) or None}]`` (two queries)."""
    cycles = rules.guarantee_cycles(guarantee_edges())
    if customer_ids is not None:
        wanted = set(customer_ids)
        cycles = [c for c in cycles if wanted & set(c)]
    if not cycles:
        return []
    members = {c.pk: c for c in Customer.objects.filter(pk__in={i for c in cycles for i in c}).only(
        "id", "name", "group_id")}
    found = []
    for cycle in cycles:
        groups = {members[i].group_id for i in cycle if i in members}
        found.append({"ids": list(cycle), "customers": [members[i] for i in cycle if i in members],
                      "kind": rules.cycle_kind(cycle),
                      "group_id": next(iter(groups)) if len(groups) == 1 and None not in groups else None})
    return found
