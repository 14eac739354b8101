"""Reads shared by pages, API and other apps' batches: set-wise, a constant number of queries.

For other apps:
    latest_ratios_for(customer_ids)          → {customer_id: {"period_end", "ratios", "statement_id",
                                                "negative_equity", "loss_after_profit", ...}}
                                               (from the kept ``LatestAnalysis`` where it is current)
    credit_file_flags_for(customer_ids, on_date=None)
                                             → {customer_id: {"latest_period_end", "statements_stale",
                                                "expired_document_ids"}}
    negative_records_for(customer_ids, since=None) → {customer_id: [record dicts]}
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Max, OuterRef, Subquery

from creditportal.core import clock

from . import rules as ratio_math
from .models import (
    LINE_ITEMS, Customer, CustomerDocument, CustomerGroup, FinancialStatement, LatestAnalysis, NegativeRecord,
    PeriodType, lines_as_decimals,
)

CHUNK = 2000
STALE_AFTER_MONTHS = 18
_STATEMENT_VALUE_FIELDS = ["id", "customer_id", "period_end", "period_type", "consolidated", "unit", "currency",
                           "audited", "lines", *LINE_ITEMS]


def _chunks(ids):
    ids = sorted({int(i) for i in ids})
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def period_days(period_end: dt.date, period_type: str) -> int:
    """Days covered by a statement: a year for annual ones, the year to date for interim ones."""
    if period_type == PeriodType.ANNUAL:
        return 365
    return (period_end - dt.date(period_end.year, 1, 1)).days + 1


def _in_yuan(row: dict) -> dict:
    """The statement's lines ``{code: Decimal}`` in yuan: what ``compute_ratios`` reads."""
    unit = int(row["unit"])
    values = lines_as_decimals(row.get("lines"), row)
    return values if unit == 1 else {code: value * unit for code, value in values.items()}


def _previous(row, candidates):
    for other in candidates:
        if (other["period_type"] == row["period_type"] and other["consolidated"] == row["consolidated"]
                and ratio_math.is_previous_period(row["period_end"], other["period_end"])):
            return other
    return None


def _primary_order(row):
    # Newest period first; for one period, annual before interim and consolidated before parent-only.
    return (-row["period_end"].toordinal(), row["period_type"] != PeriodType.ANNUAL, not row["consolidated"])


def analyse_rows(rows: list[dict]) -> dict[int, dict]:
    """Ratios and flags for statement rows (dicts of ``_STATEMENT_VALUE_FIELDS``), growth from the same
    customer's rows a year before. ``{statement_id: {"ratios", "negative_equity", "loss_after_profit"}}``."""
    by_customer = defaultdict(list)
    for row in rows:
        by_customer[row["customer_id"]].append(row)
    result = {}
    for customer_rows in by_customer.values():
        customer_rows.sort(key=_primary_order)
        for row in customer_rows:
            previous = _previous(row, customer_rows)
            result[row["id"]] = {**_analysed(row, previous),
                                 "previous_statement_id": previous["id"] if previous else None}
    return result


def _analysed(row: dict, previous: dict | None) -> dict:
    """``ratios``, the flags and ``zero_denominators`` of one statement row (``customers.rules.analyse``)."""
    return ratio_math.analyse(_in_yuan(row), _in_yuan(previous) if previous else None,
                              days=period_days(row["period_end"], row["period_type"]))


def ratios_for_statements(statements) -> dict[int, dict]:
    """``analyse_rows`` for statement objects or ids: one query for them and their customers' other periods."""
    ids = [getattr(s, "pk", s) for s in statements]
    if not ids:
        return {}
    customer_ids = set(FinancialStatement.objects.filter(pk__in=ids).values_list("customer_id", flat=True))
    rows = list(FinancialStatement.objects.filter(customer_id__in=customer_ids).values(*_STATEMENT_VALUE_FIELDS))
    analysed = analyse_rows(rows)
    return {i: analysed[i] for i in ids if i in analysed}


def latest_ratios_for(customer_ids) -> dict[int, dict]:
    """The latest statement's ratios of each customer (set-wise: one or two queries per 2,000 customers).

    The latest statement is the newest period end; for one period the annual one before the interim one
    and the consolidated one before the parent-only one. Customers without statements are absent.
    Returns ``{customer_id: {"period_end": date, "period_type": str, "consolidated": bool,
    "statement_id": int, "currency": str, "ratios": {key: Decimal | None}, "negative_equity": bool,
    "loss_after_profit": bool, "zero_denominators": [ratio key, ...]}}``.

    Read from the kept analyses (``LatestAnalysis``, one row per customer) where they are current under these
    rules (``ANALYSIS_VERSION``); the other customers' statements are read and analysed here.
    """
    result = {}
    for chunk in _chunks(customer_ids):
        for customer_id, statement_id, stored in (
                LatestAnalysis.objects.filter(customer_id__any=chunk, rules_version=ANALYSIS_VERSION)
                .values_list("customer_id", "statement_id", "analysis")):
            result[customer_id] = _from_stored(statement_id, stored)
        missing = [customer_id for customer_id in chunk if customer_id not in result]
        if missing:
            result.update(latest_analysed(missing))
    return result


