"""The credit insurance rules as plain functions (no Django, no other app): which buyer limit covers, the
insured / uninsured split of an exposure, the uninsured cap and the insurer's deadlines.

Amounts are ``Decimal`` in one currency (the reporting currency); shares are fractions (0.9 = 90%).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

ZERO = Decimal("0")
CENT = Decimal("0.01")
RATIO = Decimal("0.0001")
HUNDRED = Decimal(100)

COVERING_STATES = frozenset({"granted", "reduced"})


def q2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def share_fraction(percent: Decimal) -> Decimal:
    """A policy's insured share in percent (90.00) as a fraction (0.9)."""
    return Decimal(percent) / HUNDRED


def buyer_limit_covers(*, state: str, valid_from: dt.date | None, valid_to: dt.date | None,
                       policy_from: dt.date, policy_to: dt.date, on_date: dt.date) -> bool:
    """A buyer limit covers on ``on_date`` when the insurer granted it (granted or reduced: an expired or
    withdrawn limit, or one only requested, covers nothing), the day is within its validity (an open end
    is open) and within the policy's validity."""
    if state not in COVERING_STATES:
        return False
    if not policy_from <= on_date <= policy_to:
        return False
    if valid_from is not None and on_date < valid_from:
        return False
    return valid_to is None or on_date <= valid_to


@dataclass(frozen=True)
class Split:
    """A customer's exposure split into the part the insurer pays on a loss and the rest."""

    exposure: Decimal
    covered: Decimal      # the part of the exposure within valid buyer limits
    insured: Decimal      # covered × the policy's insured share
    uninsured: Decimal    # exposure − insured

    @property
    def insured_share(self) -> Decimal | None:
        """insured / exposure (4 decimals); None for no exposure."""
        if not self.exposure:
            return None
        return (self.insured / self.exposure).quantize(RATIO, rounding=ROUND_HALF_UP)


def insured_split(exposure: Decimal, limits: Iterable[tuple[Decimal, Decimal]] = ()) -> Split:
    """The one insured / uninsured split (design brief §3, the sixth C).

    ``limits`` are the customer's valid buyer limits as ``(amount, insured share as a fraction)``; pass only
    those that cover (``buyer_limit_covers``). With one limit: insured = min(exposure, limit) × share. With
    several (policies of different insurers) the exposure is placed under the highest share first. A negative
    exposure counts as zero. Uninsured = exposure − insured."""
    exposure = max(Decimal(exposure), ZERO)
    remaining = exposure
    covered = insured = ZERO
    for amount, share in sorted(limits, key=lambda item: (-item[1], -item[0])):
        if remaining <= 0:
            break
        part = min(remaining, max(Decimal(amount), ZERO))
        covered += part
        insured += part * Decimal(share)
        remaining -= part
    insured = q2(insured)
    return Split(exposure=exposure, covered=q2(covered), insured=insured, uninsured=exposure - insured)


def uninsured_over_cap(uninsured: Decimal, cap: Decimal | None) -> bool:
    """Whether an uninsured exposure exceeds the grade's cap (``None``: no cap; equal to the cap is within)."""
    return cap is not None and uninsured > cap


def invoice_insurable(*, issue_date: dt.date, due_date: dt.date, max_credit_days: int) -> bool:
    """An invoice is insured only when its credit period (issue to due) is within the policy's maximum."""
    return (due_date - issue_date).days <= max_credit_days


def deadline(due_date: dt.date, days_past_due: int) -> dt.date:
    """The last day of a deadline counted in days past the invoice's due date (the notification to the insurer,
    the claim filing): due date + N days."""
    return due_date + dt.timedelta(days=days_past_due)


def days_left(due_date: dt.date, days_past_due: int, on_date: dt.date) -> int:
    """Days until the deadline: 0 on its last day, negative once it has passed."""
    return (deadline(due_date, days_past_due) - on_date).days


def invoice_insured(*, issue_date: dt.date, due_date: dt.date, state: str, valid_from: dt.date | None,
                    valid_to: dt.date | None, withdrawn_on: dt.date | None, policy_from: dt.date,
                    policy_to: dt.date, max_credit_days: int) -> bool:
    """Whether an invoice is insured under a buyer limit: issued while the policy and the limit were valid
    (a limit granted, reduced or expired since; a withdrawn one only for invoices issued before the
    withdrawal), on a credit period within the policy's maximum. A requested limit insures nothing."""
    if state == "requested":
        return False
    if state == "withdrawn" and (withdrawn_on is None or issue_date >= withdrawn_on):
        return False
    if not policy_from <= issue_date <= policy_to:
        return False
    if valid_from is not None and issue_date < valid_from:
        return False
    if valid_to is not None and issue_date > valid_to:
        return False
    return invoice_insurable(issue_date=issue_date, due_date=due_date, max_credit_days=max_credit_days)
