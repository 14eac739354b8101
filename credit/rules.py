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


@dataclass(frozen=True)
class Authority:
    """What a person may decide on a day: the matrix level (``None``: no entry, no authority), the amount it
    covers (reporting currency; ``None`` with a level = no upper limit) and, when the level is lent, whose."""

    level: Level | None = None
    delegator_id: int | None = None

    @property
    def number(self) -> int | None:
        return self.level.number if self.level else None

    @property
    def max_amount(self) -> Decimal | None:
        return self.level.max_amount if self.level else ZERO

    def covers(self, amount: Decimal) -> bool:
        """Whether an amount-based decision (a write-off, …) of ``amount`` is within this authority.
        No matrix entry → no authority, whatever the amount."""
        if self.level is None:
            return False
        return self.level.max_amount is None or amount <= self.level.max_amount


NO_AUTHORITY = Authority()


def capped_level(delegated: Level, delegators_own: Level | None) -> Level | None:
    """A delegation lends at most the delegator's own authority today: the lower of the two levels
    (``None`` when the delegator no longer has any)."""
    if delegators_own is None:
        return None
    return delegated if delegated.number <= delegators_own.number else delegators_own


def authority(own: Level | None, delegations: Iterable[tuple[Level, Level | None, int]] = ()) -> Authority:
    """The one authority rule for every amount-based decision (applications, write-offs, policy exceptions).

    ``own`` is the person's entry in the matrix (``None``: none); ``delegations`` are the active ones
    received, as ``(delegated level, the delegator's own level today, delegator id)``. Each delegation is
    capped at the delegator's authority; the highest level wins (own first on a tie). No entry and no
    delegation → no authority.
    """
    best = Authority(own) if own is not None else NO_AUTHORITY
    for delegated, delegators_own, delegator_id in delegations:
        level = capped_level(delegated, delegators_own)
        if level is not None and (best.level is None or level.number > best.level.number):
            best = Authority(level, delegator_id)
    return best


def delegation_active(start: dt.date, end: dt.date, on_date: dt.date, revoked: bool = False) -> bool:
    """A delegation counts from ``start`` to ``end`` inclusive, and expires by itself afterwards."""
    return not revoked and start <= on_date <= end


# --- Exposure ---------------------------------------------------------------------------------

def facility_exposure(limit: Decimal, usage: Decimal) -> Decimal:
    """A facility's exposure: the larger of its limit and what it uses (an overdrawn facility counts in full)."""
    return max(limit, usage)


def customer_exposure(facilities: Iterable[tuple[Decimal, Decimal]], pending: Iterable[Decimal] = ()) -> Decimal:
    """A customer's exposure (design brief §3): the sum over its facilities of max(limit, usage), plus its
    pending applications (what they would add). All amounts in one currency (the reporting currency)."""
    return (sum((facility_exposure(limit, usage) for limit, usage in facilities), ZERO)
            + sum(pending, ZERO))


def pending_addition(*, amount: Decimal, decrease: bool = False, replaced_limit: Decimal | None = None) -> Decimal:
    """What a pending application adds to the exposure: a new limit in full; an increase or renewal what it
    asks above the limit it replaces; a decrease nothing."""
    if decrease:
        return ZERO
    if replaced_limit is not None:
        return max(amount - replaced_limit, ZERO)
    return amount


def exposure_after(*, exposure: Decimal, amount: Decimal, replaced_usage: Decimal = ZERO) -> Decimal:
    """The exposure once ``amount`` is granted: ``exposure`` leaves out the facility the application
    replaces (if any), whose usage still counts when it is above the new limit."""
    return exposure + max(amount, replaced_usage)


# --- Collateral and coverage ------------------------------------------------------------------

def lendable_value(market_value: Decimal, haircut: Decimal) -> Decimal:
    """Market value less the haircut (a fraction 0..1)."""
    if haircut < 0 or haircut > 1:
        raise ValueError("haircut must be between 0 and 1")
    return q2(market_value * (Decimal(1) - haircut))


def secured_value(collateral_lendable: Iterable[Decimal], guarantees: Iterable[Decimal]) -> Decimal:
    """What secures a limit: lendable collateral values plus guarantees (one currency)."""
    return sum(collateral_lendable, ZERO) + sum(guarantees, ZERO)


