"""Reads of the ECL app: the month-end aging of a past date (set-wise SQL over collection's invoices and
payments), the bucket totals of the snapshots by segment, the five-tier provisions of a month, the pages'
lists (constant query counts).

The aging buckets are collection's (``collection.rules.BUCKETS`` / ``bucket_date_bounds``): never defined
again here. The roll-rate chain is those buckets with ``> 360`` as the loss bucket.
"""
from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

from django.db import connection
from django.db.models import Count, OuterRef, Subquery, Sum
from django.utils.translation import gettext_lazy

from collection import rules as aging
from collection.models import Invoice, Payment, PaymentAllocation, WriteOff, WriteOffItem, WriteOffState
from collection.selectors import AGING_BUCKET_LABELS, rates_to_reporting
from creditportal.core.canonical import jsonable
from creditportal.core.money import RateTable
from customers.models import Customer

from . import rules
from .models import (AgingSnapshot, AgingSnapshotLine, AssessmentEvidence, EclLine, EclRun, ImpairedAssessment,
                     RunState, ScenarioChange, ScenarioSet)

ZERO = Decimal("0")
BUCKETS = list(aging.BUCKET_KEYS)          # the matrix: every aging bucket
LOSS_BUCKET = BUCKETS[-1]                  # > 360 days: loss


def _bands() -> list[tuple[str, int | None, int, str]]:
    """The roll-rate chain's bands: collection's buckets, those wider than a month cut into 30-day slices
    (91–180 → 91–120, 121–150, 151–180; 181–360 → six), so that a balance moves one band a month and the
    monthly roll rates chain to loss; (key, first day, last day, the bucket it belongs to)."""
    bands = []
    for key, low, high in aging.BUCKETS:
        if high is None:
            continue  # > 360: the loss bucket
        if low is not None and high - low + 1 > 30:
            start = low
            while start <= high:
                end = min(start + 29, high)
                bands.append((f"d{start}_{end}", start, end, key))
                start = end + 1
        else:
            bands.append((key, low, high, key))
    return bands


BANDS = _bands()
BAND_KEYS = [key for key, *_rest in BANDS]
SPLIT_BANDS = [key for key, _low, _high, bucket in BANDS if key != bucket]   # stored beside the buckets
BANDS_OF = {bucket: [key for key, _l, _h, b in BANDS if b == bucket] for bucket in BUCKETS[:-1]}
CHAIN = [*BAND_KEYS, rules.LOSS]           # the roll-rate chain: current … 331–360 → loss
IMPAIRED_TIERS = ("substandard", "doubtful", "loss")
IMPAIRED_LETTER = "D"
INDIVIDUAL = "individual"

BUCKET_LABELS = {**AGING_BUCKET_LABELS, INDIVIDUAL: gettext_lazy("Assessed individually"),
                 rules.LOSS: gettext_lazy("Loss")}


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def previous_month_end(day: dt.date) -> dt.date:
    return day.replace(day=1) - dt.timedelta(days=1)


def month_ends_back(day: dt.date, count: int) -> list[dt.date]:
    """``count`` month ends up to ``day``'s month end, oldest first."""
    ends = [month_end(day)]
    while len(ends) < count:
        ends.append(previous_month_end(ends[-1]))
    return list(reversed(ends))


def has_invoices_by(day: dt.date) -> bool:
    return Invoice.objects.filter(issue_date__lte=day).exists()


# --- the aging of a past month end -----------------------------------------------------------------

def _rate_case(rates: dict, column: str) -> tuple[str, list]:
    if not rates:
        return "NULL", []
    sql = "CASE " + " ".join([f"WHEN {column} = %s THEN %s"] * len(rates)) + " END"
    return sql, [v for code, r in rates.items() for v in (code, r)]


