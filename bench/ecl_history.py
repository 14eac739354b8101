"""Month-end aging snapshots for the ECL benchmark, loaded set-wise (one INSERT … SELECT per month end).

The scale portfolio (``demo/generator.py``) has ~18 months of invoices; the ECL benchmark needs 25 month ends
(24 monthly rolls). For each month end of the window that has no snapshot yet:

* a month end with receivables is rebuilt from the invoices, allocations and write-offs by the very statement
  ``provisions.services.snapshot_take`` reads (``provisions.selectors.aging_sql``), inserted with the customer's
  industry, letter grade and tier of that date in the same statement (no row passes through Python);
* a month end before the first invoice is a **replay**: the aging of the same calendar month a year later
  (12, 24 … months on, the first that has receivables) stands in for it, so the look-back has 24 rolls of the
  portfolio's own shape. Replayed snapshots say so in their ``totals`` (``"replay_of"``) and are benchmark data
  only: the demo and production take every month from its own receivables.

Then each snapshot's totals and SHA-256 are computed as ``snapshot_take`` records them (``snapshot_digest``), so
``snapshot_verify`` holds. Snapshots that exist are kept (never dropped or retaken). Idempotent.
"""
from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

from django.db import connection, transaction


def _add_months(day: dt.date, months: int) -> dt.date:
    from provisions.selectors import month_end

    index = day.year * 12 + day.month - 1 + months
    return month_end(dt.date(index // 12, index % 12 + 1, 1))


def _insert_lines(snapshot_id: int, period: dt.date, source: dt.date) -> int:
    """INSERT … SELECT the lines of ``source``'s aging (with the facts of ``source``) under ``snapshot_id``."""
    from monitoring.models import AssetClassification
    from provisions import selectors
    from provisions.models import AgingSnapshotLine
    from ratings.models import Rating, RatingState
    from collection.models import Payment
    from creditportal.core.money import RateTable
    from collection.selectors import rates_to_reporting
    from customers.models import Customer

    aging, params = selectors.aging_sql(source)
    keys = [*selectors.BUCKETS, *selectors.SPLIT_BANDS]
    rounded = ", ".join(f'ROUND(a."{k}", 2)' for k in keys)
    rates, _missing = rates_to_reporting(RateTable(source))
    recovered_case, recovered_params = selectors._rate_case(rates, "p.currency")
    columns = ", ".join(f'"{c}"' for c in ["snapshot_id", "customer_id", "industry_section", "letter", "tier", *keys,
                                             "gross", "written_off", "recovered", "new_loss"])
    sql = (
        f"INSERT INTO {AgingSnapshotLine._meta.db_table} ({columns}) "
        f"SELECT %s, a.customer_id, COALESCE(cu.industry_section, ''), COALESCE(r.letter, ''), COALESCE(t.tier, ''), "
        f"{rounded}, ROUND(a.gross, 2), ROUND(a.written, 2), COALESCE(ROUND(rec.amount, 2), 0), "
        f"ROUND(a.passed_360, 2) + ROUND(a.written, 2) "
        f"FROM ({aging}) a JOIN {Customer._meta.db_table} cu ON cu.id = a.customer_id "
        f"LEFT JOIN LATERAL (SELECT x.letter FROM {Rating._meta.db_table} x WHERE x.customer_id = a.customer_id "
        f"AND x.approved_on <= %s AND x.state IN (%s, %s) ORDER BY x.approved_on DESC, x.id DESC LIMIT 1) r ON TRUE "
        f"LEFT JOIN {AssetClassification._meta.db_table} t ON t.customer_id = a.customer_id AND t.period = %s "
        f"LEFT JOIN (SELECT p.customer_id, SUM(p.amount * ({recovered_case})) AS amount "
        f"FROM {Payment._meta.db_table} p WHERE p.is_recovery AND p.received_on > %s AND p.received_on <= %s "
        f"GROUP BY p.customer_id) rec ON rec.customer_id = a.customer_id "
        f"WHERE ROUND(a.gross, 2) > 0 OR ROUND(a.written, 2) > 0")
    with connection.cursor() as cursor:
        cursor.execute(sql, [snapshot_id, *params, source, RatingState.APPROVED, RatingState.SUPERSEDED, source,
                             *recovered_params, selectors.previous_month_end(source), source])
        return cursor.rowcount


def ensure_snapshots(actor, *, months: int, until: dt.date, log=print) -> dict:
    """The snapshots of the ``months`` month ends up to ``until`` (oldest first), loaded set-wise where missing."""
    from django.conf import settings
    from django.db.models import Count, Q, Sum

    from collection.models import Invoice
    from collection.selectors import rates_to_reporting
    from creditportal.core.money import RateTable
    from creditportal.core.canonical import jsonable
    from provisions import selectors, services
    from provisions.models import AgingSnapshot, AgingSnapshotLine

    periods = selectors.month_ends_back(until, months)
    existing = set(AgingSnapshot.objects.filter(period__in=periods).values_list("period", flat=True))
    first_issue = Invoice.objects.order_by("issue_date").values_list("issue_date", flat=True).first()
    if first_issue is None:
        return {"loaded": 0, "replayed": 0, "existing": len(existing), "seconds": 0.0}
    loaded = replayed = 0
    started = time.perf_counter()
    for period in periods:
        if period in existing:
            continue
        source = period
        while source < first_issue and source < until:
            source = _add_months(source, 12)
        t0 = time.perf_counter()
        with transaction.atomic():
            snapshot = AgingSnapshot.objects.create(
                period=period, previous_period=selectors.previous_month_end(period),
                currency=settings.REPORTING_CURRENCY, sha256="", taken_by=actor)
            count = _insert_lines(snapshot.pk, period, source)
            keys = [*selectors.BUCKETS, "gross", "written_off", "recovered", "new_loss"]
            totals = AgingSnapshotLine.objects.filter(snapshot=snapshot).aggregate(
                **{f"sum_{k}": Sum(k) for k in keys}, customers=Count("id", filter=Q(gross__gt=0)))
            customers = totals.pop("customers")
            summary = {k: totals[f"sum_{k}"] if totals[f"sum_{k}"] is not None else Decimal("0") for k in keys}
            summary["missing_rates"] = rates_to_reporting(RateTable(source))[1]
            if source != period:
                summary["replay_of"] = source
            AgingSnapshot.objects.filter(pk=snapshot.pk).update(
                totals=jsonable(summary), total_gross=summary["gross"], customer_count=customers,
                segment_totals=selectors.snapshot_segment_totals(snapshot.pk))
            snapshot.refresh_from_db()
            AgingSnapshot.objects.filter(pk=snapshot.pk).update(sha256=services.snapshot_digest(snapshot))
        loaded += 1
        replayed += source != period
        log(f"  snapshot {period:%Y-%m}{f' (replay of {source:%Y-%m})' if source != period else ''}: "
            f"{count:,} lines, {time.perf_counter() - t0:.1f} s")
    if loaded:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {AgingSnapshotLine._meta.db_table}")
    return {"loaded": loaded, "replayed": replayed, "existing": len(existing),
            "seconds": round(time.perf_counter() - started, 1)}