def coverage_ratio(secured: Decimal, amount: Decimal) -> Decimal | None:
    """The one coverage definition (the application's policy check and the monitoring alert): lendable
    collateral plus guarantees (``secured_value``) as a share of the amount (4 decimals); None for 0."""
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
    if caps_apply and rule.max_equity_share is not None:
        cap = None if equity is None else q2(max(equity, ZERO) * rule.max_equity_share)
        if cap is None:
            violations.append(Violation("equity_unknown", share_severity, str(rule.max_equity_share), ""))
        elif total > cap:
            violations.append(Violation("max_equity_share", share_severity, str(cap), str(total)))
    if caps_apply and rule.max_revenue_share is not None:
        cap = None if revenue is None else q2(max(revenue, ZERO) * rule.max_revenue_share)
        if cap is None:
            violations.append(Violation("revenue_unknown", share_severity, str(rule.max_revenue_share), ""))
        elif total > cap:
            violations.append(Violation("max_revenue_share", share_severity, str(cap), str(total)))
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


# --- Limit sizing (trade credit, issue 23) ----------------------------------------------------

SIZING_SALES_DAYS = "sales_days"        # expected monthly credit sales × (payment term + average days late) / 30
SIZING_EQUITY = "equity_share"          # a share of net worth (equity)
SIZING_REVENUE = "revenue_share"        # a share of (annual) revenue
SIZING_METHODS = (SIZING_SALES_DAYS, SIZING_EQUITY, SIZING_REVENUE)
DAYS_PER_MONTH = Decimal(30)


@dataclass(frozen=True)
class LimitSizing:
    """A proposed limit with its arithmetic: ``steps`` are ``{"code", "value", ...}`` in order (the page, the
    API and the memo word them); ``limit`` is ``None`` when the data the method needs is missing
    (``missing`` names it). Amounts in the reporting currency."""

    method: str
    limit: Decimal | None = None
    uncapped: Decimal | None = None
    cap: Decimal | None = None
    steps: tuple = ()
    missing: str = ""

    @property
    def capped(self) -> bool:
        return self.limit is not None and self.uncapped is not None and self.limit < self.uncapped

    def as_dict(self) -> dict:
        return {"method": self.method, "limit": None if self.limit is None else str(self.limit),
                "uncapped": None if self.uncapped is None else str(self.uncapped),
                "cap": None if self.cap is None else str(self.cap), "capped": self.capped,
                "missing": self.missing, "steps": [dict(step) for step in self.steps]}


def monthly_credit_sales(*, expected: Decimal | None, history_sales: Decimal | None,
                         history_months: int) -> tuple[Decimal | None, str]:
    """The monthly credit sales the sizing uses and where they come from: the amount the relationship manager
    expects (``"expected"``), else the customer's credit sales over the payment-history window divided by its
    months (``"history"``), else none (``""``)."""
    if expected is not None and expected > 0:
        return q2(expected), "expected"
    if history_sales is not None and history_sales > 0 and history_months > 0:
        return q2(history_sales / history_months), "history"
    return None, ""


def size_limit(
    *,
    method: str,
    cap: Decimal | None = None,
    monthly_sales: Decimal | None = None,
    sales_source: str = "",
    sales_months: int | None = None,
    payment_term_days: int | None = None,
    term_source: str = "",
    days_late: int | None = None,
    equity: Decimal | None = None,
    revenue: Decimal | None = None,
    share: Decimal | None = None,
) -> LimitSizing:
    """The limit the policy proposes for a customer, by ``method`` (one of ``SIZING_METHODS``), capped by the
    grade's maximum limit ``cap``:

    * ``sales_days``: ``monthly_sales × (payment_term_days + days_late) / 30`` — the receivables a customer
      carries when it buys ``monthly_sales`` a month on ``payment_term_days`` and pays ``days_late`` days after
      the due date on average (``days_late`` ``None``: no payment history, counted as 0);
    * ``equity_share``: ``max(equity, 0) × share``; ``revenue_share``: ``max(revenue, 0) × share``.

    Rounded half up to the cent; the steps record each figure and its source.
    """
    steps: list[dict] = []
    if method == SIZING_SALES_DAYS:
        if monthly_sales is None:
            return LimitSizing(method, cap=cap, missing="monthly_sales")
        if payment_term_days is None:
            return LimitSizing(method, cap=cap, missing="payment_term")
        late = days_late if days_late is not None else 0
        steps.append({"code": "monthly_sales", "value": str(monthly_sales), "source": sales_source,
                      **({"months": str(sales_months)} if sales_source == "history" and sales_months else {})})
        steps.append({"code": "payment_term", "value": str(payment_term_days), "source": term_source})
        steps.append({"code": "days_late", "value": str(late), "source": "history" if days_late is not None else ""})
        days = payment_term_days + late
        uncapped = q2(monthly_sales * days / DAYS_PER_MONTH)
        steps.append({"code": "sales_days", "value": str(uncapped), "monthly_sales": str(monthly_sales),
                      "days": str(days)})
    elif method in (SIZING_EQUITY, SIZING_REVENUE):
        base, name = (equity, "equity") if method == SIZING_EQUITY else (revenue, "revenue")
        if share is None:
            return LimitSizing(method, cap=cap, missing="share")
        if base is None:
            return LimitSizing(method, cap=cap, missing=name)
        base = max(base, ZERO)
        uncapped = q2(base * share)
        steps.append({"code": name, "value": str(q2(base))})
        steps.append({"code": f"{name}_share", "value": str(uncapped), "base": str(q2(base)), "share": str(share)})
    else:
        return LimitSizing(method, missing="method")
    limit = uncapped if cap is None else min(uncapped, cap)
    if cap is not None:
        steps.append({"code": "cap", "value": str(limit), "cap": str(cap), "capped": limit < uncapped})
    return LimitSizing(method, limit, uncapped, cap, tuple(steps))


