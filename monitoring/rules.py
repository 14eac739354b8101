"""The monitoring arithmetic as plain functions: classification floor, provisions, rule comparisons,
z-score and the rating migration matrix.

Nothing here touches the database: selectors and services feed these functions with rows and store the
results, so each rule lives in one place and is unit-tested on its own (``tests/monitoring/test_pure_rules.py``).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Mapping, Sequence

ZERO = Decimal("0")
CENT = Decimal("0.01")
RATIO_EXP = Decimal("0.0001")

# --- Asset classification -----------------------------------------------------------------------

NORMAL = "normal"
SPECIAL_MENTION = "special_mention"
SUBSTANDARD = "substandard"
DOUBTFUL = "doubtful"
LOSS = "loss"
TIERS = [NORMAL, SPECIAL_MENTION, SUBSTANDARD, DOUBTFUL, LOSS]  # best first
TIER_RANK = {tier: rank for rank, tier in enumerate(TIERS)}

DEFAULT_PROVISION_RATES = {
    NORMAL: Decimal("0.01"),
    SPECIAL_MENTION: Decimal("0.02"),
    SUBSTANDARD: Decimal("0.25"),
    DOUBTFUL: Decimal("0.50"),
    LOSS: Decimal("1.00"),
}


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def floor_tier(days_past_due: int | None) -> str:
    """The floor by days past due (design brief §3): the best tier allowed for a debtor whose oldest
    overdue amount is ``days_past_due`` days past due.

    Any overdue → at least special mention; > 90 → substandard; > 270 → doubtful; > 360 → loss.
    ``None`` or ``<= 0`` (not overdue) → normal.
    """
    days = days_past_due or 0
    if days > 360:
        return LOSS
    if days > 270:
        return DOUBTFUL
    if days > 90:
        return SUBSTANDARD
    if days > 0:
        return SPECIAL_MENTION
    return NORMAL


# The floor a rating sets, by the grade's letter (design brief §3; ``CLASSIFICATION_GRADE_FLOORS`` in the
# settings replaces it): a debtor rated D is at least substandard, one rated in letter C at least special
# mention; A and B set no floor.
DEFAULT_GRADE_FLOORS = {"C": SPECIAL_MENTION, "D": SUBSTANDARD}


def grade_floor(letter: str | None, floors: Mapping[str, str] | None = None) -> str:
    """The best tier a debtor rated in ``letter`` may have (``None``: not rated → no floor)."""
    floors = DEFAULT_GRADE_FLOORS if floors is None else floors
    return floors.get(letter or "", NORMAL)


def worse_tier(a: str, b: str) -> str:
    return a if TIER_RANK[a] >= TIER_RANK[b] else b


def is_better_than(tier: str, other: str) -> bool:
    return TIER_RANK[tier] < TIER_RANK[other]


@dataclass(frozen=True)
class Classification:
    dpd_floor: str      # the floor by days past due
    grade_floor: str    # the floor by the rating's letter
    floor: str          # the worse of the two: no tier may be better
    tier: str           # what applies: the floor, or a worse manual tier


def classify(*, days_past_due: int | None, letter: str | None = None, manual_tier: str | None = None,
             floors: Mapping[str, str] | None = None) -> Classification:
    """The one classification rule (month-end run, reclassification and the simulation in ``validation``).

    By debtor: ``days_past_due`` is the customer's worst (its oldest overdue amount), so the worst tier
    of one exposure applies to all of them. The tier is the worse of the floor by days past due, the floor
    by grade and the manual tier (a manual tier better than the floor does not count).
    """
    dpd = floor_tier(days_past_due)
    by_grade = grade_floor(letter, floors)
    floor = worse_tier(dpd, by_grade)
    tier = worse_tier(floor, manual_tier) if manual_tier else floor
    return Classification(dpd, by_grade, floor, tier)


def check_manual_tier(requested: str, floor: str) -> bool:
    """A user may classify worse than (or equal to) the floor, never better."""
    if requested not in TIER_RANK:
        raise ValueError(f"unknown tier {requested!r}")
    return not is_better_than(requested, floor)


def provision(exposure: Decimal, tier: str, rates: Mapping[str, Decimal] | None = None) -> Decimal:
    """Provision = exposure × the tier's rate, rounded half up to the cent."""
    rates = rates or DEFAULT_PROVISION_RATES
    return cents(exposure * rates[tier])


