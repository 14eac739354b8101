"""The three behaviour indicators of the trade-credit model (design brief section 3), each graded A–D.

=====================  ===============  =================  =================  ================
indicator              A                B                  C                  D (veto)
=====================  ===============  =================  =================  ================
net collection rate    = 100 %          95 % ≤ r < 100 %   90 % ≤ r < 95 %    < 90 %
days paid late         on time / early  1–4 days late      5–9 days late      ≥ 10 days late
competitor share       ours only        ours main          half and half      competitors main
=====================  ===============  =================  =================  ================

Definitions (engine version 2), computed here from the customer's invoice rows (:func:`payment_facts`):

* **Window** (:func:`behaviour_window`): the invoices falling due in ``(E − months, E]`` with
  ``E = rating date − grace`` (the rating model's settings, default 12 months and 30 days). Half-open: an
  invoice due exactly ``months`` before ``E`` is outside, one due on ``E`` is inside.
* **Amount due** of an invoice = its amount − the credit notes on it dated up to the rating date (never
  below 0). A credit note is neither received nor uncollected.
* **Amount received** = the payments allocated to the invoice and received up to the rating date, taken in
  the order received and capped at the invoice's amount due (an overpaid invoice does not cover another).
* **Claim payouts** = the claim payouts on the window's invoices dated up to the rating date, plus the claim
  payouts tied to no invoice that were paid inside the window ``(E − months, E]``.
* **Net collection rate** = (Σ received − Σ claim payouts) / Σ amount due, compared unrounded.
* **Days paid late** = the amount-weighted mean over the whole amount due of days past due: a paid part
  counts the days from the due date to its payment (0 when on time or early), a part unpaid at the rating
  date counts the days from the due date to the rating date. Rounded half up to whole days; the largest
  such count is shown beside it.
* **Currencies**: every amount is converted into the reporting currency with ``rates`` (one rate per
  currency, those valid on the rating date); without ``rates`` the amounts are taken as they are.
* **Not available**: no invoice with an amount due in the window → both payment indicators are "not
  available"; no answer on competitors' share → that one is.

Combination (:func:`combine_letters`) over the *available* letters only: any D → D (one-vote veto);
otherwise any C → C; otherwise B when at least two thirds of them are B (2 of 3, 2 of 2, 1 of 1);
otherwise A. None available → ``None``: the behaviour factor is missing (a new customer is neither a good
nor a bad payer).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from portal_rules.decimals import NotANumber, parse_decimal

NOT_AVAILABLE = None
ZERO = Decimal(0)
DEFAULT_WINDOW_MONTHS = 12
DEFAULT_GRACE_DAYS = 30

COMPETITOR_SHARE = {
    "ours_only": "A",
    "ours_main": "B",
    "half": "C",
    "competitors_main": "D",
}


class BehaviourError(ValueError):
    """The payment rows cannot be used (e.g. an amount in a currency without a rate)."""


def _dec(value) -> Decimal:
    if value.__class__ is Decimal:  # what the database gives: the common case of the nightly batch, kept cheap
        return value
    if value is None:
        return ZERO
    try:
        return parse_decimal(value, finite=False)
    except NotANumber as exc:  # a ``decimal.InvalidOperation``, as ``Decimal(text)`` raises
        if exc.reason == "float":
            raise TypeError("floats are not accepted; pass str or Decimal") from None
        raise


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


# --- The window ---------------------------------------------------------------------------------

def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` months earlier (the month's last day when it is shorter)."""
    import calendar

    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Window:
    """Invoices due in ``(due_after, due_until]`` are in the window; ``rating_date`` ages what is unpaid."""

    due_after: dt.date
    due_until: dt.date
    rating_date: dt.date

    def contains(self, day: dt.date) -> bool:
        return self.due_after < day <= self.due_until

    def as_dict(self) -> dict:
        # "start" is the first day inside the window; both "start" and "end" are inclusive.
        return {"start": (self.due_after + dt.timedelta(days=1)).isoformat(), "end": self.due_until.isoformat(),
                "rating_date": self.rating_date.isoformat()}


def behaviour_window(rating_date: dt.date, months: int = DEFAULT_WINDOW_MONTHS,
                     grace_days: int = DEFAULT_GRACE_DAYS) -> Window:
    """``(E − months, E]`` with ``E = rating_date − grace_days``."""
    end = rating_date - dt.timedelta(days=int(grace_days))
    return Window(due_after=months_before(end, int(months)), due_until=end, rating_date=rating_date)


# --- Rows in, facts out -------------------------------------------------------------------------

@dataclass(frozen=True)
class InvoiceRow:
    """One invoice with its payment allocations ``((received_on, amount), …)`` in its own currency."""

    key: object
    due_date: dt.date
    amount: Decimal
    currency: str = ""
    payments: tuple = ()


@dataclass(frozen=True)
class ClaimRow:
    """A claim payout (``kind="claim"``) or a credit note (``kind="credit_note"``); ``invoice`` is the key of
    the invoice it is tied to, or ``None``."""

    invoice: object
    kind: str
    paid_on: dt.date
    amount: Decimal
    currency: str = ""


