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