@dataclass(frozen=True)
class ProvisionLine:
    customer_id: int
    tier: str
    exposure: Decimal
    rate: Decimal
    amount: Decimal


def provision_lines(exposures: Mapping[int, Decimal], tiers: Mapping[int, str],
                    rates: Mapping[str, Decimal] | None = None) -> list[ProvisionLine]:
    """One line per customer with exposure (a customer without a tier is normal)."""
    rates = rates or DEFAULT_PROVISION_RATES
    lines = []
    for customer_id in sorted(exposures):
        exposure = exposures[customer_id]
        tier = tiers.get(customer_id, NORMAL)
        lines.append(ProvisionLine(customer_id, tier, exposure, rates[tier], provision(exposure, tier, rates)))
    return lines


def totals_by_tier(lines: Iterable[ProvisionLine]) -> dict[str, dict[str, Decimal | int]]:
    """{tier: {"count", "exposure", "provision"}} for every tier (zeros included), in tier order."""
    result = {tier: {"count": 0, "exposure": ZERO, "provision": ZERO} for tier in TIERS}
    for line in lines:
        row = result[line.tier]
        row["count"] += 1
        row["exposure"] += line.exposure
        row["provision"] += line.amount
    return result


def movement_by_tier(current: Mapping[str, Mapping], previous: Mapping[str, Mapping] | None):
    """[{tier, exposure, provision, previous_exposure, previous_provision, change_exposure, change_provision}]."""
    rows = []
    for tier in TIERS:
        now = current.get(tier) or {}
        before = (previous or {}).get(tier) or {}
        exp_now, prov_now = Decimal(now.get("exposure") or 0), Decimal(now.get("provision") or 0)
        exp_before, prov_before = Decimal(before.get("exposure") or 0), Decimal(before.get("provision") or 0)
        rows.append({
            "tier": tier,
            "count": int(now.get("count") or 0),
            "previous_count": int(before.get("count") or 0),
            "exposure": exp_now, "provision": prov_now,
            "previous_exposure": exp_before, "previous_provision": prov_before,
            "change_exposure": exp_now - exp_before, "change_provision": prov_now - prov_before,
        })
    return rows


# --- Rule evaluation ------------------------------------------------------------------------------

COMPARISONS = {
    ">": lambda v, t: v > t,
    ">=": lambda v, t: v >= t,
    "<": lambda v, t: v < t,
    "<=": lambda v, t: v <= t,
    "=": lambda v, t: v == t,
    "!=": lambda v, t: v != t,
}


def compare(value, comparison: str, threshold) -> bool:
    """Whether ``value comparison threshold`` holds; ``None`` (not available) never fires."""
    if value is None:
        return False
    if comparison not in COMPARISONS:
        raise ValueError(f"unknown comparison {comparison!r}")
    return COMPARISONS[comparison](Decimal(value), Decimal(threshold))




def relative_change(current: Decimal | None, previous: Decimal | None) -> Decimal | None:
    """(current − previous) / |previous|, or None when not computable."""
    if current is None or previous is None or previous == 0:
        return None
    return ((Decimal(current) - Decimal(previous)) / abs(Decimal(previous))).quantize(RATIO_EXP, ROUND_HALF_UP)


def z_score(current: Decimal, history: Sequence[Decimal]) -> Decimal | None:
    """How many standard deviations ``current`` lies from the mean of ``history`` (population sd).

    Needs at least two past periods; a flat history (sd 0) gives None unless current differs, in which
    case the deviation is measured against 10% of the mean (so a jump from a flat line still shows).
    """
    values = [Decimal(v) for v in history]
    if len(values) < 2:
        return None
    mean = sum(values, ZERO) / len(values)
    variance = sum(((v - mean) ** 2 for v in values), ZERO) / len(values)
    sd = variance.sqrt() if variance > 0 else ZERO
    if sd == 0:
        if Decimal(current) == mean:
            return ZERO
        sd = abs(mean) / 10 if mean != 0 else None
        if sd is None:
            return None
    return ((Decimal(current) - mean) / sd).quantize(RATIO_EXP, ROUND_HALF_UP)


def volume_series(amounts_by_period: Mapping[int, Decimal], periods: int) -> tuple[Decimal, list[Decimal]]:
    """(current period's volume, the trailing ``periods`` volumes) from {period index: amount}.

    Period 0 is the current window, 1 the one before, and so on; missing periods count as zero.
    """
    current = Decimal(amounts_by_period.get(0, ZERO))
    history = [Decimal(amounts_by_period.get(i, ZERO)) for i in range(1, periods + 1)]
    return current, history