def latest_analysed(customer_ids) -> dict[int, dict]:
    """``latest_ratios_for`` computed from the statements (one query per 2,000 customers): what
    ``LatestAnalysis`` keeps."""
    result = {}
    for chunk in _chunks(customer_ids):
        rows = list(FinancialStatement.objects.filter(customer_id__any=chunk).values(*_STATEMENT_VALUE_FIELDS))
        by_customer = defaultdict(list)
        for row in rows:
            by_customer[row["customer_id"]].append(row)
        for customer_id, customer_rows in by_customer.items():
            customer_rows.sort(key=_primary_order)
            latest = customer_rows[0]
            result[customer_id] = {
                "period_end": latest["period_end"],
                "period_type": latest["period_type"],
                "consolidated": latest["consolidated"],
                "statement_id": latest["id"],
                "currency": latest["currency"],
                **_analysed(latest, _previous(latest, customer_rows)),
            }
    return result


def stored_analysis(latest: dict) -> dict:
    """One ``latest_analysed`` value as ``LatestAnalysis.analysis`` keeps it (JSON: dates ISO, ratios as text
    that reads back to the same ``Decimal``, exponent included)."""
    return {"period_end": latest["period_end"].isoformat(), "period_type": latest["period_type"],
            "consolidated": latest["consolidated"], "currency": latest["currency"],
            "ratios": {key: None if value is None else str(value) for key, value in latest["ratios"].items()},
            "negative_equity": latest["negative_equity"], "loss_after_profit": latest["loss_after_profit"],
            "zero_denominators": list(latest["zero_denominators"])}


def _from_stored(statement_id: int, stored: dict) -> dict:
    return {**stored, "statement_id": statement_id, "period_end": dt.date.fromisoformat(stored["period_end"]),
            "ratios": {key: None if text is None else Decimal(text) for key, text in stored["ratios"].items()}}


def _analysis_version() -> str:
    """A digest of the code that analyses a statement: a kept ``LatestAnalysis`` computed under other rules is not
    read (the nightly refresh recomputes it)."""
    import hashlib
    import inspect

    from . import chart

    parts = [inspect.getsource(ratio_math), inspect.getsource(chart), *(inspect.getsource(f) for f in (
        _in_yuan, _previous, _primary_order, period_days, _analysed, lines_as_decimals, latest_analysed,
        stored_analysis, _from_stored))]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


ANALYSIS_VERSION = _analysis_version()


def months_before(day: dt.date, months: int) -> dt.date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    import calendar

    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def credit_file_flags_for(customer_ids, on_date: dt.date | None = None) -> dict[int, dict]:
    """Per customer: the latest period end, whether statements are stale (none, or the newest older than
    18 months) and the ids of documents past their expiry date. Two queries per 2,000 customers."""
    on_date = on_date or clock.today()
    stale_before = months_before(on_date, STALE_AFTER_MONTHS)
    result = {}
    for chunk in _chunks(customer_ids):
        latest = dict(FinancialStatement.objects.filter(customer_id__any=chunk).values("customer_id")
                      .annotate(latest=Max("period_end")).values_list("customer_id", "latest"))
        expired = defaultdict(list)
        for doc_id, customer_id in CustomerDocument.objects.filter(
                customer_id__any=chunk, expires_on__lt=on_date).values_list("id", "customer_id"):
            expired[customer_id].append(doc_id)
        for customer_id in chunk:
            period_end = latest.get(customer_id)
            result[customer_id] = {
                "latest_period_end": period_end,
                "statements_stale": period_end is None or period_end < stale_before,
                "expired_document_ids": expired.get(customer_id, []),
            }
    return result


def negative_records_for(customer_ids, since: dt.date | None = None) -> dict[int, list[dict]]:
    """Negative records per customer (newest first), optionally only those on or after ``since``."""
    result = defaultdict(list)
    for chunk in _chunks(customer_ids):
        queryset = NegativeRecord.objects.filter(customer_id__any=chunk)
        if since:
            queryset = queryset.filter(occurred_on__gte=since)
        for row in queryset.values("id", "customer_id", "kind", "occurred_on", "source", "amount", "currency"):
            result[row["customer_id"]].append(row)
    return dict(result)


# --- Pages and API ----------------------------------------------------------------------------

