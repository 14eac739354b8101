"""Financial ratios of one period, as plain Python (no Django): ``compute_ratios(current, previous)``.

Inputs are dicts of statement lines (``Decimal`` or ``None``) in one consistent unit (the selectors pass
yuan), keyed by the line codes of ``customers.chart`` (``BS119`` total current assets, ``IS101`` revenue…);
a dict keyed by the key-figure names (``current_assets``, ``revenue``…, ``chart.KEY_FIGURES``) is read the
same way, a code winning over a name. Every ratio is a ``Decimal`` or ``None`` meaning "not available": a missing item, a division by
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

from . import chart

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
_EXPONENTS = {key: _DAYS_EXP if kind == "days" else _RATIO_EXP for key, kind in RATIO_KINDS.items()}


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


def figures(values: dict | None) -> dict[str, Decimal | None]:
    """The key figures the ratios read, by name, from a dict of line codes (or of key-figure names)."""
    values = values or {}
    result = {}
    for name, code in chart.KEY_FIGURES.items():
        if code in values:
            result[name] = _num(values[code])
        elif name in values:
            result[name] = _num(values[name])
    return result


def compute_ratios(current: dict, previous: dict | None = None, *, days: int = 365) -> dict[str, Decimal | None]:
    """The ratios of one period (see the module docstring); ``previous`` is the same period a year before."""
    return _ratios(figures(current), figures(previous) if previous else None, days)


def analyse(current: dict, previous: dict | None = None, *, days: int = 365) -> dict:
    """Everything read from one period at once, each statement's figures read once (the nightly batch analyses
    every customer's latest statement): ``{"ratios": compute_ratios(…), **flags(…), "zero_denominators": […]}``."""
    now = figures(current)
    then = figures(previous) if previous else None
    return {"ratios": _ratios(now, then, days), **_flags(now, then or {}), "zero_denominators": _zero(now)}


def _ratios(v: dict, p: dict | None, days: int) -> dict[str, Decimal | None]:
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
        "revenue_growth": _growth(revenue, p.get("revenue")) if p is not None else None,
        "profit_growth": _growth(g("net_profit"), p.get("net_profit")) if p is not None else None,
    }
    return {key: _round(raw[key], _EXPONENTS[key]) for key in RATIO_KEYS}


def flags(current: dict, previous: dict | None = None) -> dict[str, bool]:
    """Warning signs of one period: negative equity; a loss after a profitable previous period."""
    return _flags(figures(current), figures(previous))


def _flags(now: dict, then: dict) -> dict[str, bool]:
    equity = now.get("equity")
    profit = now.get("net_profit")
    before = then.get("net_profit")
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
    return _depleted(figures(current))


def _depleted(v: dict) -> bool:
    equity = v.get("equity")
    return equity is not None and equity <= 0


def covenant_figures(current: dict, ratios: dict) -> dict:
    """What a covenant may test: the credit file's ``ratios`` (``compute_ratios``, the same definitions —
    interest coverage is EBIT / interest expense) plus the equity ratio (equity / total assets) and the
    net worth (equity, yuan)."""
    v = figures(current)
    return {
        **ratios,
        "equity_ratio": _round(_div(v.get("equity"), v.get("total_assets")), _RATIO_EXP),
        "net_worth": v.get("equity"),
    }


# A ratio left "not available" by a zero denominator (for equity: zero or negative), by the item it divides by.
_ZERO_DENOMINATOR_RATIOS = {
    "current_liabilities": ["current_ratio", "quick_ratio", "cash_ratio", "ocf_to_current_liabilities"],
    "interest_expense": ["interest_coverage"],
    "total_assets": ["debt_to_assets", "roa", "asset_turnover"],
    "revenue": ["gross_margin", "net_margin", "receivable_days"],
    "cost_of_sales": ["inventory_days"],
}


def zero_denominators(current: dict) -> list[str]:
    """The ratios that :func:`compute_ratios` leaves "not available" because their denominator is zero (for
    equity: zero or negative) rather than missing, so that a reader can give the ratio its meaning (the
    rating engine: ``ratings.engine.scorecard.ZERO_DENOMINATOR``). Items absent from ``current`` are missing,
    not zero."""
    return _zero(figures(current))


def _zero(v: dict) -> list[str]:
    result = [ratio for item, ratios in _ZERO_DENOMINATOR_RATIOS.items()
              if v.get(item) is not None and v[item] == 0 for ratio in ratios]
    if _depleted(v):
        result += ["debt_to_equity", "roe"]
    return sorted(result)


# --- Statement checks (the lines of ``customers.chart``) -----------------------------------------
# Amounts are in the statement's own unit; a subtotal may differ from the sum of its lines by rounding, at most
# one unit of the statement (1 元, 1 千元 or 1 万元: the tolerance grows with the unit the figures were rounded to).
SUBTOTAL_TOLERANCE_UNITS = Decimal("1")
# |assets − (liabilities + equity)| may be at most this share of total assets, or one unit, whichever is larger.
BALANCE_TOLERANCE_SHARE = Decimal("0.0001")