# --- Order holds (暂停交货) -------------------------------------------------------------------------
# DESIGN §3 credit control actions / issue 23: deliveries to a customer are held automatically while its maximum
# days past due passes the credit policy's tolerance or its usage exceeds a limit; the hold is released when the
# cause clears, or by an authorised person with a reason (that release stands for the causes it released).

HOLD_OVERDUE = "overdue_beyond_tolerance"
HOLD_OVER_LIMIT = "over_limit"
HOLD_REASONS = (HOLD_OVERDUE, HOLD_OVER_LIMIT)
DEFAULT_OVERDUE_TOLERANCE_DAYS = 30


def hold_reasons(*, max_days_past_due: int, tolerance_days: int,
                 facilities: Iterable[tuple[Decimal, Decimal]] = ()) -> tuple[str, ...]:
    """Why deliveries to a customer must be held now, in a fixed order: days past due beyond the tolerance
    (``max_days_past_due > tolerance_days``: a customer exactly at the tolerance still ships), and a facility used
    beyond its limit (``facilities``: ``(limit, usage)`` pairs of its open facilities, each in its own currency)."""
    reasons = []
    if max_days_past_due > tolerance_days:
        reasons.append(HOLD_OVERDUE)
    if any(usage > limit for limit, usage in facilities):
        reasons.append(HOLD_OVER_LIMIT)
    return tuple(reasons)


def hold_needed(reasons: Iterable[str], released: Iterable[str] | None = None) -> tuple[str, ...]:
    """The reasons that hold deliveries once a person's release is taken into account: a manual release stands for
    the causes it released (``released``), so only a cause it did not cover holds again."""
    covered = set(released or ())
    return tuple(r for r in reasons if r not in covered)


def order_refusals(limit_reasons: Iterable[str], hold: Iterable[str]) -> tuple[str, ...]:
    """Everything that stops an order from shipping: the hold's reasons first (``held`` plus each cause), then the
    facility's own (status, free limit, group limit)."""
    hold = tuple(hold)
    return (("held", *hold) if hold else ()) + tuple(r for r in limit_reasons if r not in hold)


# --- Collateral haircuts, guarantor recovery and guarantee cycles (issue 23) ----------------------

# The shipped haircut table (a fraction taken off the market value) and revaluation interval (months) by
# collateral type; the risk admin changes them through four-eyes (``credit.collateral_haircuts``).
DEFAULT_HAIRCUTS = {
    "deposit": (Decimal("0.0000"), 12),
    "securities": (Decimal("0.3000"), 3),
    "receivables": (Decimal("0.4000"), 6),
    "real_estate": (Decimal("0.3000"), 12),
    "equipment": (Decimal("0.5000"), 12),
    "inventory": (Decimal("0.5000"), 6),
    "other": (Decimal("0.7000"), 12),
}

UNRATED = "unrated"
# The shipped recovery factors of a guarantee by the guarantor's grade (``UNRATED``: no usable grade); the
# risk admin changes them through four-eyes (``credit.recovery_factors``).
DEFAULT_RECOVERY_FACTORS = {
    "AAA": Decimal("1.0000"), "AA": Decimal("0.9500"), "A": Decimal("0.9000"), "BBB": Decimal("0.8000"),
    "BB": Decimal("0.6000"), "B": Decimal("0.4000"), "CCC": Decimal("0.2000"), "CC": Decimal("0.1000"),
    "C": Decimal("0.0000"), "D": Decimal("0.0000"), UNRATED: Decimal("0.0000"),
}
# An outside party's agency rating counts for this many months after its date; older, the guarantor is unrated.
EXTERNAL_RATING_VALID_MONTHS = 12
# A revaluation is "due" this many days before its date (and "overdue" after it).
REVALUATION_DUE_WINDOW_DAYS = 30


def effective_haircut(chosen: Decimal | None, table_haircut: Decimal) -> Decimal:
    """The haircut a collateral item uses: the analyst's when given, else the table's for its type."""
    return table_haircut if chosen is None else chosen