# --- Rating migration -------------------------------------------------------------------------------

def migration_matrix(pairs: Iterable[tuple[str | None, str | None]], grades: Sequence[str]):
    """Counts of (grade at the start → grade at the end) over ``grades`` (strongest first).

    ``pairs`` holds one (from, to) per customer, or (from, to, count) rows counted in the database; ``None`` on either side is "not rated" (its own row or
    column, key ``"NR"``). Returns ``{"grades", "rows": [{"from", "cells": [{"to", "count"}], "total"}],
    "upgrades", "downgrades", "unchanged"}``.
    """
    keys = list(grades) + ["NR"]
    counts = defaultdict(int)
    upgrades = downgrades = unchanged = 0
    rank = {g: i for i, g in enumerate(grades)}
    for pair in pairs:
        start, end = pair[0], pair[1]
        n = pair[2] if len(pair) > 2 else 1
        a, b = start or "NR", end or "NR"
        if a not in keys or b not in keys:
            continue
        counts[(a, b)] += n
        if a in rank and b in rank:
            if rank[b] < rank[a]:
                upgrades += n
            elif rank[b] > rank[a]:
                downgrades += n
            else:
                unchanged += n
    rows = []
    for a in keys:
        cells = [{"to": b, "count": counts[(a, b)]} for b in keys]
        rows.append({"from": a, "cells": cells, "total": sum(c["count"] for c in cells)})
    return {"grades": keys, "rows": rows, "upgrades": upgrades, "downgrades": downgrades, "unchanged": unchanged}


def notches(from_grade: str | None, to_grade: str | None, grades: Sequence[str]) -> int | None:
    """Notches moved from ``from_grade`` to ``to_grade`` (positive = downgrade), None if unknown."""
    if from_grade not in grades or to_grade not in grades:
        return None
    return list(grades).index(to_grade) - list(grades).index(from_grade)


# --- Age buckets for alerts ---------------------------------------------------------------------------

ALERT_AGE_BUCKETS = [("d0_7", 0, 7), ("d8_30", 8, 30), ("d31_90", 31, 90), ("over_90", 91, None)]


# --- Warnings at the moment of decision -------------------------------------------------------------------
# DESIGN §3 / issue 21: conditions that should stop an approval are shown to the approver, who must acknowledge
# each with a comment; the acknowledgement is recorded in the decision and printed in the memo.

PENDING_DOWNGRADE = "pending_downgrade"
OVERDUE_BEYOND_TOLERANCE = "overdue_beyond_tolerance"
HIGH_SEVERITY_ALERT = "high_severity_alert"
RATING_EXPIRED = "rating_expired"
OPEN_COLLECTION_CASE = "open_collection_case"
GUARANTEE_CYCLE = "guarantee_cycle"  # the customer is in a mutual or chain guarantee (issue 23)
WARNING_CODES = (PENDING_DOWNGRADE, OVERDUE_BEYOND_TOLERANCE, HIGH_SEVERITY_ALERT, RATING_EXPIRED,
                 OPEN_COLLECTION_CASE, GUARANTEE_CYCLE)
HIGH_SEVERITIES = ("high", "critical")


@dataclass(frozen=True)
class DecisionFacts:
    """What a decision about a customer must weigh, as plain values (built by ``monitoring.header``)."""

    rated: bool
    rating_expired: bool
    pending_notches: int | None  # an open rating proposal's grade against the current one (+ = downgrade)
    max_days_past_due: int
    overdue_tolerance_days: int
    alerts_by_severity: Mapping[str, int]
    open_cases: int
    guarantee_cycles: int = 0  # mutual or chain guarantees the customer is in (``credit.rules.guarantee_cycles``)


@dataclass(frozen=True)
class DecisionWarning:
    code: str
    params: Mapping[str, object]


