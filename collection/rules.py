"""The receivables arithmetic as plain functions: allocation, aging buckets, late fees, dunning levels, DSO.

No database access here: services and selectors feed these functions with rows and store the results,
so the rules are unit-tested on their own (``tests/collection/test_rules.py``).

Conventions
-----------
* Days past due = business date − due date, in calendar days. Due today → 0 (current); due yesterday → 1.
* Late fee / penalty interest: simple interest, actual calendar days (actual/actual per day, no year
  basis: the policy states a *daily* rate). For each invoice the outstanding balance is followed through
  time: each day after the due date (the due date itself is free) until and including the as-of date
  carries ``balance × daily rate``, where the balance of a day is the amount still unpaid at the end of
  the previous day (a payment received on day d stops interest from day d+1 on the amount paid; the day
  it arrives still counts). Exact ``Decimal`` products are summed and the invoice's fee is rounded once,
  half up, to the cent; a letter's total is the sum of the rounded invoice fees.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0")

# (key, first day past due, last day past due); ``None`` = open end.
BUCKETS: list[tuple[str, int | None, int | None]] = [
    ("current", None, 0),
    ("d1_30", 1, 30),
    ("d31_60", 31, 60),
    ("d61_90", 61, 90),
    ("d91_180", 91, 180),
    ("d181_360", 181, 360),
    ("over_360", 361, None),
]
BUCKET_KEYS = [key for key, _low, _high in BUCKETS]


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def days_past_due(due_date: dt.date, as_of: dt.date) -> int:
    """Calendar days since the due date (negative before it)."""
    return (as_of - due_date).days


def debtor_days_past_due(oldest_overdue_due_date: dt.date | None, as_of: dt.date) -> int:
    """A debtor's days past due on ``as_of`` — the one definition used by the aging, the asset
    classification and the warning rules: the days past due of its oldest open invoice (issued by
    ``as_of``) that is past due; 0 when none is."""
    if oldest_overdue_due_date is None:
        return 0
    return max(days_past_due(oldest_overdue_due_date, as_of), 0)


def bucket_for(days: int) -> str:
    """The aging bucket of an item ``days`` past due (0 or less is current)."""
    for key, low, high in BUCKETS:
        if (low is None or days >= low) and (high is None or days <= high):
            return key
    raise AssertionError("buckets cover every integer")  # pragma: no cover


def bucket_date_bounds(key: str, as_of: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """Due-date range (inclusive; ``None`` = open) of bucket ``key`` on ``as_of``, for database filters."""
    for k, low, high in BUCKETS:
        if k == key:
            latest = as_of - dt.timedelta(days=low) if low is not None else None
            earliest = as_of - dt.timedelta(days=high) if high is not None else None
            return earliest, latest
    raise KeyError(key)


# --- Allocation -----------------------------------------------------------------------------

@dataclass(frozen=True)
class OpenItem:
    """An open invoice as the allocator sees it."""

    id: int
    due_date: dt.date
    issue_date: dt.date
    outstanding: Decimal
    customer_id: int | None = None
    currency: str = "CNY"


class AllocationError(ValueError):
    """``code`` says which rule failed; ``item_id`` the invoice, when one is at fault."""

    def __init__(self, code: str, item_id: int | None = None):
        super().__init__(code)
        self.code = code
        self.item_id = item_id


def allocate_oldest_first(amount: Decimal, items: list[OpenItem]) -> tuple[list[tuple[int, Decimal]], Decimal]:
    """Spread ``amount`` over ``items`` oldest due date first (then oldest issue date, then id).

    Returns ``([(item id, allocated)], unallocated remainder)``. Items with nothing outstanding are skipped.
    """
    if amount <= ZERO:
        raise AllocationError("not_positive")
    remaining = amount
    result = []
    for item in sorted(items, key=lambda i: (i.due_date, i.issue_date, i.id)):
        if remaining <= ZERO:
            break
        if item.outstanding <= ZERO:
            continue
        share = min(item.outstanding, remaining)
        result.append((item.id, share))
        remaining -= share
    return result, remaining


def check_explicit_allocation(amount: Decimal, lines: list[tuple[int, Decimal]], items: dict[int, OpenItem], *,
                              customer_id: int | None = None, currency: str | None = None) -> Decimal:
    """Validate an explicit allocation; returns the unallocated remainder or raises ``AllocationError``.

    Rules: every line positive; each invoice once; the invoice exists, belongs to the payment's customer and
    currency and is open; no line exceeds what the invoice still owes; the lines together do not exceed
    the payment.
    """
    if amount <= ZERO:
        raise AllocationError("not_positive")
    seen = set()
    total = ZERO
    for item_id, share in lines:
        if share <= ZERO:
            raise AllocationError("line_not_positive", item_id)
        if item_id in seen:
            raise AllocationError("duplicate_invoice", item_id)
        seen.add(item_id)
        item = items.get(item_id)
        if item is None:
            raise AllocationError("unknown_invoice", item_id)
        if customer_id is not None and item.customer_id != customer_id:
            raise AllocationError("other_customer", item_id)
        if currency is not None and item.currency != currency:
            raise AllocationError("other_currency", item_id)
        if share > item.outstanding:
            raise AllocationError("over_invoice", item_id)
        total += share
    if total > amount:
        raise AllocationError("over_payment")
    return amount - total


# --- Late fees ------------------------------------------------------------------------------

def late_fee(*, principal: Decimal, due_date: dt.date, as_of: dt.date, daily_rate: Decimal,
             payments: list[tuple[dt.date, Decimal]] = ()) -> Decimal:
    """Penalty interest on one invoice (see the module's conventions), rounded half up to the cent."""
    if daily_rate < ZERO or principal < ZERO:
        raise ValueError("negative rate or principal")
    if as_of <= due_date or daily_rate == ZERO:
        return ZERO.quantize(CENT)
    # Balance at the start of day d = principal − payments received before d.
    events = sorted((d, a) for d, a in payments)
    balance = principal
    for paid_on, paid in events:
        if paid_on <= due_date:
            balance -= paid
    balance = max(balance, ZERO)
    later = [(d, a) for d, a in events if d > due_date]
    total = ZERO
    day = due_date + dt.timedelta(days=1)  # first chargeable day
    for paid_on, paid in later:
        if paid_on > as_of:
            break
        # Days day..paid_on carry the current balance (the payment day still counts).
        n = (paid_on - day).days + 1
        if n > 0:
            total += balance * daily_rate * n
            day = paid_on + dt.timedelta(days=1)
        balance = max(balance - paid, ZERO)
    n = (as_of - day).days + 1
    if n > 0:
        total += balance * daily_rate * n
    return cents(total)


# --- Dunning --------------------------------------------------------------------------------

@dataclass(frozen=True)
class LevelRule:
    id: int
    order: int
    days_past_due: int  # negative: a reminder that many days before the due date


def level_reached(max_days_past_due: int | None, levels: list[LevelRule]) -> LevelRule | None:
    """The highest level whose threshold ``max_days_past_due`` reaches (``None`` when none)."""
    if max_days_past_due is None:
        return None
    reached = [lv for lv in levels if max_days_past_due >= lv.days_past_due]
    return max(reached, key=lambda lv: (lv.order, lv.days_past_due)) if reached else None


def level_to_raise(*, max_days_past_due: int | None, overdue_amount: Decimal, tolerance: Decimal,
                   levels: list[LevelRule], current_order: int | None) -> LevelRule | None:
    """The level a customer must be raised to now, or ``None`` (nothing to do).

    A customer whose overdue amount is positive but at or below the small-amount tolerance is not dunned
    at all; a customer with nothing overdue can only reach the pre-due reminder levels (``days_past_due < 0``). Only a level above the customer's current open level is returned: running twice creates
    nothing new, and a customer is raised straight to the highest level reached.
    """
    candidates = levels
    if overdue_amount > ZERO and overdue_amount <= tolerance:
        return None
    if overdue_amount <= ZERO:
        candidates = [lv for lv in levels if lv.days_past_due < 0]
    target = level_reached(max_days_past_due, candidates)
    if target is None:
        return None
    if current_order is not None and target.order <= current_order:
        return None
    return target


# --- Key figures ----------------------------------------------------------------------------

def dso(receivables: Decimal, sales: Decimal, days: int) -> Decimal | None:
    """Days sales outstanding (countback-free, the textbook ratio): receivables / sales × days, 1 decimal."""
    if sales <= ZERO:
        return None
    return (receivables / sales * days).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)