class StatementProblem(tuple):
    """``(code, kind, values)``: the line named, what is wrong (``subtotal``, ``balance``, ``cash_change``,
    ``negative``) and the figures for the message."""

    __slots__ = ()

    def __new__(cls, code: str, kind: str, **values):
        return super().__new__(cls, (code, kind, values))

    code = property(lambda self: self[0])
    kind = property(lambda self: self[1])
    values = property(lambda self: self[2])


def _line_sum(code: str, lines: dict) -> Decimal:
    return sum((line.sign * lines[line.code] for line in chart.CHILDREN[code] if lines.get(line.code) is not None),
               Decimal(0))


def complete_subtotals(lines: dict) -> dict:
    """``lines`` (code → ``Decimal``) with every missing subtotal computed from its lines (bottom-up), when at
    least one of its lines is given; given subtotals are kept as given."""
    result = {code: value for code, value in lines.items() if value is not None}
    for code in chart.SUBTOTALS_BOTTOM_UP:
        if code not in result and any(line.code in result for line in chart.CHILDREN[code]):
            result[code] = _line_sum(code, result)
    return result


def balance_tolerance(total_assets: Decimal) -> Decimal:
    return max(SUBTOTAL_TOLERANCE_UNITS, abs(total_assets) * BALANCE_TOLERANCE_SHARE)


def check_lines(lines: dict) -> list[StatementProblem]:
    """The problems of one statement's lines (code → ``Decimal``, in the statement's unit), in chart order:
    a negative amount on a line that cannot be negative; a given subtotal that is not the sum of its lines
    (missing lines count as zero, checked when at least one line is given); total assets ≠ total liabilities
    and owners' equity."""
    problems = []
    for code, value in lines.items():
        line = chart.BY_CODE.get(code)
        if line is not None and value is not None and value < 0 and not line.may_be_negative:
            problems.append(StatementProblem(code, "negative", given=value))
    complete = complete_subtotals(lines)
    for code in chart.SUBTOTALS_BOTTOM_UP:
        given = lines.get(code)
        if given is None or not any(complete.get(line.code) is not None for line in chart.CHILDREN[code]):
            continue
        expected = _line_sum(code, complete)
        if abs(given - expected) > SUBTOTAL_TOLERANCE_UNITS:
            problems.append(StatementProblem(code, "subtotal", given=given, expected=expected,
                                             difference=given - expected))
    for code, other in chart.EQUAL_LINES:
        mine, theirs = complete.get(code), complete.get(other)
        if mine is not None and theirs is not None and abs(mine - theirs) > SUBTOTAL_TOLERANCE_UNITS:
            problems.append(StatementProblem(code, "equal", given=mine, expected=theirs, other=other,
                                             difference=mine - theirs))
    assets, total = complete.get("BS199"), complete.get("BS499")
    if total is None and complete.get("BS249") is not None and complete.get("BS399") is not None:
        total = complete["BS249"] + complete["BS399"]
    if assets is not None and total is not None and abs(assets - total) > balance_tolerance(assets):
        problems.append(StatementProblem("BS199", "balance", given=assets, expected=total,
                                         liabilities=complete.get("BS249"), equity=complete.get("BS399"),
                                         difference=assets - total))
    order = {code: index for index, code in enumerate(chart.CODES)}
    return sorted(problems, key=lambda p: order.get(p.code, len(order)))


def closing_cash(lines: dict) -> Decimal | None:
    """Cash at the period end: the cash-flow statement's closing balance, else the balance sheet's cash."""
    value = lines.get("CF199")
    return value if value is not None else lines.get("BS101")


def check_cash_change(lines: dict, previous: dict | None, *, tolerance: Decimal) -> StatementProblem | None:
    """The cash flow's net change (``CF190``) against the change in cash since ``previous`` (the preceding
    period's lines). Both in one unit (yuan); ``None`` when either side is missing or they agree."""
    if not previous:
        return None
    net = complete_subtotals(lines).get("CF190")
    now, before = closing_cash(lines), closing_cash(previous)
    if net is None or now is None or before is None:
        return None
    change = now - before
    if abs(net - change) > tolerance:
        return StatementProblem("CF190", "cash_change", given=net, expected=change, closing=now, previous=before)
    return None


# --- Peers: the portfolio's quartiles of a ratio ---------------------------------------------------

def quartiles(values) -> tuple[Decimal, Decimal, Decimal] | None:
    """(first quartile, median, third quartile) of ``values`` (``None`` skipped), by linear interpolation
    between the closest ranks — what PostgreSQL's ``percentile_cont`` gives — rounded half-up to 4 decimals;
    ``None`` for no values."""
    ordered = sorted(_num(v) for v in values if _num(v) is not None)
    if not ordered:
        return None

    def at(fraction):
        position = Decimal(len(ordered) - 1) * fraction
        low = int(position)
        high = min(low + 1, len(ordered) - 1)
        value = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
        return _round(value, _RATIO_EXP)

    return at(Decimal("0.25")), at(Decimal("0.5")), at(Decimal("0.75"))


def change(current, previous) -> tuple[Decimal | None, Decimal | None]:
    """(current − previous, the change as a share of |previous| rounded to 4 decimals); the share is ``None``
    from a base of zero, both ``None`` when either side is missing."""
    now, before = _num(current), _num(previous)
    if now is None or before is None:
        return None, None
    return now - before, _round(_growth(now, before), _RATIO_EXP)
