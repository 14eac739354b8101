"""Dunning letters: the PDF (through the shared renderer) listing the overdue invoices and the late fee."""
from __future__ import annotations

from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _

from creditportal.core import clock
from creditportal.core.pdf import render_pdf

from . import rules, selectors
from .models import DunningActionKind, Invoice

TITLES = {
    DunningActionKind.REMINDER_EMAIL: lambda: _("Payment reminder"),
    DunningActionKind.FORMAL_LETTER: lambda: _("Formal demand for payment"),
    DunningActionKind.FINAL_NOTICE: lambda: _("Final notice before further action"),
}


def letter_title(action) -> str:
    return str(TITLES.get(action.action, lambda: _("Dunning letter"))())


def letter_subject(action, *, language=None) -> str:
    with translation.override(language or translation.get_language()):
        return f"{letter_title(action)}: {action.customer.name}"


def letter_context(action, *, as_of=None) -> dict:
    """The invoices the action is about that are still open, each with days past due and late fee."""
    as_of = as_of or clock.today()
    policy = action.level.policy
    invoices = list(Invoice.objects.filter(pk__in=action.invoice_ids, status="open").order_by("due_date", "pk"))
    fees = selectors.late_fees(invoices, as_of=as_of, daily_rate=policy.late_fee_daily_rate)
    rows, totals = [], {}
    for invoice in invoices:
        fee = fees[invoice.pk]
        rows.append({"invoice": invoice, "outstanding": invoice.outstanding,
                     "days": max(rules.days_past_due(invoice.due_date, as_of), 0), "fee": fee})
        t = totals.setdefault(invoice.currency, {"currency": invoice.currency, "outstanding": Decimal("0.00"),
                                                 "fee": Decimal("0.00")})
        t["outstanding"] += invoice.outstanding
        t["fee"] += fee
    return {"action": action, "customer": action.customer, "rows": rows, "totals": list(totals.values()),
            "as_of": as_of, "daily_rate_percent": policy.late_fee_daily_rate * 100, "title": letter_title(action)}


def letter_pdf(action, *, language=None, as_of=None) -> bytes:
    language = language or action.level.policy.letter_language
    with translation.override(language):
        context = letter_context(action, as_of=as_of)
    return render_pdf("collection/dunning_letter.html", context, language=language)
