"""The statement of account (对账单) a collector sends a customer: per currency, the opening balance, every invoice
issued, payment received and amount written off in the period, the closing balance, the invoices still open at
its end with their days past due (``collection.rules.days_past_due``), and a reply slip to confirm or dispute.

Balances are the customer's ledger: invoices issued add, payments received and approved write-offs subtract;
the closing balance of one period is the opening balance of the next. A fixed number of queries.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from collection import rules as collection_rules
from collection.models import Invoice, Payment, PaymentAllocation, WriteOffItem, WriteOffState
from creditportal.core.canonical import sha256_of

from . import common

ZERO = Decimal("0")
REPLY_DAYS = 15


def statement_number(customer, end: dt.date) -> str:
    return f"SA-{end:%Y%m}-{customer.pk:06d}"


def _sums(queryset, date_field, amount_field, currency_field, before: dt.date) -> dict[str, Decimal]:
    rows = (queryset.filter(**{f"{date_field}__lt": before}).values(currency_field)
            .annotate(total=Sum(amount_field)).order_by())
    return {row[currency_field]: row["total"] or ZERO for row in rows}


def statement_context(customer, start: dt.date, end: dt.date) -> dict:
    """The statement's data in the active language."""
    invoices = Invoice.objects.filter(customer=customer)
    payments = Payment.objects.filter(customer=customer)
    written_off = WriteOffItem.objects.filter(invoice__customer=customer, write_off__state=WriteOffState.APPROVED,
                                              write_off__decided_on__isnull=False)
    opening = defaultdict(lambda: ZERO)
    for currency, total in _sums(invoices, "issue_date", "amount", "currency", start).items():
        opening[currency] += total
    for currency, total in _sums(payments, "received_on", "amount", "currency", start).items():
        opening[currency] -= total
    for currency, total in _sums(written_off, "write_off__decided_on", "amount", "invoice__currency", start).items():
        opening[currency] -= total

    entries = defaultdict(list)
    for inv in invoices.filter(issue_date__gte=start, issue_date__lte=end).order_by("issue_date", "id"):
        entries[inv.currency].append({"date": inv.issue_date, "kind": _("Invoice"), "reference": inv.number,
                                      "note": _("due %(date)s") % {"date": common.date_text(inv.due_date)},
                                      "debit": inv.amount, "credit": ZERO})
    for pay in payments.filter(received_on__gte=start, received_on__lte=end).order_by("received_on", "id"):
        entries[pay.currency].append({"date": pay.received_on, "kind": _("Payment received"),
                                      "reference": pay.reference, "note": "", "debit": ZERO, "credit": pay.amount})
    for item in (written_off.filter(write_off__decided_on__gte=start, write_off__decided_on__lte=end)
                 .select_related("invoice", "write_off").order_by("write_off__decided_on", "id")):
        entries[item.invoice.currency].append({"date": item.write_off.decided_on, "kind": _("Written off"),
                                               "reference": item.invoice.number, "note": "", "debit": ZERO,
                                               "credit": item.amount})
    # What each invoice issued by the end still owed at the end: its amount less the payments allocated to it
    # that were received by then and the write-offs decided by then (later payments do not change a statement).
    issued = list(invoices.filter(issue_date__lte=end).exclude(paid_on__lt=start)
                  .only("id", "number", "issue_date", "due_date", "amount", "currency").order_by("due_date", "id"))
    ids = [inv.pk for inv in issued]
    paid = dict(PaymentAllocation.objects.filter(invoice_id__in=ids, payment__received_on__lte=end)
                .values("invoice_id").annotate(total=Sum("amount")).values_list("invoice_id", "total").order_by())
    cut = dict(written_off.filter(invoice_id__in=ids, write_off__decided_on__lte=end).values("invoice_id")
               .annotate(total=Sum("amount")).values_list("invoice_id", "total").order_by())
    open_rows = defaultdict(list)
    for inv in issued:
        outstanding = inv.amount - paid.get(inv.pk, ZERO) - cut.get(inv.pk, ZERO)
        if outstanding <= ZERO:
            continue
        days = collection_rules.days_past_due(inv.due_date, end)
        open_rows[inv.currency].append({"number": inv.number, "issued": common.date_text(inv.issue_date),
                                        "due": common.date_text(inv.due_date),
                                        "amount": common.amount(inv.amount), "outstanding": common.amount(outstanding),
                                        "outstanding_value": outstanding, "days": max(days, 0), "overdue": days > 0})

    sections = []
    for currency in sorted(set(opening) | set(entries) | set(open_rows)):
        balance = opening[currency]
        lines = []
        for entry in sorted(entries[currency], key=lambda e: (e["date"], e["credit"] > 0)):
            balance += entry["debit"] - entry["credit"]
            lines.append({**entry, "date": common.date_text(entry["date"]),
                          "debit": common.amount(entry["debit"]) if entry["debit"] else "",
                          "credit": common.amount(entry["credit"]) if entry["credit"] else "",
                          "balance": common.amount(balance)})
        debits = sum((e["debit"] for e in entries[currency]), ZERO)
        credits = sum((e["credit"] for e in entries[currency]), ZERO)
        sections.append({"currency": currency, "opening": common.amount(opening[currency]), "lines": lines,
                         "debits": common.amount(debits), "credits": common.amount(credits),
                         "closing": common.amount(balance), "closing_value": balance,
                         "open_invoices": open_rows[currency],
                         "overdue": common.amount(sum((r["outstanding_value"] for r in open_rows[currency]
                                                       if r["overdue"]), ZERO))})
    number = statement_number(customer, end)
    sha = sha256_of({"customer": customer.pk, "start": start, "end": end,
                     "sections": [[s["currency"], s["opening"], s["closing"], len(s["lines"])] for s in sections]})
    return {
        "report_number": number, "title": _("Statement of account"), "source_sha256": sha,
        "page_counter_css": common.page_counter_css(),
        "footer_text": common.footer_text(number, sha, _("Statement data SHA-256:")),
        "header_text": f"{_('Statement of account')} · {customer.name}",
        "customer": {"name": customer.name, "identifier": customer.identifier,
                     "identifier_label": (_("Foreign registration number") if customer.is_foreign
                                          else _("Unified social credit code")),
                     "address": customer.address},
        "start": common.date_text(start), "end": common.date_text(end), "sections": sections,
        "reply_days": REPLY_DAYS,
    }
