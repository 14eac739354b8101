"""Collateral haircuts, guarantor recovery factors and guarantee cycles (issue 23)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Iterable, Sequence

from ._common import DEFAULT_GRADES, ZERO, q2


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
