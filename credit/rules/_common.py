"""What every credit rule shares: rounding to the cent and the fallback order of the master scale."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


ZERO = Decimal("0")
CENT = Decimal("0.01")

# Fallback order of the master scale (strongest first); services pass ``ratings``' own ``grade_rank``.
DEFAULT_GRADES = ["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", "D"]


def default_grade_rank(grade: str) -> int:
    """0 for the strongest grade; larger is weaker."""
    return DEFAULT_GRADES.index(grade)


def q2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