@dataclass(frozen=True)
class BehaviourFacts:
    """One customer's payment facts over the window (amounts in the reporting currency).

    ``days_late_numerator`` = Σ(amount × days past due) over the paid and the unpaid parts;
    ``days_late_denominator`` = the amount due those parts make up (the whole amount due).
    """

    invoice_count: int = 0
    amount_due: Decimal = ZERO
    amount_received: Decimal = ZERO
    claim_payouts: Decimal = ZERO
    days_late_numerator: Decimal = ZERO
    days_late_denominator: Decimal = ZERO
    max_days_late: int = 0
    credit_notes: Decimal = ZERO
    amount_unpaid: Decimal = ZERO

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
            credit_notes=_dec(get("credit_notes", 0)),
            amount_unpaid=_dec(get("amount_unpaid", 0)),
        )

    def as_dict(self) -> dict:
        return {"invoice_count": self.invoice_count, "amount_due": str(self.amount_due),
                "amount_received": str(self.amount_received), "claim_payouts": str(self.claim_payouts),
                "credit_notes": str(self.credit_notes), "amount_unpaid": str(self.amount_unpaid),
                "days_late_numerator": str(self.days_late_numerator),
                "days_late_denominator": str(self.days_late_denominator), "max_days_late": self.max_days_late}


def _rate(rates, currency: str) -> Decimal:
    if rates is None:
        return Decimal(1)
    try:
        return _dec(rates[currency])
    except KeyError as exc:
        raise BehaviourError(f"no exchange rate for {currency}") from exc


def payment_facts(invoices, claims, window: Window, rates: dict | None = None) -> BehaviourFacts | None:
    """The customer's facts over ``window`` from its invoice rows and claim rows (see the module docstring);
    ``None`` when no invoice with an amount due falls in the window. Rows outside the window are ignored,
    so a caller may pass more than the window holds."""
    invoices = [i for i in invoices if window.contains(_date(i.due_date))]
    claims = list(claims or ())
    rating_date = window.rating_date
    on_invoice: dict = {}
    claim_total = ZERO
    keys = {i.key for i in invoices}
    for c in claims:
        paid_on = _date(c.paid_on)
        amount = _dec(c.amount) * _rate(rates, c.currency)
        if c.invoice is None:
            if c.kind != "credit_note" and window.contains(paid_on):
                claim_total += amount
            continue
        if c.invoice not in keys or paid_on > rating_date:
            continue
        slot = on_invoice.setdefault(c.invoice, {"credit_note": ZERO, "claim": ZERO})
        slot["credit_note" if c.kind == "credit_note" else "claim"] += amount
    count = 0
    due_total = received_total = credit_total = unpaid_total = numerator = ZERO
    max_days = 0
    for invoice in invoices:
        due_date = _date(invoice.due_date)
        rate = _rate(rates, invoice.currency)
        extra = on_invoice.get(invoice.key, {"credit_note": ZERO, "claim": ZERO})
        gross = _dec(invoice.amount) * rate
        credit = min(extra["credit_note"], gross)
        due = gross - credit
        credit_total += credit
        claim_total += extra["claim"]
        if due <= 0:
            continue
        count += 1
        due_total += due
        paid = ZERO
        for received_on, amount in sorted(((_date(d), _dec(a)) for d, a in invoice.payments if d is not None),
                                          key=lambda p: p[0]):
            if received_on > rating_date or paid >= due:
                continue
            part = min(amount * rate, due - paid)
            days = max((received_on - due_date).days, 0)
            paid += part
            numerator += part * days
            if part > 0:
                max_days = max(max_days, days)
        unpaid = due - paid
        if unpaid > 0:
            days = max((rating_date - due_date).days, 0)
            numerator += unpaid * days
            max_days = max(max_days, days)
            unpaid_total += unpaid
        received_total += paid
    if count == 0:
        return None
    return BehaviourFacts(invoice_count=count, amount_due=due_total, amount_received=received_total,
                          claim_payouts=claim_total, days_late_numerator=numerator,
                          days_late_denominator=due_total, max_days_late=max_days, credit_notes=credit_total,
                          amount_unpaid=unpaid_total)


# --- Indicators ---------------------------------------------------------------------------------

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
    """Amount-weighted mean days past due over the whole amount due, rounded half up."""
    if facts is None or facts.invoice_count <= 0 or facts.days_late_denominator <= 0:
        return None
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
    """Combine the indicators' letters; ``None`` entries are not available and take no part."""
    available = [x for x in letters if x is not None]
    if not available:
        return None
    if "D" in available:
        return "D"
    if "C" in available:
        return "C"
    if 3 * available.count("B") >= 2 * len(available):
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
    if facts is not None and (facts.invoice_count <= 0 or facts.amount_due <= 0):
        facts = None
    rate = net_collection_rate(facts)
    days = days_late(facts)
    letters = (net_collection_letter(rate), days_late_letter(days), competitor_share_letter(competitor_share))
    return BehaviourResult(
        net_collection_rate=rate, net_collection=letters[0], days_late=days,
        max_days_late=None if days is None else facts.max_days_late, days_late_grade=letters[1],
        competitor_share=competitor_share or None, competitor=letters[2], result=combine_letters(letters),
        facts=facts.as_dict() if facts is not None else None,
    )
