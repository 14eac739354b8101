"""Order holds (暂停交货): why deliveries to a customer are held, and which causes a manual release covers."""
from __future__ import annotations

from decimal import Decimal
from typing import Iterable


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