def aging_sql(period: dt.date) -> tuple[str, list]:
    """The one statement of the open receivables at ``period`` per customer, in the reporting currency:
    (sql, params) selecting ``customer_id``, the buckets (``BUCKETS``), the split bands (``SPLIT_BANDS``), the
    gross, the month's write-offs and the month's flow past 360 days (unrounded sums). ``aging_at`` reads it;
    set-wise loaders (the benchmark's history) insert from it."""
    previous = previous_month_end(period)
    table = RateTable(period)
    rates, _missing = rates_to_reporting(table)
    days_in_month = (period - previous).days
    rate_sql, rate_params = _rate_case(rates, "s.currency")
    bucket_cols, bucket_params = [], []
    for key, _low, _high in aging.BUCKETS:
        earliest, latest = aging.bucket_date_bounds(key, period)
        cond = []
        if earliest is not None:
            cond.append("c.due_date >= %s")
            bucket_params.append(earliest)
        if latest is not None:
            cond.append("c.due_date <= %s")
            bucket_params.append(latest)
        bucket_cols.append(f"SUM(CASE WHEN {' AND '.join(cond) or '1=1'} THEN c.amount ELSE 0 END) AS \"{key}\"")
    for key, low, high, _bucket in BANDS:
        if key in SPLIT_BANDS:
            bucket_cols.append(f"SUM(CASE WHEN c.due_date >= %s AND c.due_date <= %s THEN c.amount ELSE 0 END) "
                               f"AS \"{key}\"")
            bucket_params += [period - dt.timedelta(days=high), period - dt.timedelta(days=low)]
    # passed 360 days within the month: 361 ≤ days past due at the month end ≤ 360 + days in the month
    loss_from = period - dt.timedelta(days=360 + days_in_month)
    loss_to = period - dt.timedelta(days=361)
    sql = (
        f"WITH alloc AS (SELECT a.invoice_id, SUM(a.amount) AS paid FROM {PaymentAllocation._meta.db_table} a "
        f"JOIN {Payment._meta.db_table} p ON p.id = a.payment_id WHERE p.received_on <= %s GROUP BY a.invoice_id), "
        f"wo AS (SELECT w.invoice_id, SUM(w.amount) AS total, "
        f"SUM(CASE WHEN o.decided_on > %s THEN w.amount ELSE 0 END) AS in_month "
        f"FROM {WriteOffItem._meta.db_table} w JOIN {WriteOff._meta.db_table} o ON o.id = w.write_off_id "
        f"WHERE o.state = %s AND o.decided_on <= %s GROUP BY w.invoice_id), "
        f"s AS (SELECT i.customer_id, i.due_date, i.currency, "
        f"i.amount - COALESCE(alloc.paid, 0) - COALESCE(wo.total, 0) AS outstanding, "
        f"COALESCE(wo.in_month, 0) AS written FROM {Invoice._meta.db_table} i "
        f"LEFT JOIN alloc ON alloc.invoice_id = i.id LEFT JOIN wo ON wo.invoice_id = i.id "
        f"WHERE i.issue_date <= %s), "
        f"c AS (SELECT s.customer_id, s.due_date, s.outstanding * ({rate_sql}) AS amount, "
        f"s.written * ({rate_sql}) AS written FROM s WHERE s.outstanding <> 0 OR s.written <> 0) "
        f"SELECT c.customer_id, {', '.join(bucket_cols)}, SUM(c.amount) AS gross, SUM(c.written) AS written, "
        f"SUM(CASE WHEN c.due_date >= %s AND c.due_date <= %s THEN c.amount ELSE 0 END) AS passed_360 "
        f"FROM c GROUP BY c.customer_id")
    params = [period, previous, WriteOffState.APPROVED, period, period, *rate_params, *rate_params,
              *bucket_params, loss_from, loss_to]
    return sql, params


