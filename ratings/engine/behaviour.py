"""The three behaviour indicators of the trade-credit model (design brief section 3), each graded A–D.

=====================  ===============  =================  =================  ================
indicator              A                B                  C                  D (veto)
=====================  ===============  =================  =================  ================
net collection rate    = 100 %          95 % ≤ r < 100 %   90 % ≤ r < 95 %    < 90 %
days paid late         on time / early  1–4 days late      5–9 days late      ≥ 10 days late
competitor share       ours only        ours main          half and half      competitors main
=====================  ===============  =================  =================  ================

Definitions: over the window, for invoices falling due in it,
``net collection rate = (amount received − claim payouts) / amount due`` (compared exactly, unrounded;
a rate above 100 % counts as 100 %), and ``days paid late`` = the amount-weighted mean of the days between
due date and payment (early or on time counts as 0), rounded half up to whole days; the maximum is shown
beside it. No invoice due in the window → both payment indicators are "not available" (``None``).

Combination: any D → D (one-vote veto); otherwise any C → C; otherwise two or more B → B; otherwise A.
An indicator that is not available is left out of the combination; when neither payment indicator is
available the result is "not available" unless an available indicator alone decides it (a D or a C).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

NOT_AVAILABLE = None
ZERO = Decimal(0)

COMPETITOR_SHARE = {
    "ours_only": "A",
    "ours_main": "B",
    "half": "C",
    "competitors_main": "D",
}


def _dec(value) -> Decimal:
    if value is None:
        return ZERO
    if isinstance(value, float):
        raise TypeError("floats are not accepted; pass str or Decimal")
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclass(frozen=True)
class BehaviourFacts:
    """One customer's payment facts for invoices falling due in the window (amounts in one currency).

    ``days_late_numerator`` = Σ(amount paid × days late, early/on time as 0);
    ``days_late_denominator`` = Σ(amount paid) over the same payments.
    """

    invoice_count: int = 0
    amount_due: Decimal = ZERO
    amount_received: Decimal = ZERO
    claim_payouts: Decimal = ZERO
    days_late_numerator: Decimal = ZERO
    days_late_denominator: Decimal = ZERO
    max_days_late: int = 0

    @classmethod
    def from_any(cls, data) -> BehaviourFacts | None:
        if data is None:
            return None
        if isinstance(data, BehaviourFacts):
            return data
        get = data.get if isinstance(data, dict) else (lambda k, d=None: getattr(data, k, d))
        return cls(
            invoice_count=int(get("invoice_count", 0) or 0),
            amount_due=_dec(get("amount_due", 0)),
            amount_received=_dec(get("amount_received", 0)),
            claim_payouts=_dec(get("claim_payouts", 0)),
            days_late_numerator=_dec(get("days_late_numerator", 0)),
            days_late_denominator=_dec(get("days_late_denominator", 0)),
            max_days_late=int(get("max_days_late", 0) or 0),
        )

    def as_dict(self) -> dict:
        return {"invoice_count": self.invoice_count, "amount_due": str(self.amount_due),
                "amount_received": str(self.amount_received), "claim_payouts": str(self.claim_payouts),
                "days_late_numerator": str(self.days_late_numerator),
                "days_late_denominator": str(self.days_late_denominator), "max_days_late": self.max_days_late}


def net_collection_rate(facts: BehaviourFacts | None) -> Decimal | None:
    if facts is None or facts.invoice_count <= 0 or facts.amount_due <= 0:
        return None
    return (facts.amount_received - facts.claim_payouts) / facts.amount_due


def net_collection_letter(rate) -> str | None:
    if rate is None:
        return None
    rate = _dec(rate)
    if rate >= Decimal("1"):
        return "A"
    if rate >= Decimal("0.95"):
        return "B"
    if rate >= Decimal("0.90"):
        return "C"
    return "D"


def days_late(facts: BehaviourFacts | None) -> int | None:
    """Amount-weighted mean days late, rounded half up; 0 when due invoices exist but nothing was paid late."""
    if facts is None or facts.invoice_count <= 0:
        return None
    if facts.days_late_denominator <= 0:
        return 0
    mean = facts.days_late_numerator / facts.days_late_denominator
    return int(max(mean, ZERO).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def days_late_letter(days) -> str | None:
    if days is None:
        return None
    days = _dec(days)
    if days <= 0:
        return "A"
    if days < 5:
        return "B"
    if days < 10:
        return "C"
    return "D"


def competitor_share_letter(answer) -> str | None:
    if answer in (None, ""):
        return None
    if answer in COMPETITOR_SHARE:
        return COMPETITOR_SHARE[answer]
    if answer in ("A", "B", "C", "D"):
        return answer
    raise ValueError(f"unknown competitor-share answer {answer!r}")


def combine_letters(letters) -> str | None:
    """Combine (net collection, days late, competitor share); ``None`` entries are not available."""
    letters = list(letters)
    available = [x for x in letters if x is not None]
    if "D" in available:
        return "D"
    if "C" in available:
        return "C"
    payment = letters[:2] if len(letters) >= 2 else letters
    if all(x is None for x in payment):
        return None
    if available.count("B") >= 2:
        return "B"
    return "A"


@dataclass(frozen=True)
class BehaviourResult:
    net_collection_rate: Decimal | None
    net_collection: str | None
    days_late: int | None
    max_days_late: int | None
    days_late_grade: str | None
    competitor_share: str | None
    competitor: str | None
    result: str | None
    facts: dict | None = field(default=None)

    @property
    def letters(self) -> str:
        return "".join(x or "-" for x in (self.net_collection, self.days_late_grade, self.competitor))

    def as_dict(self) -> dict:
        return {
            "net_collection_rate": None if self.net_collection_rate is None else str(
                self.net_collection_rate.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)),
            "net_collection": self.net_collection,
            "days_late": self.days_late,
            "max_days_late": self.max_days_late,
            "days_late_grade": self.days_late_grade,
            "competitor_share": self.competitor_share,
            "competitor": self.competitor,
            "letters": self.letters,
            "result": self.result,
            "facts": self.facts,
        }


def evaluate_behaviour(facts, competitor_share: str | None) -> BehaviourResult:
    """The three indicators and their combination from the payment ``facts`` and the RM's answer."""
    facts = BehaviourFacts.from_any(facts)
    rate = net_collection_rate(facts)
    days = days_late(facts)
    letters = (net_collection_letter(rate), days_late_letter(days), competitor_share_letter(competitor_share))
    return BehaviourResult(
        net_collection_rate=rate, net_collection=letters[0], days_late=days,
        max_days_late=None if days is None else facts.max_days_late, days_late_grade=letters[1],
        competitor_share=competitor_share or None, competitor=letters[2], result=combine_letters(letters),
        facts=facts.as_dict() if facts is not None else None,
    )
