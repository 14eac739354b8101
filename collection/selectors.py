"""Reads shared by pages, API and tasks: aging (one GROUP BY in the database), DSO, work queue, behaviour facts.

Amounts of several currencies are converted in the database: ``reporting_amount`` builds a
``CASE currency WHEN 'USD' THEN amount × rate …`` from the FX rates valid on the business date (one
query for the rates), so the aging sums, sorts and paginates without loading invoices into Python.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Greatest

from creditportal.core import clock
from creditportal.core.money import CURRENCY_CODES, MissingRate, RateTable

from . import logic
from .models import (
    ACTIVE_CASE_STATES,
    CaseState,
    ClaimPayout,
    CollectionCase,
    DunningAction,
    DunningActionKind,
    Invoice,
    InvoiceStatus,
    PaymentAllocation,
    PromiseState,
    PromiseToPay,
)

ZERO = Decimal("0")
MONEY = DecimalField(max_digits=30, decimal_places=8)
DSO_DAYS = 90


def rates_to_reporting(table: RateTable) -> tuple[dict[str, Decimal], list[str]]:
    rates, missing = {}, []
    for code in sorted(CURRENCY_CODES):
        try:
            rates[code] = table.rate(code, table.reporting_currency).quantize(Decimal("0.0000000001"))
        except MissingRate:
            missing.append(code)
    return rates, missing


def reporting_amount(table: RateTable, expression=None, currency_field="currency"):
    """``expression`` (default: an invoice's outstanding) in the reporting currency, as a database CASE."""
    if expression is None:
        expression = F("amount") - F("paid_amount") - F("written_off_amount")
    rates, _missing = rates_to_reporting(table)
    whens = []
    for code, rate in rates.items():
        value = expression if rate == 1 else expression * Value(rate, output_field=MONEY)
        whens.append(When(**{currency_field: code}, then=ExpressionWrapper(value, output_field=MONEY)))
    return Case(*whens, default=Value(None, output_field=MONEY), output_field=MONEY)


class DaysBetween(Func):
    """``later − earlier`` in whole days (PostgreSQL: date − date is an integer)."""

    output_field = IntegerField()
    template = "(%(expressions)s)"
    arg_joiner = " - "

    def as_sqlite(self, compiler, connection, **extra):
        later, earlier = self.source_expressions
        sql_l, params_l = compiler.compile(later)
        sql_e, params_e = compiler.compile(earlier)
        return f"CAST(julianday({sql_l}) - julianday({sql_e}) AS INTEGER)", [*params_l, *params_e]


# --- aging ------------------------------------------------------------------------------------

def _bucket_sums(as_of, converted):
    sums = {}
    for key, _low, _high in logic.BUCKETS:
        earliest, latest = logic.bucket_date_bounds(key, as_of)
        cond = Q(status=InvoiceStatus.OPEN)
        if earliest is not None:
            cond &= Q(due_date__gte=earliest)
        if latest is not None:
            cond &= Q(due_date__lte=latest)
        sums[key] = Sum(converted, filter=cond)
    return sums


def aging_queryset(*, user, as_of=None, manager=None, collector=None, industry=None, customer=None):
    """Invoices the user may see that matter for aging or DSO on ``as_of`` (open, or issued in the DSO window)."""
    as_of = as_of or clock.today()
    qs = Invoice.objects.visible_to(user).filter(
        Q(status=InvoiceStatus.OPEN) | Q(issue_date__gt=as_of - dt.timedelta(days=DSO_DAYS), issue_date__lte=as_of))
    if manager:
        qs = qs.filter(customer__relationship_manager=manager)
    if industry:
        qs = qs.filter(customer__industry_section=industry)
    if customer:
        qs = qs.filter(customer=customer)
    if collector:
        qs = qs.filter(Exists(CollectionCase.objects.filter(customer_id=OuterRef("customer_id"),
                                                            state__in=ACTIVE_CASE_STATES, assigned_to=collector)))
    return qs


def _aggregates(as_of, table):
    converted = reporting_amount(table)
    full = reporting_amount(table, F("amount"))
    window_start = as_of - dt.timedelta(days=DSO_DAYS)
    return {
        **_bucket_sums(as_of, converted),
        "total": Sum(converted, filter=Q(status=InvoiceStatus.OPEN)),
        "overdue": Sum(converted, filter=Q(status=InvoiceStatus.OPEN, due_date__lt=as_of)),
        "sales": Sum(full, filter=Q(issue_date__gt=window_start, issue_date__lte=as_of)),
        "open_count": Count("pk", filter=Q(status=InvoiceStatus.OPEN)),
        "oldest_due": Min("due_date", filter=Q(status=InvoiceStatus.OPEN)),
    }


def _finish(row, as_of):
    for key in [*logic.BUCKET_KEYS, "total", "overdue", "sales"]:
        row[key] = logic.cents(row.get(key) or ZERO)
    row["dso"] = logic.dso(row["total"], row["sales"], DSO_DAYS)
    row["max_days_past_due"] = max(logic.days_past_due(row["oldest_due"], as_of), 0) if row.get("oldest_due") else 0
    return row


SORTS = {"total": "total", "overdue": "overdue", "name": "customer__name", "oldest": "oldest_due",
         **{k: k for k in logic.BUCKET_KEYS}}


def aging_by_customer(qs, *, as_of=None, sort="-total"):
    """One GROUP BY customer with a CASE per bucket; returns (values queryset, missing currencies, finisher)."""
    as_of = as_of or clock.today()
    table = RateTable(as_of)
    _rates, missing = rates_to_reporting(table)
    key = sort.lstrip("-")
    order = SORTS.get(key, "total")
    descending = sort.startswith("-")
    rows = (qs.values("customer_id", "customer__name", "customer__relationship_manager__username",
                      "customer__industry_section")
            .annotate(**_aggregates(as_of, table))
            .filter(total__gt=0)
            .order_by(F(order).desc(nulls_last=True) if descending else F(order).asc(nulls_last=True), "customer_id"))
    return rows, missing, lambda row: _finish(dict(row), as_of)


def aging_portfolio(qs, *, as_of=None) -> dict:
    as_of = as_of or clock.today()
    table = RateTable(as_of)
    row = qs.aggregate(**_aggregates(as_of, table), customers=Count("customer_id", distinct=True,
                                                                   filter=Q(status=InvoiceStatus.OPEN)))
    _rates, missing = rates_to_reporting(table)
    result = _finish(row, as_of)
    result["missing_rates"] = missing
    result["currency"] = settings.REPORTING_CURRENCY
    return result


# --- providers (ratings, credit) --------------------------------------------------------------

def behaviour_facts(customer_ids, window_start, window_end) -> dict[int, dict]:
    """Payment behaviour of invoices falling due in the window (DESIGN §3): three GROUP BY queries."""
    ids = list(customer_ids)
    if not ids:
        return {}
    table = RateTable(window_end)
    invoices = (Invoice.objects.filter(customer_id__in=ids, due_date__gte=window_start, due_date__lte=window_end)
                .values("customer_id")
                .annotate(n=Count("pk"), due=Sum(reporting_amount(table, F("amount")))))
    days = Greatest(DaysBetween(F("payment__received_on"), F("invoice__due_date")), Value(0))
    converted = reporting_amount(table, F("amount"), currency_field="invoice__currency")
    weighted = reporting_amount(table, F("amount") * days, currency_field="invoice__currency")
    paid = (PaymentAllocation.objects.filter(invoice__customer_id__in=ids, invoice__due_date__gte=window_start,
                                             invoice__due_date__lte=window_end)
            .values("invoice__customer_id")
            .annotate(received=Sum(converted), num=Sum(weighted), max_late=Max(days)))
    claims = (ClaimPayout.objects.filter(customer_id__in=ids)
              .filter(Q(invoice__due_date__gte=window_start, invoice__due_date__lte=window_end)
                      | Q(invoice__isnull=True, paid_on__gte=window_start, paid_on__lte=window_end))
              .values("customer_id").annotate(total=Sum(reporting_amount(table, F("amount")))))
    result = {}
    for row in invoices:
        result[row["customer_id"]] = {
            "invoice_count": row["n"], "amount_due": logic.cents(row["due"] or ZERO),
            "amount_received": Decimal("0.00"), "claim_payouts": Decimal("0.00"),
            "days_late_numerator": Decimal("0.00"), "days_late_denominator": Decimal("0.00"), "max_days_late": 0,
        }
    for row in paid:
        facts = result.get(row["invoice__customer_id"])
        if facts is None:
            continue
        facts["amount_received"] = logic.cents(row["received"] or ZERO)
        facts["days_late_denominator"] = facts["amount_received"]
        facts["days_late_numerator"] = logic.cents(row["num"] or ZERO)
        facts["max_days_late"] = int(row["max_late"] or 0)
    for row in claims:
        if row["customer_id"] in result:
            result[row["customer_id"]]["claim_payouts"] = logic.cents(row["total"] or ZERO)
    return result


def open_amounts_by_customer(customer_ids) -> dict[int, list[tuple[Decimal, str]]]:
    result: dict[int, list] = {}
    rows = (Invoice.objects.filter(customer_id__in=list(customer_ids), status=InvoiceStatus.OPEN)
            .values("customer_id", "currency")
            .annotate(open=Sum(F("amount") - F("paid_amount") - F("written_off_amount")))
            .order_by("customer_id", "currency"))
    for row in rows:
        result.setdefault(row["customer_id"], []).append((row["open"], row["currency"]))
    return result


def open_amounts_by_facility(facility_ids) -> dict[int, Decimal]:
    ids = list(facility_ids)
    if not ids or not hasattr(Invoice, "facility_id"):
        return {}
    from credit.models import Facility

    currencies = dict(Facility.objects.filter(pk__in=ids).values_list("pk", "currency"))
    rows = (Invoice.objects.filter(facility_id__in=ids, status=InvoiceStatus.OPEN)
            .values("facility_id", "currency")
            .annotate(open=Sum(F("amount") - F("paid_amount") - F("written_off_amount"))))
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


# --- late fees ---------------------------------------------------------------------------------

def late_fees(invoices, *, as_of, daily_rate) -> dict[int, Decimal]:
    """Late fee per invoice (``logic.late_fee``), with the payments of all invoices read in one query."""
    invoices = list(invoices)
    payments: dict[int, list] = {}
    for invoice_id, received_on, amount in PaymentAllocation.objects.filter(
            invoice__in=[i.pk for i in invoices]).values_list("invoice_id", "payment__received_on", "amount"):
        payments.setdefault(invoice_id, []).append((received_on, amount))
    return {i.pk: logic.late_fee(principal=i.amount, due_date=i.due_date, as_of=as_of, daily_rate=daily_rate,
                                 payments=payments.get(i.pk, []))
            for i in invoices}


# --- work queue -------------------------------------------------------------------------------

def work_queue(user, *, as_of=None, limit=10) -> dict:
    """The collector's queue: calls due today, promises due, broken promises, oldest cases (constant queries)."""
    as_of = as_of or clock.today()
    mine = CollectionCase.objects.visible_to(user).active().filter(assigned_to=user).select_related("customer")
    calls = list(mine.filter(next_action_on__lte=as_of).order_by("next_action_on", "pk")[:limit])
    call_tasks = list(DunningAction.objects.visible_to(user).open()
                      .filter(action=DunningActionKind.PHONE_CALL, outcome=DunningAction.Outcome.PENDING,
                              assigned_to=user).select_related("customer").order_by("business_date", "pk")[:limit])
    promises = PromiseToPay.objects.visible_to(user).filter(case__assigned_to=user).select_related("case__customer")
    due = list(promises.filter(state=PromiseState.PENDING, promised_date__lte=as_of).order_by("promised_date")[:limit])
    broken = list(promises.filter(state=PromiseState.BROKEN, resolved_on__gte=as_of - dt.timedelta(days=30))
                  .order_by("-resolved_on")[:limit])
    oldest = list(mine.order_by("opened_on", "pk")[:limit])
    return {"calls": calls, "call_tasks": call_tasks, "promises_due": due, "broken": broken, "oldest": oldest,
            "as_of": as_of}


def case_totals(case) -> dict:
    """Outstanding, written off and recovered amounts of one case (two queries)."""
    agg = case.invoices.aggregate(amount=Sum("amount"), paid=Sum("paid_amount"), written=Sum("written_off_amount"))
    recovered = case.payments.filter(is_recovery=True).aggregate(total=Sum("amount"))["total"] or ZERO
    amount = agg["amount"] or ZERO
    paid, written = agg["paid"] or ZERO, agg["written"] or ZERO
    return {"amount": amount, "paid": paid, "written_off": written, "outstanding": amount - paid - written,
            "recovered": recovered}


def active_case_states():
    return [CaseState(s) for s in ACTIVE_CASE_STATES]


def customer_tab(customer, user) -> dict:
    """Context of the customer page's "Collections" tab (the customer is already checked as visible)."""
    as_of = clock.today()
    qs = aging_queryset(user=user, as_of=as_of, customer=customer)
    aging = aging_portfolio(qs, as_of=as_of)
    labels = [("current", "0"), ("d1_30", "1–30"), ("d31_60", "31–60"), ("d61_90", "61–90"),
              ("d91_180", "91–180"), ("d181_360", "181–360"), ("over_360", "> 360")]
    return {"collections": {
        "aging": aging, "buckets": labels,
        "open_invoices": Invoice.objects.filter(customer=customer, status=InvoiceStatus.OPEN).order_by("due_date")[:50],
        "active_case": CollectionCase.objects.active().filter(customer=customer).select_related("assigned_to").first(),
        "dunning": DunningAction.objects.filter(customer=customer).order_by("-business_date", "-pk")[:20],
    }}