def haircut_needs_reason(chosen: Decimal | None, table_haircut: Decimal) -> bool:
    """A haircut smaller than the table's (more value counted than the policy allows) needs a written reason;
    the table's own or a larger one does not."""
    return chosen is not None and chosen < table_haircut


def revaluation_status(due: dt.date, on_date: dt.date, window_days: int = REVALUATION_DUE_WINDOW_DAYS) -> str:
    """``"overdue"`` after the revaluation date, ``"due"`` from ``window_days`` before it to the day itself,
    ``"ok"`` otherwise."""
    if on_date > due:
        return "overdue"
    if (due - on_date).days <= window_days:
        return "due"
    return "ok"


def external_to_master(agency_grade: str, master_grades: Sequence[str] = DEFAULT_GRADES) -> str | None:
    """An agency's grade on the master scale: the letters without the notch modifier (``AA+`` → ``AA``,
    ``BBB-`` → ``BBB``), when the master scale has them; ``None`` otherwise (the analyst maps it)."""
    text = (agency_grade or "").strip().upper().rstrip("+-").strip()
    return text if text in master_grades else None


def guarantor_grade(*, customer_grade: str | None = None, mapped_grade: str = "", rated_on: dt.date | None = None,
                    on_date: dt.date, valid_months: int = EXTERNAL_RATING_VALID_MONTHS) -> tuple[str, str]:
    """(grade used, source) of a guarantor: a portal customer's current grade (``"portal"``); an outside party's
    agency grade mapped to the master scale while it is recent (``"external"``, ``valid_months`` after its date);
    else ``(UNRATED, "unrated")`` (a customer without a rating in force, a missing or stale agency rating)."""
    if customer_grade:
        return customer_grade, "portal"
    if mapped_grade and rated_on is not None and rated_on <= on_date:
        months = (on_date.year - rated_on.year) * 12 + on_date.month - rated_on.month
        if months < valid_months or (months == valid_months and on_date.day <= rated_on.day):
            return mapped_grade, "external"
    return UNRATED, "unrated"


def recovery_factor(grade: str, factors: dict) -> Decimal:
    """The recovery factor of a guarantor's grade (a grade missing from the table counts as unrated)."""
    return Decimal(factors.get(grade, factors.get(UNRATED, ZERO)))


def counted_guarantee(amount: Decimal, factor: Decimal) -> Decimal:
    """What a guarantee counts for in coverage: face value × the guarantor's recovery factor."""
    if factor < 0 or factor > 1:
        raise ValueError("recovery factor must be between 0 and 1")
    return q2(amount * factor)


def guarantee_cycles(edges: Iterable[tuple[int, int]], *, max_length: int = 8, limit: int = 200) -> list[tuple]:
    """The guarantee cycles among customers: ``edges`` are (guarantor, guaranteed) pairs; a cycle is a tuple of
    customer ids in guarantee order, starting at its smallest id — ``(a, b)`` is mutual (a guarantees b and b
    guarantees a), three or more a chain (a → b → c → a). Each cycle once, shortest first; at most ``limit``
    cycles of at most ``max_length`` customers (a larger ring is reported through its shorter ones)."""
    graph: dict[int, set[int]] = {}
    for guarantor, guaranteed in edges:
        if guarantor != guaranteed:
            graph.setdefault(guarantor, set()).add(guaranteed)
    found: list[tuple] = []
    for start in sorted(graph):
        # simple cycles whose smallest node is ``start``: walk only through larger nodes
        stack = [(start, (start,))]
        while stack and len(found) < limit:
            node, path = stack.pop()
            for nxt in sorted(graph.get(node, ()), reverse=True):
                if nxt == start and len(path) >= 2:
                    found.append(path)
                elif nxt > start and nxt not in path and len(path) < max_length:
                    stack.append((nxt, path + (nxt,)))
    unique = sorted(set(found), key=lambda cycle: (len(cycle), cycle))
    return unique[:limit]


def cycle_kind(cycle: Sequence) -> str:
    """``"mutual"`` for two customers guaranteeing each other, ``"chain"`` for a longer ring."""
    return "mutual" if len(cycle) == 2 else "chain"


# --- An order's payment term (trade credit, issue 23) -------------------------------------------------------

def order_term_exception(term_days: int | None, allowed_days: int | None, *, hard: bool) -> str:
    """Is an order asking for a payment term beyond what the customer may be invoiced on? ``""``: no (no term
    asked, no term set, or a term within it — equal is within); ``HARD``: refused (the policy's term is a hard
    rule); ``SOFT``: a policy exception, which takes the authority the matrix sets for exceptions (its top
    level), as for an application."""
    if term_days is None or allowed_days is None or term_days <= allowed_days:
        return ""
    return HARD if hard else SOFT
