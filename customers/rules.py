"""Financial ratios of one period, as plain Python (no Django): ``compute_ratios(current, previous)``.

Inputs are dicts of line items (``Decimal`` or ``None``) in one consistent unit (the selectors pass
yuan). Every ratio is a ``Decimal`` or ``None`` meaning "not available": a missing item, a division by
zero, or a denominator that makes the ratio meaningless (debt-to-equity and ROE with equity ≤ 0,
growth from a base of zero). Nothing here raises on bad numbers.

Definitions (balances at the period end; flows over the period):
    current_ratio        current assets / current liabilities
    quick_ratio          (current assets − inventory) / current liabilities
    cash_ratio           cash / current liabilities
    debt_to_assets       total liabilities / total assets
    debt_to_equity       total liabilities / equity                 (None when equity ≤ 0)
    interest_coverage    EBIT / interest expense, EBIT = profit before tax + interest expense
                         (operating profit + interest expense when profit before tax is missing)
    gross_margin         (revenue − cost of sales) / revenue
    net_margin           net profit / revenue
    roa                  net profit / total assets, annualised
    roe                  net profit / equity, annualised           (None when equity ≤ 0)
    receivable_days      receivables / revenue × days of the period
    inventory_days       inventory / cost of sales × days of the period
    asset_turnover       revenue / total assets, annualised
    ocf_to_current_liabilities  operating cash flow / current liabilities
    revenue_growth       (revenue − previous revenue) / |previous revenue|
    profit_growth        (net profit − previous net profit) / |previous net profit|
Ratios are rounded half-up to 4 decimals, days to 1 decimal.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

RATIO_KEYS = [
    "current_ratio", "quick_ratio", "cash_ratio",
    "debt_to_assets", "debt_to_equity", "interest_coverage",
    "gross_margin", "net_margin", "roa", "roe",
    "receivable_days", "inventory_days", "asset_turnover",
    "ocf_to_current_liabilities",
    "revenue_growth", "profit_growth",
]

# How each ratio is shown: "times" (x.xx), "percent" (a share shown ×100 %), "days".
RATIO_KINDS = {
    "current_ratio": "times", "quick_ratio": "times", "cash_ratio": "times",
    "debt_to_assets": "percent", "debt_to_equity": "times", "interest_coverage": "times",
    "gross_margin": "percent", "net_margin": "percent", "roa": "percent", "roe": "percent",
    "receivable_days": "days", "inventory_days": "days", "asset_turnover": "times",
    "ocf_to_current_liabilities": "times",
    "revenue_growth": "percent", "profit_growth": "percent",
}

# The five groups of the design brief's financial analysis.
RATIO_GROUPS = [
    ("solvency", ["current_ratio", "quick_ratio", "cash_ratio", "debt_to_assets", "debt_to_equity",
                  "interest_coverage"]),
    ("efficiency", ["receivable_days", "inventory_days", "asset_turnover"]),
    ("profitability", ["gross_margin", "net_margin", "roa", "roe"]),
    ("cash_flow", ["ocf_to_current_liabilities"]),
    ("growth", ["revenue_growth", "profit_growth"]),
]

YEAR_DAYS = Decimal(365)
_RATIO_EXP = Decimal("0.0001")
_DAYS_EXP = Decimal("0.1")


def _num(value) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def _div(numerator, denominator) -> Decimal | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 28
        try:
            return numerator / denominator
        except (InvalidOperation, ArithmeticError):
            return None


def _sub(a, b):
    return None if a is None or b is None else a - b


def _mul(a, b):
    return None if a is None or b is None else a * b


def _round(value: Decimal | None, exponent: Decimal) -> Decimal | None:
    if value is None:
        return None
    try:
        return value.quantize(exponent, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None


def _growth(current, previous) -> Decimal | None:
    if current is None or previous is None or previous == 0:
        return None
    return _div(current - previous, abs(previous))


def compute_ratios(current: dict, previous: dict | None = None, *, days: int = 365) -> dict[str, Decimal | None]:
    """The ratios of one period (see the module docstring); ``previous`` is the same period a year before."""
    v = {k: _num(val) for k, val in (current or {}).items()}
    p = {k: _num(val) for k, val in (previous or {}).items()}
    g = v.get
    period_days = Decimal(days) if days and days > 0 else YEAR_DAYS
    annualise = YEAR_DAYS / period_days

    equity = g("equity")
    positive_equity = equity if equity is not None and equity > 0 else None
    interest = g("interest_expense")
    base = g("profit_before_tax") if g("profit_before_tax") is not None else g("operating_profit")
    ebit = base + interest if base is not None and interest is not None else None
    revenue = g("revenue")
    gross_profit = _sub(revenue, g("cost_of_sales"))

    raw = {
        "current_ratio": _div(g("current_assets"), g("current_liabilities")),
        "quick_ratio": _div(_sub(g("current_assets"), g("inventory")), g("current_liabilities")),
        "cash_ratio": _div(g("cash"), g("current_liabilities")),
        "debt_to_assets": _div(g("total_liabilities"), g("total_assets")),
        "debt_to_equity": _div(g("total_liabilities"), positive_equity),
        "interest_coverage": _div(ebit, interest),
        "gross_margin": _div(gross_profit, revenue),
        "net_margin": _div(g("net_profit"), revenue),
        "roa": _mul(_div(g("net_profit"), g("total_assets")), annualise),
        "roe": _mul(_div(g("net_profit"), positive_equity), annualise),
        "receivable_days": _mul(_div(g("receivables"), revenue), period_days),
        "inventory_days": _mul(_div(g("inventory"), g("cost_of_sales")), period_days),
        "asset_turnover": _mul(_div(revenue, g("total_assets")), annualise),
        "ocf_to_current_liabilities": _div(g("operating_cash_flow"), g("current_liabilities")),
        "revenue_growth": _growth(revenue, p.get("revenue")) if previous else None,
        "profit_growth": _growth(g("net_profit"), p.get("net_profit")) if previous else None,
    }
    return {
        key: _round(raw[key], _DAYS_EXP if RATIO_KINDS[key] == "days" else _RATIO_EXP)
        for key in RATIO_KEYS
    }


def flags(current: dict, previous: dict | None = None) -> dict[str, bool]:
    """Warning signs of one period: negative equity; a loss after a profitable previous period."""
    equity = _num((current or {}).get("equity"))
    profit = _num((current or {}).get("net_profit"))
    before = _num((previous or {}).get("net_profit"))
    return {
        "negative_equity": equity is not None and equity < 0,
        "loss_after_profit": profit is not None and before is not None and before > 0 and profit < 0,
    }


def is_previous_period(current_end, candidate_end) -> bool:
    """Whether ``candidate_end`` is the same period about one year before ``current_end``."""
    delta = (current_end - candidate_end).days
    return 330 <= delta <= 400


def equity_depleted(current: dict) -> bool:
    """Equity at or below zero: the ratios over equity (debt-to-equity, ROE) have no meaning."""
    equity = _num((current or {}).get("equity"))
    return equity is not None and equity <= 0


def covenant_figures(current: dict, ratios: dict) -> dict:
    """What a covenant may test: the credit file's ``ratios`` (``compute_ratios``, the same definitions —
    interest coverage is EBIT / interest expense) plus the equity ratio (equity / total assets) and the
    net worth (equity, yuan)."""
    v = {k: _num(val) for k, val in (current or {}).items()}
    return {
        **ratios,
        "equity_ratio": _round(_div(v.get("equity"), v.get("total_assets")), _RATIO_EXP),
        "net_worth": v.get("equity"),
    }


def zero_denominators(current: dict) -> list[str]:
    """The ratios that :func:`compute_ratios` leaves "not available" because their denominator is zero (for
    equity: zero or negative) rather than missing, so that a reader can give the ratio its meaning (the
    rating engine: ``ratings.engine.scorecard.ZERO_DENOMINATOR``). Items absent from ``current`` are missing,
    not zero."""
    v = {k: _num(val) for k, val in (current or {}).items()}
    zero = {
        "current_liabilities": ["current_ratio", "quick_ratio", "cash_ratio", "ocf_to_current_liabilities"],
        "interest_expense": ["interest_coverage"],
        "total_assets": ["debt_to_assets", "roa", "asset_turnover"],
        "revenue": ["gross_margin", "net_margin", "receivable_days"],
        "cost_of_sales": ["inventory_days"],
    }
    result = [ratio for item, ratios in zero.items() if v.get(item) is not None and v[item] == 0 for ratio in ratios]
    if equity_depleted(current):
        result += ["debt_to_equity", "roe"]
    return sorted(result)
