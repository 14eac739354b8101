"""The monitoring arithmetic as plain functions: classification floor, provisions, rule comparisons,
z-score, concentration (HHI, top-N shares) and the rating migration matrix.

Nothing here touches the database: selectors and services feed these functions with rows and store the
results, so each rule lives in one place and is unit-tested on its own (``tests/monitoring/test_logic.py``).
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
    """The best tier allowed for an exposure ``days_past_due`` days overdue (design brief §3).

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


def worse_tier(a: str, b: str) -> str:
    return a if TIER_RANK[a] >= TIER_RANK[b] else b


def worst_tier(tiers: Iterable[str]) -> str:
    """By debtor: the worst tier of a customer's exposures applies to all of them (normal if none)."""
    result = NORMAL
    for tier in tiers:
        result = worse_tier(result, tier)
    return result


def debtor_tier(days_past_due_of_exposures: Iterable[int | None]) -> str:
    """The floor tier of a debtor: the worst floor over its exposures."""
    return worst_tier(floor_tier(d) for d in days_past_due_of_exposures)


def is_better_than(tier: str, other: str) -> bool:
    return TIER_RANK[tier] < TIER_RANK[other]


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


def firing(values: Mapping[int, Decimal | None], comparison: str, threshold) -> dict[int, Decimal]:
    """The customers whose metric value fires the rule: {customer_id: value}."""
    return {cid: value for cid, value in values.items() if compare(value, comparison, threshold)}


def in_window(day_offset: int, window_days: int) -> bool:
    """Whether an event ``day_offset`` days ago falls in a window of ``window_days`` days (0 = today)."""
    return 0 <= day_offset < max(window_days, 1)


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


# --- Concentration ------------------------------------------------------------------------------

def shares(amounts: Mapping, total: Decimal | None = None) -> dict:
    total = Decimal(total if total is not None else sum(amounts.values(), ZERO))
    if total <= 0:
        return {k: ZERO for k in amounts}
    return {k: (Decimal(v) / total).quantize(RATIO_EXP, ROUND_HALF_UP) for k, v in amounts.items()}


def hhi(amounts: Iterable[Decimal]) -> Decimal:
    """Herfindahl–Hirschman index on shares as fractions (0..1; 1 = a single name), 4 decimals."""
    values = [Decimal(v) for v in amounts if v]
    total = sum(values, ZERO)
    if total <= 0:
        return ZERO
    return sum(((v / total) ** 2 for v in values), ZERO).quantize(RATIO_EXP, ROUND_HALF_UP)


def top_n(amounts: Mapping, n: int = 10, total: Decimal | None = None) -> list[tuple]:
    """[(key, amount, share)] of the ``n`` largest, largest first (ties by key)."""
    total = Decimal(total if total is not None else sum(amounts.values(), ZERO))
    ordered = sorted(amounts.items(), key=lambda kv: (-Decimal(kv[1]), str(kv[0])))[:n]
    return [(k, Decimal(v), (Decimal(v) / total).quantize(RATIO_EXP, ROUND_HALF_UP) if total > 0 else ZERO)
            for k, v in ordered]


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


def alert_age_bucket(days: int) -> str:
    for key, low, high in ALERT_AGE_BUCKETS:
        if days >= low and (high is None or days <= high):
            return key
    return ALERT_AGE_BUCKETS[0][0]
