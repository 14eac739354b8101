"""The credit rules as plain functions: required approval levels, policy check, collateral, limit arithmetic.

Nothing here touches the database; services load the rows, call these functions and store the results,
so every rule is unit-tested on its own and lives in one place.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable, Iterable, Sequence

ZERO = Decimal("0")
CENT = Decimal("0.01")

# Fallback order of the master scale (strongest first); services pass ``ratings``' own ``grade_rank``.
DEFAULT_GRADES = ["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", "D"]


def default_grade_rank(grade: str) -> int:
    """0 for the strongest grade; larger is weaker."""
    return DEFAULT_GRADES.index(grade)


def q2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- Authority matrix -------------------------------------------------------------------------

@dataclass(frozen=True)
class Level:
    """One level of the authority matrix: the largest amount (reporting currency; ``None`` = no cap)
    and the weakest grade it may approve (``""`` = any grade)."""

    number: int
    max_amount: Decimal | None
    weakest_grade: str = ""


@dataclass(frozen=True)
class RequiredLevels:
    levels: int | None          # how many levels must approve (1..n), None if no level may approve it
    exposure: Decimal           # amount + group exposure, reporting currency
    reasons: tuple = ()         # why (machine codes, shown translated by the page)


def required_levels(
    *,
    levels: Sequence[Level],
    amount: Decimal,
    group_exposure: Decimal = ZERO,
    grade: str | None,
    exception: bool = False,
    decrease: bool = False,
    grade_rank: Callable[[str], int] = default_grade_rank,
) -> RequiredLevels:
    """The number of levels that must approve an application.

    * a decrease of a limit needs one level;
    * a policy exception needs the top level;
    * otherwise the lowest level whose ``max_amount`` covers amount + group exposure (an amount equal to
      the level's maximum is within it) and whose weakest grade is not stronger than the grade.
    Returns ``levels=None`` when no level may approve (the exposure or grade is beyond the matrix).
    """
    ordered = sorted(levels, key=lambda lv: lv.number)
    exposure = amount + (group_exposure or ZERO)
    if not ordered:
        return RequiredLevels(None, exposure, ("no_matrix",))
    if decrease:
        return RequiredLevels(1, exposure, ("decrease",))
    top = ordered[-1].number
    if exception:
        return RequiredLevels(top, exposure, ("policy_exception",))
    for level in ordered:
        amount_ok = level.max_amount is None or exposure <= level.max_amount
        grade_ok = (not level.weakest_grade or grade is None
                    or grade_rank(grade) <= grade_rank(level.weakest_grade))
        if amount_ok and grade_ok:
            reasons = ["amount"]
            if grade is not None and level.number > 1:
                below = [lv for lv in ordered if lv.number < level.number]
                if any(lv.max_amount is None or exposure <= lv.max_amount for lv in below):
                    reasons = ["grade"]
            return RequiredLevels(level.number, exposure, tuple(reasons))
    return RequiredLevels(None, exposure, ("beyond_matrix",))


def effective_level(own_level: int | None, delegated_levels: Iterable[int]) -> int | None:
    """A user's authority on a day: the highest of their own level and the levels delegated to them."""
    candidates = [lv for lv in [own_level, *delegated_levels] if lv]
    return max(candidates) if candidates else None


def delegation_active(start: dt.date, end: dt.date, on_date: dt.date, revoked: bool = False) -> bool:
    """A delegation counts from ``start`` to ``end`` inclusive, and expires by itself afterwards."""
    return not revoked and start <= on_date <= end


# --- Collateral and coverage ------------------------------------------------------------------

def lendable_value(market_value: Decimal, haircut: Decimal) -> Decimal:
    """Market value less the haircut (a fraction 0..1)."""
    if haircut < 0 or haircut > 1:
        raise ValueError("haircut must be between 0 and 1")
    return q2(market_value * (Decimal(1) - haircut))


def coverage_ratio(secured: Decimal, amount: Decimal) -> Decimal | None:
    """Lendable collateral plus guarantees as a share of the amount (4 decimals); None for amount 0."""
    if not amount:
        return None
    return (secured / amount).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


# --- Policy check -----------------------------------------------------------------------------

HARD = "hard"
SOFT = "soft"


@dataclass(frozen=True)
class GradeRule:
    """What a policy allows for one grade (amounts in the reporting currency, shares as fractions)."""

    grade: str
    eligible: bool = True
    max_limit: Decimal | None = None
    max_limit_hard: bool = True
    max_equity_share: Decimal | None = None
    max_revenue_share: Decimal | None = None
    share_hard: bool = False
    max_term_months: int | None = None
    term_hard: bool = False
    min_coverage: Decimal | None = None
    coverage_hard: bool = False


@dataclass(frozen=True)
class Violation:
    code: str
    severity: str       # "hard" or "soft"
    limit: str = ""     # the policy's figure, as text
    actual: str = ""    # the application's figure, as text

    def as_dict(self):
        return {"code": self.code, "severity": self.severity, "limit": self.limit, "actual": self.actual}


@dataclass(frozen=True)
class PolicyResult:
    violations: tuple = ()

    @property
    def hard(self):
        return [v for v in self.violations if v.severity == HARD]

    @property
    def soft(self):
        return [v for v in self.violations if v.severity == SOFT]

    @property
    def blocked(self) -> bool:
        return bool(self.hard)

    @property
    def needs_exception(self) -> bool:
        return bool(self.soft) and not self.hard


def policy_check(
    *,
    rule: GradeRule | None,
    amount: Decimal,
    term_months: int,
    coverage: Decimal | None,
    equity: Decimal | None = None,
    revenue: Decimal | None = None,
    group_limit_free: Decimal | None = None,
) -> PolicyResult:
    """Check an application (``amount`` and ``equity``/``revenue`` in the reporting currency).

    No rule for the grade → a hard violation (the policy does not lend to it). ``group_limit_free`` is what
    the group limit leaves after the group's other facilities; exceeding it is a soft violation.
    """
    violations: list[Violation] = []
    if rule is None or not rule.eligible:
        violations.append(Violation("grade_not_eligible", HARD, "", rule.grade if rule else ""))
        return PolicyResult(tuple(violations))
    if rule.max_limit is not None and amount > rule.max_limit:
        violations.append(Violation("max_limit", HARD if rule.max_limit_hard else SOFT,
                                    str(rule.max_limit), str(amount)))
    share_severity = HARD if rule.share_hard else SOFT
    if rule.max_equity_share is not None:
        cap = None if equity is None else q2(max(equity, ZERO) * rule.max_equity_share)
        if cap is None:
            violations.append(Violation("equity_unknown", share_severity, str(rule.max_equity_share), ""))
        elif amount > cap:
            violations.append(Violation("max_equity_share", share_severity, str(cap), str(amount)))
    if rule.max_revenue_share is not None:
        cap = None if revenue is None else q2(max(revenue, ZERO) * rule.max_revenue_share)
        if cap is None:
            violations.append(Violation("revenue_unknown", share_severity, str(rule.max_revenue_share), ""))
        elif amount > cap:
            violations.append(Violation("max_revenue_share", share_severity, str(cap), str(amount)))
    if rule.max_term_months is not None and term_months > rule.max_term_months:
        violations.append(Violation("max_term", HARD if rule.term_hard else SOFT,
                                    str(rule.max_term_months), str(term_months)))
    if rule.min_coverage is not None and rule.min_coverage > 0:
        actual = coverage if coverage is not None else ZERO
        if actual < rule.min_coverage:
            violations.append(Violation("min_coverage", HARD if rule.coverage_hard else SOFT,
                                        str(rule.min_coverage), str(actual)))
    if group_limit_free is not None and amount > group_limit_free:
        violations.append(Violation("group_limit", SOFT, str(group_limit_free), str(amount)))
    return PolicyResult(tuple(violations))


# --- Limit arithmetic ------------------------------------------------------------------------

@dataclass(frozen=True)
class LimitCheck:
    allowed: bool
    reasons: tuple = ()
    limit: Decimal = ZERO
    utilised: Decimal = ZERO
    free: Decimal = ZERO
    group_free: Decimal | None = None
    details: dict = field(default_factory=dict)


def free_limit(limit: Decimal, utilised: Decimal) -> Decimal:
    return max(limit - utilised, ZERO)


def utilisation_share(limit: Decimal, utilised: Decimal) -> Decimal:
    """Utilisation as a percentage for the bar (0..100, capped)."""
    if not limit:
        return Decimal(100) if utilised else ZERO
    return min(Decimal(100), (utilised * 100 / limit).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def limit_decision(
    *,
    amount: Decimal,
    limit: Decimal,
    utilised: Decimal,
    status_reasons: Iterable[str] = (),
    group_limit: Decimal | None = None,
    group_utilised: Decimal = ZERO,
    group_amount: Decimal | None = None,
) -> LimitCheck:
    """Is an order or drawdown of ``amount`` allowed? Reasons: the status ones first, then
    ``over_free_limit`` and ``over_group_limit`` (``group_amount`` is the amount in the group limit's
    currency)."""
    reasons = list(status_reasons)
    free = free_limit(limit, utilised)
    if amount <= 0:
        reasons.append("amount_not_positive")
    if amount > free:
        reasons.append("over_free_limit")
    group_free = None
    if group_limit is not None:
        group_free = free_limit(group_limit, group_utilised)
        if (group_amount if group_amount is not None else amount) > group_free:
            reasons.append("over_group_limit")
    return LimitCheck(not reasons, tuple(reasons), limit, utilised, free, group_free)


# --- Covenants --------------------------------------------------------------------------------

COMPARISONS = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
}


def _ratio(numerator, denominator):
    if numerator is None or denominator in (None, 0):
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def statement_ratios(values: dict) -> dict:
    """Covenant ratios from a statement's line items (in yuan): None where an input is missing or zero."""
    v = values
    return {
        "debt_to_equity": _ratio(v.get("total_liabilities"), v.get("equity")),
        "equity_ratio": _ratio(v.get("equity"), v.get("total_assets")),
        "debt_to_assets": _ratio(v.get("total_liabilities"), v.get("total_assets")),
        "current_ratio": _ratio(v.get("current_assets"), v.get("current_liabilities")),
        "interest_coverage": _ratio(v.get("operating_profit"), v.get("interest_expense")),
        "net_margin": _ratio(v.get("net_profit"), v.get("revenue")),
        "net_worth": v.get("equity"),
    }


def covenant_holds(value: Decimal | None, comparison: str, threshold: Decimal) -> bool | None:
    """True if the covenant holds, False if breached, None if it cannot be tested (value missing)."""
    if value is None:
        return None
    return COMPARISONS[comparison](Decimal(value), threshold)