# --- The collector's worklist ----------------------------------------------------------------

def priority_score(overdue_amount: Decimal, max_days_past_due: int) -> Decimal:
    """How much a case weighs: the amount overdue (reporting currency) × its maximum days past due."""
    return (overdue_amount or ZERO) * max(int(max_days_past_due or 0), 0)


def worklist_order(*, overdue_amount: Decimal, max_days_past_due: int, promise_due: dt.date | None,
                   next_action: dt.date | None, today: dt.date) -> tuple:
    """The sort key of a case on the collector's worklist, most urgent first: a promise falling due today (or
    due and not yet kept) comes first, then a next action that is due, then the weight (amount overdue × days
    past due, the heaviest first), then the earliest next action."""
    promise_first = 0 if promise_due is not None and promise_due <= today else 1
    action_due = 0 if next_action is not None and next_action <= today else 1
    return (promise_first, action_due, -priority_score(overdue_amount, max_days_past_due),
            next_action or dt.date.max)


# --- Payment terms (trade credit, issue 23) ---------------------------------------------------

def payment_term_days(issue_date: dt.date, due_date: dt.date) -> int:
    """An invoice's payment term: the calendar days from its issue date to its due date (the one definition;
    the database computes the same with ``selectors.DaysBetween(due_date, issue_date)``)."""
    return (due_date - issue_date).days


def term_beyond(term_days: int, allowed_days: int | None) -> bool:
    """An invoice issued on a term longer than the customer may have (``allowed_days`` ``None``: no term set,
    nothing to flag). A term equal to the allowed one is within."""
    return allowed_days is not None and term_days > allowed_days


# --- Payment pattern (issue 23: a sharp change is a warning signal) ---------------------------------------------

def mean_days_paid(rows) -> Decimal | None:
    """The amount-weighted mean of days paid after the due date over ``rows`` of ``(days, amount)``, where an
    early payment counts negative days (paid 5 days early: −5) — unlike the rating's "days paid late", which counts
    early as 0, this shows a move to early payment too. Two decimals; None without rows (or with no amount)."""
    total = weighted = ZERO
    for days, amount in rows:
        amount = Decimal(amount)
        total += amount
        weighted += Decimal(days) * amount
    if total <= 0:
        return None
    return (weighted / total).quantize(CENT, rounding=ROUND_HALF_UP)


def payment_pattern_shift(recent, before) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """``(recent mean, earlier mean, shift)`` of days paid after the due date (:func:`mean_days_paid`): the shift is
    recent − earlier (negative: paying earlier than before, positive: later); None when either window has no
    payment (a customer without history in both windows shows no change)."""
    now, then = mean_days_paid(recent), mean_days_paid(before)
    if now is None or then is None:
        return now, then, None
    return now, then, now - then
