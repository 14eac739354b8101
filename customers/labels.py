"""Translated labels of the ratios and line items (the ratio functions themselves are plain Python)."""
from django.utils.translation import gettext_lazy as _

from .models import FinancialStatement

RATIO_LABELS = {
    "current_ratio": _("Current ratio"),
    "quick_ratio": _("Quick ratio"),
    "cash_ratio": _("Cash ratio"),
    "debt_to_assets": _("Debt to assets"),
    "debt_to_equity": _("Debt to equity"),
    "interest_coverage": _("Interest coverage"),
    "gross_margin": _("Gross margin"),
    "net_margin": _("Net margin"),
    "roa": _("Return on assets"),
    "roe": _("Return on equity"),
    "receivable_days": _("Receivable days"),
    "inventory_days": _("Inventory days"),
    "asset_turnover": _("Asset turnover"),
    "ocf_to_current_liabilities": _("Operating cash flow to current liabilities"),
    "revenue_growth": _("Revenue growth"),
    "profit_growth": _("Net profit growth"),
}

RATIO_GROUP_LABELS = {
    "solvency": _("Solvency"),
    "efficiency": _("Operating efficiency"),
    "profitability": _("Profitability"),
    "cash_flow": _("Cash flow"),
    "growth": _("Growth"),
}


def line_item_label(name: str):
    return FinancialStatement._meta.get_field(name).verbose_name


# --- Lines of the detailed chart (``customers.chart``): the reader's language -----------------------------------

def line_name(code: str) -> str:
    """The line's name in the active language (Chinese for a Chinese reader, English otherwise)."""
    from django.utils.translation import get_language

    from . import chart

    line = chart.BY_CODE.get(code)
    if line is None:
        return code
    return line.zh if (get_language() or "").lower().startswith("zh") else line.en


def line_label(code: str) -> str:
    """``name (code)``: how a message names a line."""
    return f"{line_name(code)} ({code})"


STATEMENT_LABELS = {
    "balance_sheet": _("Balance sheet"),
    "income_statement": _("Income statement"),
    "cash_flow": _("Cash-flow statement"),
}
SECTION_LABELS = {
    "current_assets": _("Current assets"),
    "non_current_assets": _("Non-current assets"),
    "current_liabilities": _("Current liabilities"),
    "non_current_liabilities": _("Non-current liabilities"),
    "equity": _("Owners' equity"),
    "operating": _("Operating profit"),
    "non_operating": _("Profit before tax"),
    "net_profit": _("Net profit"),
    "comprehensive": _("Comprehensive income"),
    "operating_activities": _("Operating activities"),
    "investing_activities": _("Investing activities"),
    "financing_activities": _("Financing activities"),
    "cash_change": _("Change in cash"),
    "supplementary": _("Supplementary: net profit reconciled to operating cash flow"),
    "non_cash": _("Supplementary: non-cash activities and the change in cash"),
}
