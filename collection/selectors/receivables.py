"""Reads of the receivables other apps ask for (ratings, credit, monitoring) and late fees."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Min, Q, Sum

from creditportal.core import clock
from creditportal.core.money import RateTable

from .. import rules
from ..models import ClaimPayout, DunningPolicy, Invoice, InvoiceStatus, PaymentAllocation, outstanding_expression
from ._common import ZERO


# --- providers (ratings, credit) --------------------------------------------------------------

def behaviour_rows(customer_ids, due_after, due_until):
    """The rows of payment behaviour (``ratings.providers``): every invoice falling due in
    ``(due_after, due_until]`` with its allocations, the claim payouts and credit notes on them, and the claim
    payouts tied to no invoice dated in that window. Two queries, whatever the number of customers
    (``customer_ids=None``: every customer, hash joins over the tables); the invoice rows are streamed in
    customer order. Yields ``(customer_id, [InvoiceRow], [ClaimRow])``; the rules are the ratings engine's."""
    from ratings.engine.behaviour import ClaimRow, InvoiceRow

    everyone = customer_ids is None
    ids = None if everyone else list(customer_ids)
    if not everyone and not ids:
        return
    invoices = Invoice.objects.filter(due_date__gt=due_after, due_date__lte=due_until)
    claims = ClaimPayout.objects.filter(
        Q(invoice__due_date__gt=due_after, invoice__due_date__lte=due_until)
        | Q(invoice__isnull=True, paid_on__gt=due_after, paid_on__lte=due_until))
    if not everyone:
        invoices = invoices.filter(customer_id__in=ids)
        claims = claims.filter(customer_id__in=ids)
    claims_of: dict[int, list] = {}
    for customer_id, invoice_id, kind, paid_on, amount, currency in claims.values_list(
            "customer_id", "invoice_id", "kind", "paid_on", "amount", "currency"):
        claims_of.setdefault(customer_id, []).append(ClaimRow(invoice_id, kind, paid_on, amount, currency))
    rows = (invoices.order_by("customer_id", "id")
            .values_list("customer_id", "id", "due_date", "amount", "currency", "allocations__payment__received_on",
                         "allocations__amount")
            .iterator(chunk_size=5000))
    current, invoices_of = None, []
    key, head, payments = None, None, []
    for customer_id, invoice_id, due_date, amount, currency, received_on, allocated in rows:
        if invoice_id != key:
            if head is not None:
                invoices_of.append(InvoiceRow(*head, payments=tuple(payments)))
            if customer_id != current:
                if current is not None:
                    yield current, invoices_of, claims_of.get(current, [])
                current, invoices_of = customer_id, []
            key, head, payments = invoice_id, (invoice_id, due_date, amount, currency), []
        if allocated is not None:
            payments.append((received_on, allocated))
    if head is not None:
        invoices_of.append(InvoiceRow(*head, payments=tuple(payments)))
        yield current, invoices_of, claims_of.get(current, [])


def oldest_overdue(customer_ids, as_of: dt.date) -> dict[int, dt.date]:
    """``{customer_id: due date of its oldest open invoice past due on as_of}`` (one query); invoices
    issued after ``as_of`` do not count (a month classified after its end)."""
    rows = (Invoice.objects.filter(customer_id__any=list(customer_ids), status=InvoiceStatus.OPEN,
                                   issue_date__lte=as_of, due_date__lt=as_of)
            .values("customer_id").annotate(oldest=Min("due_date")).order_by())
    return {row["customer_id"]: row["oldest"] for row in rows}


def overdue_amounts(customer_ids, as_of: dt.date, table: RateTable) -> tuple[dict[int, Decimal], list[str]]:
    """``({customer_id: amount overdue in the reporting currency}, [currencies without a rate])`` (one query):
    what the open invoices issued by ``as_of`` and due before it still owe; an amount in a currency without a
    rate is left out and its currency named. The one read of "amount overdue" for the customer header, the
    collector's worklist and the relationship manager's book."""
    from creditportal.core.money import MissingRate

    amounts: dict[int, Decimal] = {}
    missing = set()
    rows = (Invoice.objects.filter(customer_id__any=list(customer_ids), status=InvoiceStatus.OPEN,
                                   issue_date__lte=as_of, due_date__lt=as_of)
            .values("customer_id", "currency")
            .annotate(open=Sum(outstanding_expression())).order_by())
    for row in rows:
        try:
            amount = table.convert(row["open"], row["currency"])
        except MissingRate:
            missing.add(row["currency"])
            continue
        amounts[row["customer_id"]] = amounts.get(row["customer_id"], ZERO) + amount
    return amounts, sorted(missing)


def days_past_due(customer_ids, as_of: dt.date) -> dict[int, int]:
    """``{customer_id: days past due}`` by debtor (``rules.debtor_days_past_due``), 0 for the others."""
    oldest = oldest_overdue(customer_ids, as_of)
    return {cid: rules.debtor_days_past_due(oldest.get(cid), as_of) for cid in customer_ids}