def decision_warnings(facts: DecisionFacts) -> list[DecisionWarning]:
    """The warnings an approver must acknowledge before approving a rating or an application, in a fixed order:
    an open rating proposal worse than the grade in force; days past due beyond the policy's tolerance; an
    active alert of high or critical severity; no rating in force or an expired one; an active collection case;
    the customer in a mutual or chain guarantee."""
    found = []
    if facts.pending_notches is not None and facts.pending_notches > 0:
        found.append(DecisionWarning(PENDING_DOWNGRADE, {"notches": facts.pending_notches}))
    if facts.max_days_past_due > facts.overdue_tolerance_days:
        found.append(DecisionWarning(OVERDUE_BEYOND_TOLERANCE, {"days": facts.max_days_past_due,
                                                                "tolerance": facts.overdue_tolerance_days}))
    high = sum(facts.alerts_by_severity.get(s, 0) for s in HIGH_SEVERITIES)
    if high:
        found.append(DecisionWarning(HIGH_SEVERITY_ALERT, {"count": high}))
    if not facts.rated or facts.rating_expired:
        found.append(DecisionWarning(RATING_EXPIRED, {"rated": facts.rated}))
    if facts.open_cases:
        found.append(DecisionWarning(OPEN_COLLECTION_CASE, {"count": facts.open_cases}))
    if facts.guarantee_cycles:
        found.append(DecisionWarning(GUARANTEE_CYCLE, {"count": facts.guarantee_cycles}))
    return found


def unacknowledged(warnings: Sequence[DecisionWarning], acknowledged: Iterable[str]) -> list[str]:
    """The codes of ``warnings`` not in ``acknowledged`` (an approval is refused while any remain)."""
    done = set(acknowledged)
    return [w.code for w in warnings if w.code not in done]


# --- The portfolio over time (monthly, from the month-end classifications) -------------------------------------

NPL_TIERS = (SUBSTANDARD, DOUBTFUL, LOSS)  # non-performing: substandard and worse (次级、可疑、损失)


def share(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    """``part / whole`` as a fraction to four places (0.0123 = 1.23%); None when there is no whole (no ratio, not 0%)."""
    if not whole:
        return None
    return (Decimal(part or 0) / Decimal(whole)).quantize(RATIO_EXP)


@dataclass(frozen=True)
class MonthFigures:
    """One month-end of the portfolio: exposure, the part in non-performing tiers, the part of customers past
    due, and the provisions booked for it."""

    exposure: Decimal
    npl_exposure: Decimal
    overdue_exposure: Decimal
    provision: Decimal | None

    @property
    def npl_ratio(self) -> Decimal | None:
        """不良率: exposure classified substandard or worse over all exposure."""
        return share(self.npl_exposure, self.exposure)

    @property
    def overdue_rate(self) -> Decimal | None:
        """逾期率: exposure of customers past due at the month end over all exposure."""
        return share(self.overdue_exposure, self.exposure)

    @property
    def provision_coverage(self) -> Decimal | None:
        """拨备覆盖率: provisions over non-performing exposure (None without non-performing exposure)."""
        if self.provision is None:
            return None
        return share(self.provision, self.npl_exposure)


def letter_moves(pairs: Iterable[tuple[str | None, str | None, int]], letters: Sequence[str]) -> dict[str, int]:
    """Upgrades, downgrades and unchanged among ``(previous letter, letter, count)`` rows of one month (a
    customer without a letter on either side is left out)."""
    rank = {letter: i for i, letter in enumerate(letters)}
    moves = {"upgrades": 0, "downgrades": 0, "unchanged": 0}
    for before, after, count in pairs:
        if before not in rank or after not in rank:
            continue
        key = "upgrades" if rank[after] < rank[before] else "downgrades" if rank[after] > rank[before] else "unchanged"
        moves[key] += count
    return moves


# --- Under-used limits (issue 23: lower the limit of customers whose orders stay far below it) --------------------

def trailing_month_ends(on_date, periods: int) -> list:
    """The last ``periods`` month ends on or before ``on_date``, oldest first (``on_date`` itself when it is one)."""
    import datetime as dt

    ends = []
    end = on_date if (on_date + dt.timedelta(days=1)).day == 1 else on_date.replace(day=1) - dt.timedelta(days=1)
    while len(ends) < periods:
        ends.append(end)
        end = end.replace(day=1) - dt.timedelta(days=1)
    return list(reversed(ends))


def average_usage(usages: Sequence[Decimal], limit: Decimal | None) -> Decimal | None:
    """The mean of the month-end usages over ``limit`` (a fraction to four places: 0.15 = 15%); a negative usage
    (a credit balance) counts 0; None without a limit or without months."""
    if not limit or not usages:
        return None
    mean = sum((max(Decimal(u), ZERO) for u in usages), ZERO) / len(usages)
    return (mean / Decimal(limit)).quantize(RATIO_EXP, ROUND_HALF_UP)