def aging_at(period: dt.date) -> tuple[list[dict], list[str]]:
    """Open receivables at ``period`` per customer and bucket, in the reporting currency, with the month's
    write-offs, the month's flow into loss and the month's recoveries: (rows, currencies without a rate).

    What was open on that date is rebuilt from the invoices, the allocations of payments received by then
    and the approved write-offs decided by then, so a snapshot taken late shows the month end as it was.
    One statement for the balances (``aging_sql``), one for the recoveries."""
    previous = previous_month_end(period)
    rates, missing = rates_to_reporting(RateTable(period))
    sql, params = aging_sql(period)
    sql += " ORDER BY c.customer_id"
    rows = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for values in cursor.fetchall():
            customer_id, *amounts = values
            amounts = [rules.cents(Decimal(v or 0)) for v in amounts]
            keys = [*BUCKETS, *SPLIT_BANDS]
            row = dict(zip(keys, amounts[:len(keys)]))
            row["gross"], row["written_off"], row["new_loss"] = amounts[len(keys):]
            row["new_loss"] += row["written_off"]
            row["recovered"] = ZERO
            if row["gross"] > 0 or row["written_off"] > 0:
                rows[customer_id] = row
    recovered_case, recovered_params = _rate_case(rates, "currency")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT customer_id, SUM(amount * ({recovered_case})) FROM {Payment._meta.db_table} "
                       f"WHERE is_recovery = %s AND received_on > %s AND received_on <= %s GROUP BY customer_id",
                       [*recovered_params, True, previous, period])
        for customer_id, amount in cursor.fetchall():
            if amount:
                row = rows.setdefault(customer_id, {**dict.fromkeys([*BUCKETS, *SPLIT_BANDS], ZERO), "gross": ZERO,
                                                    "written_off": ZERO, "new_loss": ZERO})
                row["recovered"] = rules.cents(Decimal(amount))
    return [{"customer_id": cid, **row} for cid, row in sorted(rows.items())], missing


def customer_facts(customer_ids, period: dt.date) -> dict[int, tuple[str, str, str]]:
    """(industry section, letter grade, tier) of each customer at ``period`` (one query per 5,000)."""
    from monitoring.models import AssetClassification
    from ratings.models import Rating, RatingState

    letter = Subquery(Rating.objects.filter(customer=OuterRef("pk"), approved_on__lte=period,
                                            state__in=[RatingState.APPROVED, RatingState.SUPERSEDED])
                      .order_by("-approved_on", "-id").values("letter")[:1])
    tier = Subquery(AssetClassification.objects.filter(customer=OuterRef("pk"), period=period).values("tier")[:1])
    ids = list(customer_ids)
    facts = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        for pk, section, grade, tier_value in (Customer.objects.filter(pk__in=chunk)
                                               .annotate(grade_letter=letter, tier_value=tier)
                                               .values_list("pk", "industry_section", "grade_letter", "tier_value")):
            facts[pk] = (section or "", grade_letter_or_blank(grade), tier_value or "")
    return facts


def grade_letter_or_blank(value) -> str:
    return value or ""


# --- snapshots as the rules read them --------------------------------------------------------------

def consecutive_snapshots(period: dt.date) -> list[AgingSnapshot]:
    """The snapshots of consecutive month ends ending at ``period`` (oldest first; one query)."""
    snapshots = list(AgingSnapshot.objects.filter(period__lte=period).order_by("-period")
                     .only("id", "period", "previous_period"))
    chain = []
    for snap in snapshots:
        if chain and chain[-1].previous_period != snap.period:
            break
        if not chain and snap.period != period:
            break
        chain.append(snap)
    return list(reversed(chain))


def segment_field(segment_by: str) -> str | None:
    return {"industry": "industry_section", "grade": "letter"}.get(segment_by)


def segment_key(line_values: dict, segment_by: str) -> str:
    field = segment_field(segment_by)
    if field is None:
        return "book"
    return line_values.get(field) or "-"


SEGMENT_BYS = ("industry", "grade")


