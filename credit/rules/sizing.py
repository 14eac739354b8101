"""Trade credit (issue 23): sizing a limit, and an order's payment term against the allowed one."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ._common import ZERO, q2
from .policy import HARD, SOFT


# --- Limit sizing (trade credit, issue 23) ----------------------------------------------------

SIZING_SALES_DAYS = "sales_days"        # expected monthly credit sales × (payment term + average days late) / 30
SIZING_EQUITY = "equity_share"          # a share of net worth (equity)
SIZING_REVENUE = "revenue_share"        # a share of (annual) revenue
SIZING_METHODS = (SIZING_SALES_DAYS, SIZING_EQUITY, SIZING_REVENUE)
DAYS_PER_MONTH = Decimal(30)


@dataclass(frozen=True)
class LimitSizing:
    """A proposed limit with its arithmetic: ``steps`` are ``{"code", "value", ...}`` in order (the page, the
    API and the memo word them); ``limit`` is ``None`` when the data the method needs is missing
    (``missing`` names it). Amounts in the reporting currency."""

    method: str
    limit: Decimal | None = None
    uncapped: Decimal | None = None
    cap: Decimal | None = None
    steps: tuple = ()
    missing: str = ""

    @property
    def capped(self) -> bool:
        return self.limit is not None and self.uncapped is not None and self.limit < self.uncapped

    def as_dict(self) -> dict:
        return {"method": self.method, "limit": None if self.limit is None else str(self.limit),
                "uncapped": None if self.uncapped is None else str(self.uncapped),
                "cap": None if self.cap is None else str(self.cap), "capped": self.capped,
                "missing": self.missing, "steps": [dict(step) for step in self.steps]}


def monthly_credit_sales(*, expected: Decimal | None, history_sales: Decimal | None,
                         history_months: int) -> tuple[Decimal | None, str]:
    """The monthly credit sales the sizing uses and where they come from: the amount the relationship manager
    expects (``"expected"``), else the customer's credit sales over the payment-history window divided by its
    months (``"history"``), else none (``""``)."""
    if expected is not None and expected > 0:
        return q2(expected), "expected"
    if history_sales is not None and history_sales > 0 and history_months > 0:
        return q2(history_sales / history_months), "history"
    return None, ""


def size_limit(
    *,
    method: str,
    cap: Decimal | None = None,
    monthly_sales: Decimal | None = None,
    sales_source: str = "",
    sales_months: int | None = None,
    payment_term_days: int | None = None,
    term_source: str = "",
    days_late: int | None = None,
    equity: Decimal | None = None,
    revenue: Decimal | None = None,
    share: Decimal | None = None,
) -> LimitSizing:
    """The limit the policy proposes for a customer, by ``method`` (one of ``SIZING_METHODS``), capped by the
    grade's maximum limit ``cap``:

    * ``sales_days``: ``monthly_sales × (payment_term_days + days_late) / 30`` — the receivables a customer
      carries when it buys ``monthly_sales`` a month on ``payment_term_days`` and pays ``days_late`` days after
      the due date on average (``days_late`` ``None``: no payment history, counted as 0);
    * ``equity_share``: ``max(equity, 0) × share``; ``revenue_share``: ``max(revenue, 0) × share``.

    Rounded half up to the cent; the steps record each figure and its source.
    """
    steps: list[dict] = []
    if method == SIZING_SALES_DAYS:
        if monthly_sales is None:
            return LimitSizing(method, cap=cap, missing="monthly_sales")
        if payment_term_days is None:
            return LimitSizing(method, cap=cap, missing="payment_term")
        late = days_late if days_late is not None else 0
        steps.append({"code": "monthly_sales", "value": str(monthly_sales), "source": sales_source,
                      **({"months": str(sales_months)} if sales_source == "history" and sales_months else {})})
        steps.append({"code": "payment_term", "value": str(payment_term_days), "source": term_source})
        steps.append({"code": "days_late", "value": str(late), "source": "history" if days_late is not None else ""})
        days = payment_term_days + late
        uncapped = q2(monthly_sales * days / DAYS_PER_MONTH)
        steps.append({"code": "sales_days", "value": str(uncapped), "monthly_sales": str(monthly_sales),
                      "days": str(days)})
    elif method in (SIZING_EQUITY, SIZING_REVENUE):
        base, name = (equity, "equity") if method == SIZING_EQUITY else (revenue, "revenue")
        if share is None:
            return LimitSizing(method, cap=cap, missing="share")
        if base is None:
            return LimitSizing(method, cap=cap, missing=name)
        base = max(base, ZERO)
        uncapped = q2(base * share)
        steps.append({"code": name, "value": str(q2(base))})
        steps.append({"code": f"{name}_share", "value": str(uncapped), "base": str(q2(base)), "share": str(share)})
    else:
        return LimitSizing(method, missing="method")
    limit = uncapped if cap is None else min(uncapped, cap)
    if cap is not None:
        steps.append({"code": "cap", "value": str(limit), "cap": str(cap), "capped": limit < uncapped})
    return LimitSizing(method, limit, uncapped, cap, tuple(steps))


# --- An order's payment term (trade credit, issue 23) -------------------------------------------------------

def order_term_exception(term_days: int | None, allowed_days: int | None, *, hard: bool) -> str:
    """Is an order asking for a payment term beyond what the customer may be invoiced on? ``""``: no (no term
    asked, no term set, or a term within it — equal is within); ``HARD``: refused (the policy's term is a hard
    rule); ``SOFT``: a policy exception, which takes the authority the matrix sets for exceptions (its top
    level), as for an application."""
    if term_days is None or allowed_days is None or term_days <= allowed_days:
        return ""
    return HARD if hard else SOFT