def open_amounts_by_customer(customer_ids, *, issued_by: dt.date | None = None
                             ) -> dict[int, list[tuple[Decimal, str]]]:
    """``{customer_id: [(outstanding of its open invoices, currency), …]}`` (one query); ``issued_by``: only the
    invoices issued by that day (a month classified after its end)."""
    result: dict[int, list] = {}
    invoices = Invoice.objects.filter(customer_id__in=list(customer_ids), status=InvoiceStatus.OPEN)
    if issued_by is not None:
        invoices = invoices.filter(issue_date__lte=issued_by)
    rows = (invoices.values("customer_id", "currency")
            .annotate(open=Sum(outstanding_expression()))
            .order_by("customer_id", "currency"))
    for row in rows:
        result.setdefault(row["customer_id"], []).append((row["open"], row["currency"]))
    return result


def open_amounts_by_facility(facility_ids) -> dict[int, Decimal]:
    ids = list(facility_ids)
    if not ids or not hasattr(Invoice, "facility_id"):
        return {}
    from credit.models import Facility

    # ``__any``: one array parameter however many facilities (a relationship manager's run to thousands)
    currencies = dict(Facility.objects.filter(pk__any=ids).values_list("pk", "currency"))
    rows = (Invoice.objects.filter(facility_id__any=ids, status=InvoiceStatus.OPEN)
            .values("facility_id", "currency")
            .annotate(open=Sum(outstanding_expression())))
    result: dict[int, Decimal] = {}
    table = None
    for row in rows:
        target = currencies.get(row["facility_id"], row["currency"])
        amount = row["open"]
        if row["currency"] != target:
            table = table or RateTable(clock.today())
            amount = table.convert(amount, row["currency"], target)
        result[row["facility_id"]] = result.get(row["facility_id"], ZERO) + amount
    return result


def open_amounts_at(customer_ids, dates) -> dict[int, dict[str, list[Decimal]]]:
    """``{customer_id: {currency: [open amount at each of dates]}}`` (two queries): at each date, what the invoices
    issued by then amount to less what was allocated to them from payments received by then — the receivables'
    history, e.g. a customer's month-end usage (``monitoring`` metric ``limit_usage_average``). Customers without
    invoices by the last date are missing."""
    ids, dates = list(customer_ids), list(dates)
    result: dict[int, dict[str, list[Decimal]]] = {}
    if not ids or not dates:
        return result
    last = max(dates)

    def add(rows, customer_key, currency_key, sign):
        for row in rows:
            amounts = result.setdefault(row[customer_key], {}).setdefault(row[currency_key], [ZERO] * len(dates))
            for i in range(len(dates)):
                amounts[i] += sign * (row[f"d{i}"] or ZERO)

    add(Invoice.objects.filter(customer_id__in=ids, issue_date__lte=last)
        .values("customer_id", "currency")
        .annotate(**{f"d{i}": Sum("amount", filter=Q(issue_date__lte=day)) for i, day in enumerate(dates)})
        .order_by(), "customer_id", "currency", 1)
    add(PaymentAllocation.objects.filter(invoice__customer_id__in=ids, invoice__issue_date__lte=last,
                                         payment__received_on__lte=last)
        .values("invoice__customer_id", "invoice__currency")
        .annotate(**{f"d{i}": Sum("amount", filter=Q(invoice__issue_date__lte=day, payment__received_on__lte=day))
                     for i, day in enumerate(dates)})
        .order_by(), "invoice__customer_id", "invoice__currency", -1)
    return result


# --- late fees ---------------------------------------------------------------------------------

def open_late_fees(invoices, *, as_of) -> dict[int, Decimal]:
    """The late fees of the open ones among ``invoices`` at the active dunning policy's daily rate (none without
    an active policy): what an invoice's and a case's page show."""
    daily_rate = DunningPolicy.objects.filter(is_active=True).values_list("late_fee_daily_rate", flat=True).first()
    if daily_rate is None:
        return {}
    return late_fees([i for i in invoices if i.status == "open"], as_of=as_of, daily_rate=daily_rate)


def late_fees(invoices, *, as_of, daily_rate) -> dict[int, Decimal]:
    """Late fee per invoice (``rules.late_fee``), with the payments of all invoices read in one query."""
    invoices = list(invoices)
    payments: dict[int, list] = {}
    for invoice_id, received_on, amount in PaymentAllocation.objects.filter(
            invoice__in=[i.pk for i in invoices]).values_list("invoice_id", "payment__received_on", "amount"):
        payments.setdefault(invoice_id, []).append((received_on, amount))
    return {i.pk: rules.late_fee(principal=i.amount, due_date=i.due_date, as_of=as_of, daily_rate=daily_rate,
                                 payments=payments.get(i.pk, []))
            for i in invoices}


