"""Invoices issued on terms beyond the customer's (trade credit, issue 23).

An invoice's term is its issue date → due date (``rules.payment_term_days``; ``DaysBetween`` in the database).
The term the customer may have is the one approved on the application that opened the invoice's facility,
else the longest the credit policy in force sets for the grade of the customer's current rating
(``credit.selectors.allowed_payment_terms``). ``rules.term_beyond`` flags a longer term.
"""
from __future__ import annotations

from credit import selectors as credit_selectors

from .. import rules
from ..models import Invoice, InvoiceStatus

SOURCE_FACILITY = "facility"
SOURCE_POLICY = "policy"


def invoice_terms(invoices, on_date=None) -> dict[int, dict]:
    """``{invoice_id: {"term_days", "allowed_days", "source", "grade", "beyond"}}`` for ``invoices`` (rows with
    ``pk``, ``customer_id``, ``facility_id``, ``issue_date``, ``due_date``), set-wise: a constant number of
    queries for any number of invoices."""
    invoices = list(invoices)
    if not invoices:
        return {}
    by_customer, by_facility = credit_selectors.allowed_payment_terms(
        {i.customer_id for i in invoices}, {i.facility_id for i in invoices}, on_date)
    result = {}
    for invoice in invoices:
        term = rules.payment_term_days(invoice.issue_date, invoice.due_date)
        customer = by_customer.get(invoice.customer_id, {})
        if invoice.facility_id in by_facility:
            allowed, source = by_facility[invoice.facility_id], SOURCE_FACILITY
        else:
            allowed, source = customer.get("days"), SOURCE_POLICY
        result[invoice.pk] = {"term_days": term, "allowed_days": allowed, "source": source if allowed else "",
                              "grade": customer.get("grade"), "beyond": rules.term_beyond(term, allowed)}
    return result


def open_invoices_beyond_terms(customer, limit: int = 50) -> list:
    """The customer's open invoices issued on a term beyond its own, each with ``term`` (``invoice_terms``)."""
    invoices = list(Invoice.objects.filter(customer=customer, status=InvoiceStatus.OPEN)
                    .only("pk", "number", "customer_id", "facility_id", "issue_date", "due_date", "amount",
                          "currency").order_by("due_date", "pk")[:500])
    terms = invoice_terms(invoices)
    flagged = []
    for invoice in invoices:
        if terms[invoice.pk]["beyond"]:
            invoice.term = terms[invoice.pk]
            flagged.append(invoice)
    return flagged[:limit]