def snapshot_segment_totals(snapshot_id: int) -> dict:
    """The roll-rate inputs of one snapshot, summed from its lines (one GROUP BY per segmentation):
    ``{"book": {band: total, "loss": flow}, "industry": {section: {...}}, "grade": {letter: {...}}}`` as JSON
    (amounts as strings). Stored on the snapshot when it is taken (``AgingSnapshot.segment_totals``), so a run
    reads 25 rows instead of summing every line of 25 month ends again."""
    keys = [*BUCKETS, *SPLIT_BANDS]
    sums = {f"sum_{b}": Sum(b) for b in keys}
    result = {"book": {k: ZERO for k in [*keys, rules.LOSS]}, "industry": {}, "grade": {}}
    for segment_by in SEGMENT_BYS:
        field = segment_field(segment_by)
        rows = (AgingSnapshotLine.objects.filter(snapshot_id=snapshot_id).order_by().values(field)
                .annotate(**sums, sum_loss=Sum("new_loss")))
        for row in rows:
            totals = {b: row[f"sum_{b}"] or ZERO for b in keys}
            totals[rules.LOSS] = row["sum_loss"] or ZERO
            segment = result[segment_by].setdefault(row[field] or "-", {k: ZERO for k in totals})
            for k, v in totals.items():
                segment[k] += v
                if segment_by == SEGMENT_BYS[0]:
                    result["book"][k] += v
    return jsonable(result)


def _decimals(totals: dict) -> dict:
    return {k: Decimal(v) for k, v in totals.items()}


def bucket_history(snapshot_ids: list[int], segment_by: str) -> dict[str, dict]:
    """{segment: {period: {bucket or band: total, loss: flow}}} over the snapshots, book included: read from the
    totals each snapshot stored when it was taken (one query); summed from the lines for a snapshot without
    them (one more query)."""
    field = segment_field(segment_by)
    history: dict[str, dict] = {"book": {}}
    missing = []
    for pk, period, stored in AgingSnapshot.objects.filter(pk__in=snapshot_ids).values_list(
            "pk", "period", "segment_totals"):
        if not stored:
            missing.append(pk)
            continue
        history["book"][period] = _decimals(stored["book"])
        if field:
            for segment, totals in stored[segment_by].items():
                history.setdefault(segment, {})[period] = _decimals(totals)
    if not missing:
        return history
    group = ["snapshot__period"] + ([field] if field else [])
    sums = {b: Sum(b) for b in [*BUCKETS, *SPLIT_BANDS]}
    rows = (AgingSnapshotLine.objects.filter(snapshot_id__in=missing).order_by().values(*group)
            .annotate(**sums, loss=Sum("new_loss")))
    for row in rows:
        period = row["snapshot__period"]
        totals = {b: row[b] or ZERO for b in [*BUCKETS, *SPLIT_BANDS]}
        totals[rules.LOSS] = row["loss"] or ZERO
        book = history["book"].setdefault(period, {k: ZERO for k in totals})
        for k, v in totals.items():
            book[k] += v
        if field:
            segment = history.setdefault(row[field] or "-", {}).setdefault(period, {k: ZERO for k in totals})
            for k, v in totals.items():
                segment[k] += v
    return history


def months_of(history_of_segment: dict, periods: list[dt.date]) -> list[dict]:
    """The segment's bucket totals in the order of ``periods`` (a month without balances: zeros)."""
    return [history_of_segment.get(p, {}) for p in periods]


# --- five tiers ------------------------------------------------------------------------------------

def five_tier_of(period: dt.date) -> dict:
    """Monitoring's provisions of the same month end: total and per customer (tier, provision)."""
    from monitoring.models import ProvisionLine, ProvisionRun

    run = ProvisionRun.objects.filter(period=period).first()
    if run is None:
        return {"run": None, "total": None, "customers": {}}
    customers = {cid: (tier, amount) for cid, tier, amount in
                 ProvisionLine.objects.filter(run=run).values_list("customer_id", "tier", "amount")}
    return {"run": run, "total": run.total_provision, "customers": customers}


