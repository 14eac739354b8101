"""Rating scales: grades with half-open score ranges ``[min, max)`` (the best grade includes the top of
the range), probabilities of default, and the roll-up into letters.

Grades are listed best first. A scale must cover ``[score_min, score_max]`` exactly: sorted by score,
each grade's ``max`` is the next better grade's ``min``, with no gap and no overlap.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


class ScaleError(ValueError):
    """The scale definition is inconsistent (gap, overlap, not covering the range, bad letters)."""


def D(value) -> Decimal:
    if isinstance(value, float):
        raise TypeError("floats are not accepted; pass str or Decimal")
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclass(frozen=True)
class Grade:
    code: str
    letter: str
    min_score: Decimal
    max_score: Decimal
    pd: Decimal

    @classmethod
    def from_dict(cls, data) -> Grade:
        return cls(code=str(data["code"]), letter=str(data["letter"]), min_score=D(data["min_score"]),
                   max_score=D(data["max_score"]), pd=D(data["pd"]))

    def as_dict(self) -> dict:
        return {"code": self.code, "letter": self.letter, "min_score": str(self.min_score),
                "max_score": str(self.max_score), "pd": str(self.pd)}


DEFAULT_GRADES = [
    # code, letter, min, max, PD
    ("AAA", "A", "90", "100", "0.0003"),
    ("AA", "A", "80", "90", "0.0010"),
    ("A", "A", "70", "80", "0.0030"),
    ("BBB", "B", "60", "70", "0.0100"),
    ("BB", "B", "50", "60", "0.0250"),
    ("B", "B", "40", "50", "0.0500"),
    ("CCC", "C", "30", "40", "0.1200"),
    ("CC", "C", "20", "30", "0.2500"),
    ("C", "C", "10", "20", "0.5000"),
    ("D", "D", "0", "10", "1.0000"),
]


class Scale:
    """An ordered list of grades (best first) over ``[score_min, score_max]``."""

    def __init__(self, grades, score_min="0", score_max="100", letters=("A", "B", "C", "D")):
        self.grades: list[Grade] = [g if isinstance(g, Grade) else Grade.from_dict(g) for g in grades]
        self.score_min = D(score_min)
        self.score_max = D(score_max)
        self.letters = tuple(letters)
        self.validate()
        self._rank = {g.code: i for i, g in enumerate(self.grades)}

    @classmethod
    def default(cls) -> Scale:
        return cls([Grade(c, l, D(a), D(b), D(p)) for c, l, a, b, p in DEFAULT_GRADES])

    @classmethod
    def from_dict(cls, data) -> Scale:
        return cls(data["grades"], data.get("score_min", "0"), data.get("score_max", "100"),
                   data.get("letters", ("A", "B", "C", "D")))

    def as_dict(self) -> dict:
        return {"score_min": str(self.score_min), "score_max": str(self.score_max),
                "letters": list(self.letters), "grades": [g.as_dict() for g in self.grades]}

    def validate(self) -> None:
        problems = self.problems()
        if problems:
            raise ScaleError("; ".join(problems))

    def problems(self) -> list[str]:
        """Every inconsistency, as sentences (empty when the scale is valid)."""
        out = []
        if not self.grades:
            return ["the scale has no grades"]
        if self.score_min >= self.score_max:
            out.append("the score range is empty")
        codes = [g.code for g in self.grades]
        if len(set(codes)) != len(codes):
            out.append("grade codes repeat")
        for g in self.grades:
            if g.min_score >= g.max_score:
                out.append(f"grade {g.code}: minimum {g.min_score} is not below maximum {g.max_score}")
            if not (Decimal(0) <= g.pd <= Decimal(1)):
                out.append(f"grade {g.code}: probability of default must be between 0 and 1")
            if g.letter not in self.letters:
                out.append(f"grade {g.code}: letter {g.letter} is not one of {', '.join(self.letters)}")
        # Best first means descending score ranges.
        if self.grades[0].max_score != self.score_max:
            out.append(f"the best grade must reach the top of the range ({self.score_max})")
        if self.grades[-1].min_score != self.score_min:
            out.append(f"the worst grade must start at the bottom of the range ({self.score_min})")
        for better, worse in zip(self.grades, self.grades[1:]):
            if worse.max_score < better.min_score:
                out.append(f"gap between {worse.code} (to {worse.max_score}) and {better.code} (from {better.min_score})")
            elif worse.max_score > better.min_score:
                out.append(f"overlap between {worse.code} (to {worse.max_score}) and {better.code} (from {better.min_score})")
        # Letters roll up contiguous runs, in the letters' order, the best first.
        order = [self.letters.index(g.letter) for g in self.grades if g.letter in self.letters]
        if order != sorted(order):
            out.append("letters must roll up consecutive grades in order (A before B before C before D)")
        if any(worse.pd < better.pd for better, worse in zip(self.grades, self.grades[1:])):
            out.append("probability of default must not fall from a better grade to a worse one")
        return out

    # Look-ups -------------------------------------------------------------------------------------
    def grade_for(self, score) -> Grade:
        score = D(score)
        if score < self.score_min or score > self.score_max:
            raise ScaleError(f"score {score} outside the scale's range")
        if score == self.score_max:
            return self.grades[0]
        for g in self.grades:
            if g.min_score <= score < g.max_score:
                return g
        raise ScaleError(f"no grade for score {score}")  # pragma: no cover - validated scale

    def get(self, code: str) -> Grade:
        for g in self.grades:
            if g.code == code:
                return g
        raise ScaleError(f"unknown grade {code}")

    def rank(self, code: str) -> int:
        """0 for the best grade, growing as grades get worse."""
        try:
            return self._rank[code]
        except KeyError as exc:
            raise ScaleError(f"unknown grade {code}") from exc

    def worse_of(self, a: str, b: str) -> str:
        return a if self.rank(a) >= self.rank(b) else b

    def notches_between(self, from_code: str, to_code: str) -> int:
        """Positive when ``to_code`` is better than ``from_code`` (an upgrade), negative for a downgrade."""
        return self.rank(from_code) - self.rank(to_code)

    def one_notch_up(self, code: str) -> Grade | None:
        r = self.rank(code)
        return self.grades[r - 1] if r > 0 else None

    def shift(self, code: str, notches: int) -> Grade | None:
        r = self.rank(code) - notches
        return self.grades[r] if 0 <= r < len(self.grades) else None
