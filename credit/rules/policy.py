"""The policy check of an application, limit arithmetic and covenant tests."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

from ._common import ZERO, q2


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
    # trade credit (issue 23): the longest payment term (days), whether it is hard, the deposit/prepayment
    # required (a percentage of each order) and how the portal proposes a limit (``size_limit``)
    max_payment_term_days: int | None = None
    payment_term_hard: bool = False
    deposit_percent: Decimal | None = None
    sizing_method: str = ""
    sizing_share: Decimal | None = None


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
    exposure: Decimal | None = None,
    group_exposure: Decimal | None = None,
    group_limit: Decimal | None = None,
    decrease: bool = False,
    payment_term_days: int | None = None,
    proposed_limit: Decimal | None = None,
) -> PolicyResult:
    """Check an application (all amounts in the reporting currency).

    Grade caps and policy limits (maximum limit, shares of equity and revenue) apply to the customer's
    ``exposure`` after the amount applied for (``amount`` alone when no exposure is given); a group limit
    is hard: ``group_exposure`` (the members' exposures after the amount) above ``group_limit`` is refused
    until the limit is raised. A decrease cannot breach a cap. No rule for the grade → a hard violation.

    Trade credit: a ``payment_term_days`` longer than the grade's longest payment term breaks the term rule
    (a term equal to it is within); an exposure above the ``proposed_limit`` (``size_limit``'s figure) is a
    soft violation: the relationship manager may ask for more than the portal proposes, as an exception.
    """
    violations: list[Violation] = []
    if rule is None or not rule.eligible:
        violations.append(Violation("grade_not_eligible", HARD, "", rule.grade if rule else ""))
        return PolicyResult(tuple(violations))
    total = amount if exposure is None else exposure
    caps_apply = not decrease
    if caps_apply and rule.max_limit is not None and total > rule.max_limit:
        violations.append(Violation("max_limit", HARD if rule.max_limit_hard else SOFT,
                                    str(rule.max_limit), str(total)))
    share_severity = HARD if rule.share_hard else SOFT
    for basis, share, name in ((equity, rule.max_equity_share, "equity"), (revenue, rule.max_revenue_share, "revenue")):
        if not caps_apply or share is None:
            continue
        cap = None if basis is None else q2(max(basis, ZERO) * share)
        if cap is None:  # the share of an unknown figure: the cap cannot be checked
            violations.append(Violation(f"{name}_unknown", share_severity, str(share), ""))
        elif total > cap:
            violations.append(Violation(f"max_{name}_share", share_severity, str(cap), str(total)))
    if rule.max_term_months is not None and term_months > rule.max_term_months:
        violations.append(Violation("max_term", HARD if rule.term_hard else SOFT,
                                    str(rule.max_term_months), str(term_months)))
    if rule.min_coverage is not None and rule.min_coverage > 0:
        actual = coverage if coverage is not None else ZERO
        if actual < rule.min_coverage:
            violations.append(Violation("min_coverage", HARD if rule.coverage_hard else SOFT,
                                        str(rule.min_coverage), str(actual)))
    if (payment_term_days is not None and rule.max_payment_term_days is not None
            and payment_term_days > rule.max_payment_term_days):
        violations.append(Violation("max_payment_term", HARD if rule.payment_term_hard else SOFT,
                                    str(rule.max_payment_term_days), str(payment_term_days)))
    if caps_apply and proposed_limit is not None and total > proposed_limit:
        violations.append(Violation("above_proposed_limit", SOFT, str(proposed_limit), str(total)))
    if caps_apply and group_limit is not None and group_exposure is not None and group_exposure > group_limit:
        violations.append(Violation("group_limit", HARD, str(group_limit), str(group_exposure)))
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


# Covenant ratios whose denominator is equity: with equity at or below zero the ratio has no meaning and
# the company is worse than any threshold describes (liabilities exceed assets), so the covenant is breached.
EQUITY_DENOMINATED = frozenset({"debt_to_equity"})


def covenant_holds(value: Decimal | None, comparison: str, threshold: Decimal, *, ratio: str = "",
                   equity_depleted: bool = False) -> bool | None:
    """True if the covenant holds, False if breached, None if it cannot be tested (value missing).

    ``value`` is the credit file's ratio (``customers.rules``); a ratio over equity when the equity is
    zero or negative (``equity_depleted``) is a breach, not "cannot be tested"."""
    if ratio in EQUITY_DENOMINATED and equity_depleted:
        return False
    if value is None:
        return None
    return COMPARISONS[comparison](Decimal(value), threshold)