# --- pages and API -------------------------------------------------------------------------------

def runs_for(user):
    return (EclRun.objects.visible_to(user).select_related("proposed_by", "approved_by", "locked_by", "snapshot",
                                                           "corrects")
            .defer("rates", "matrix", "movement", "comparison", "scenarios", "override"))


def snapshots_for(user):
    return AgingSnapshot.objects.visible_to(user).select_related("taken_by")


def scenario_sets_for(user):
    return ScenarioSet.objects.visible_to(user).select_related("proposed_by", "decided_by")


def scenario_changes_for(user):
    """Proposed scenario sets (the ``proposals`` app's changes of this kind), newest first."""
    return (ScenarioChange.objects.visible_to(user).select_related("proposed_by", "decided_by")
            .order_by("-proposed_at", "-pk"))


def evidence_for(user, assessment=None):
    """Evidence files of impaired assessments the user may see (the customer's portfolio scoping)."""
    if not user.has_perm("provisions.view_impairedassessment"):
        return AssessmentEvidence.objects.none()
    qs = AssessmentEvidence.objects.visible_to(user).select_related("uploaded_by")
    if assessment is not None:
        qs = qs.filter(assessment=assessment)
    return qs.order_by("-uploaded_at", "-pk")


def assessments_for(user):
    qs = ImpairedAssessment.objects.visible_to(user)
    if not user.has_perm("provisions.view_impairedassessment"):
        return qs.none()
    return (qs.select_related("customer", "created_by").annotate(evidence_count=Count("evidence_files"))
            .order_by("-period", "customer_id"))


def lines_for(user, run, *, impaired=None):
    qs = EclLine.objects.visible_to(user).filter(run=run).select_related("customer")
    if impaired is not None:
        qs = qs.filter(impaired=impaired)
    return qs.order_by("-allowance", "customer__name", "pk")


def active_scenarios() -> ScenarioSet | None:
    return ScenarioSet.objects.filter(state="active").first()


def current_run(period: dt.date) -> EclRun | None:
    """The run that stands for a month: the newest locked one, else the newest approved, else proposed."""
    for state in (RunState.LOCKED, RunState.APPROVED, RunState.PROPOSED):
        run = EclRun.objects.filter(period=period, state=state).order_by("-id").first()
        if run is not None:
            return run
    return None


def locked_run(period: dt.date) -> EclRun | None:
    return EclRun.objects.filter(period=period, state=RunState.LOCKED).order_by("-id").first()


def bucket_label(key: str) -> str:
    return str(BUCKET_LABELS.get(key, key))


def band_label(key: str) -> str:
    """A band's days as people read them (``d91_120`` → ``91–120``; the whole buckets keep their label)."""
    if key in BUCKET_LABELS:
        return str(BUCKET_LABELS[key])
    return key[1:].replace("_", "–")


def disclosure(run: EclRun) -> dict:
    """The two disclosure tables of a run (from what the run stored): the matrix and the movement."""
    matrix = run.matrix or {}
    rows = [{**row, "label": bucket_label(row["bucket"])} for row in matrix.get("rows", [])]
    movement = run.movement or {}
    movement_rows = [{"key": k, "label": str(MOVEMENT_LABELS[k]), "amount": movement.get(k, "0")}
                     for k in rules.MOVEMENT_KEYS]
    return {"run": run, "rows": rows, "total": matrix.get("total", {}), "movement": movement_rows,
            "currency": run.currency}


MOVEMENT_LABELS = {
    "opening": gettext_lazy("Loss allowance at the start of the month"),
    "new": gettext_lazy("New receivables"),
    "derecognised": gettext_lazy("Receivables derecognised (paid)"),
    "written_off": gettext_lazy("Amounts written off"),
    "recovered": gettext_lazy("Amounts recovered"),
    "remeasured": gettext_lazy("Net remeasurement of the loss allowance"),
    "closing": gettext_lazy("Loss allowance at the month end"),
}