def customer_list(user):
    """The customers ``user`` may see, with what the list shows (constant number of queries).

    ``latest_period_end`` is a correlated subquery, not ``Max`` over a join: PostgreSQL then evaluates it
    for the rows of the page only (through the statements' unique index on ``(customer, period_end, …)``)
    after walking the ``(name, id)`` index to the page, and the list's count is a plain count of customers
    instead of a count over all customers grouped with their statements.
    """
    latest = (FinancialStatement.objects.filter(customer=OuterRef("pk")).order_by("-period_end")
              .values("period_end")[:1])
    return (Customer.objects.visible_to(user)
            .select_related("relationship_manager", "group")
            .annotate(latest_period_end=Subquery(latest)))


def customers_of_group(group: CustomerGroup, user):
    return customer_list(user).filter(group=group)


def statements_table(customer: Customer, *, limit: int = 6):
    """The customer's statements, newest first, with ratios: ``[(statement, analysis)]``."""
    statements = list(FinancialStatement.objects.filter(customer=customer).order_by(
        "-period_end", "period_type", "-consolidated"))
    rows = [{f: getattr(s, f) for f in _STATEMENT_VALUE_FIELDS if f not in ("id", "customer_id")}
            | {"id": s.pk, "customer_id": s.customer_id} for s in statements]
    analysed = analyse_rows(rows)
    return [(s, analysed[s.pk]) for s in statements][: limit if limit else None]


def documents_of(customer: Customer):
    return CustomerDocument.objects.filter(customer=customer).select_related("uploaded_by")


def groups_with_counts(user):
    """The groups ``user`` may see with ``member_count``, the members ``user`` may see.

    The count is a correlated subquery, evaluated for the rows of the page only (after the ``(name)`` order and
    the cut), not an aggregate of every group joined with every customer: at a million customers that join
    grouped with an ``IN`` over the visible customers ran for minutes (the hash of a million ids exceeds
    ``work_mem``, so PostgreSQL probed the list per member row).
    """
    from django.db.models import Count, IntegerField
    from django.db.models.functions import Coalesce

    members = Customer.objects.visible_to(user).filter(group=OuterRef("pk")).order_by()
    member_count = members.values("group").annotate(n=Count("pk")).values("n")
    return (CustomerGroup.objects.visible_to(user).with_visible_parent(user)
            .annotate(member_count=Coalesce(Subquery(member_count, output_field=IntegerField()), 0)))


__all__ = [
    "latest_ratios_for", "latest_analysed", "stored_analysis", "ANALYSIS_VERSION", "credit_file_flags_for",
    "negative_records_for", "ratios_for_statements",
    "customer_list", "statements_table", "documents_of", "groups_with_counts",
]


def statement_comparison(customer: Customer, *, years: int = 3) -> dict | None:
    """The three-year view: the latest ``years`` annual statements on the basis of the newest (consolidated or
    parent-only), oldest first, and every line of the chart any of them has, in yuan, with the change from the
    year before (absolute and %). Subtotals left empty are computed from their lines. Two queries at most.
    ``{"statements": [...], "statements_by_section": [(statement key, section key, [row])]}``, a row being
    ``{"line", "cells": [{"value", "change", "change_pct"}]}``; ``None`` without annual statements."""
    from . import chart

    annual = list(FinancialStatement.objects.filter(customer=customer, period_type=PeriodType.ANNUAL)
                  .order_by("-period_end", "-consolidated")[: years * 2 + 2])
    if not annual:
        return None
    basis = annual[0].consolidated
    chosen = [s for s in annual if s.consolidated == basis][:years][::-1]
    values = [ratio_math.complete_subtotals(s.lines_in_yuan()) for s in chosen]
    sections = []
    for statement_key in chart.STATEMENTS:
        for section in chart.SECTIONS[statement_key]:
            rows = []
            for line in chart.lines_of(statement_key):
                if line.section != section or not any(line.code in v for v in values):
                    continue
                cells = []
                for index, v in enumerate(values):
                    value = v.get(line.code)
                    difference, share = (ratio_math.change(value, values[index - 1].get(line.code))
                                         if index else (None, None))
                    cells.append({"value": value, "change": difference, "change_pct": share})
                rows.append({"line": line, "cells": cells})
            if rows:
                sections.append((statement_key, section, rows))
    return {"statements": chosen, "sections": sections}


def peer_statistics(industry_section: str, size: str) -> dict:
    """The stored peers' quartiles of one industry section and size (one query):
    ``{"ratios": {key: {"p25", "median", "p75", "count"}}, "computed_on": date | None, "count": int}``."""
    from .models import PeerStatistic

    rows = list(PeerStatistic.objects.filter(industry_section=industry_section, size=size)
                .values("ratio", "p25", "median", "p75", "count", "computed_on"))
    return {"ratios": {r["ratio"]: r for r in rows},
            "computed_on": max((r["computed_on"] for r in rows), default=None),
            "count": max((r["count"] for r in rows), default=0)}
