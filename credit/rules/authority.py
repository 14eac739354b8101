"""The authority matrix: required approval levels, the one authority rule, delegations."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Iterable, Sequence

from ._common import ZERO, default_grade_rank


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
