"""Exposure (max(limit, usage) + pending applications) and coverage (lendable collateral + guarantees)."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

from ._common import ZERO, q2


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
