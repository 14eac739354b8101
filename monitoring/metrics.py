"""The metrics that warning rules compare, computed set-wise for a chunk of customers.

Each metric function takes ``(chunk, rule)`` (an ``EvaluationContext`` and the rule) and returns
``{customer_id: (value, detail)}`` for the chunk's customers (``value`` is a ``Decimal`` or ``None`` when
not available). Every function issues a constant number of queries whatever the chunk's size; facts
shared by several metrics (days past due, the statements, the ratings) are loaded once per chunk and
cached on the context.

The lower apps are read through their models and selectors (monitoring sits above all four).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from functools import cached_property

from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncDate

from creditportal.core.money import MissingRate, RateTable

from . import rules
from .models import Metric

ZERO = Decimal("0")
DEFAULT_GRADES = ["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", "D"]


def grade_order() -> list[str]:
    """The master scale's grades, strongest first (one query), or the default scale."""
    try:
        from ratings.models import ScaleGrade

        codes = list(ScaleGrade.objects.filter(scale__is_master=True).order_by("position")
                     .values_list("code", flat=True))
    except Exception:  # pragma: no cover - ratings not installed
        codes = []
    return codes or list(DEFAULT_GRADES)


class EvaluationContext:
    """One chunk of customers on one business date, with the facts its metrics share (loaded lazily)."""

    def __init__(self, customer_ids, on_date: dt.date, *, table: RateTable | None = None, grades=None):
        self.ids = sorted(set(customer_ids))
        self.on_date = on_date
        self.table = table or RateTable(on_date)
        self._grades = grades

    @cached_property
    def grades(self) -> list[str]:
        return self._grades or grade_order()

    def convert(self, amount, currency):
        try:
            return self.table.convert(amount, currency)
        except MissingRate:
            return None

    # --- shared facts -----------------------------------------------------------------------------

    @cached_property
    def oldest_overdue(self) -> dict[int, dt.date]:
        """{customer_id: due date of the oldest open invoice past due} (collection's one definition)."""
        from collection.selectors import oldest_overdue

        return oldest_overdue(self.ids, self.on_date)

    @cached_property
    def receivables(self) -> dict[int, Decimal]:
        """{customer_id: outstanding open invoices in the reporting currency} (one query,
        ``collection.selectors.open_amounts_by_customer``, collection's one definition)."""
        from collection.selectors import open_amounts_by_customer

        result = defaultdict(lambda: ZERO)
        for customer_id, amounts in open_amounts_by_customer(self.ids).items():
            for total, currency in amounts:
                amount = self.convert(total or ZERO, currency)
                if amount is not None:
                    result[customer_id] += amount
        return result

    def days_past_due(self, customer_id) -> int:
        from collection.rules import debtor_days_past_due

        return debtor_days_past_due(self.oldest_overdue.get(customer_id), self.on_date)

    @cached_property
    def ratings(self) -> dict[int, dict]:
        """{customer_id: {"current": row | None, "previous": row | None, "open": [rows]}} (one query)."""
        from ratings.models import Rating, RatingState

        result = defaultdict(lambda: {"current": None, "previous": None, "open": []})
        rows = (Rating.objects.filter(customer_id__in=self.ids, state__in=[
            RatingState.APPROVED, RatingState.SUPERSEDED, RatingState.PROPOSED, RatingState.DRAFT,
            RatingState.SUBMITTED])
            .order_by("customer_id", "-approved_at", "-id")
            .values("id", "customer_id", "state", "grade", "approved_on", "approved_at", "review_due"))
        for row in rows:
            entry = result[row["customer_id"]]
            if row["state"] == RatingState.APPROVED:
                entry["current"] = row
            elif row["state"] == RatingState.SUPERSEDED:
                if entry["previous"] is None:
                    entry["previous"] = row
            elif row["state"] in (RatingState.PROPOSED, RatingState.SUBMITTED):
                entry["open"].append(row)
        return result

    @cached_property
    def statements(self) -> dict[int, list[dict]]:
        """{customer_id: statement rows newest first (annual before interim, consolidated first)}."""
        from customers.models import LINE_ITEMS, FinancialStatement, PeriodType

        rows = list(FinancialStatement.objects.filter(customer_id__in=self.ids)
                    .values("id", "customer_id", "period_end", "period_type", "consolidated", "unit", *LINE_ITEMS))
        by_customer = defaultdict(list)
        for row in rows:
            unit = int(row["unit"])
            row["values"] = {k: (row[k] * unit if row[k] is not None else None) for k in LINE_ITEMS}
            by_customer[row["customer_id"]].append(row)
        for customer_rows in by_customer.values():
            customer_rows.sort(key=lambda r: (-r["period_end"].toordinal(), r["period_type"] != PeriodType.ANNUAL,
                                              not r["consolidated"]))
        return by_customer

    def latest_and_previous(self, customer_id, *, annual_only=False):
        from customers.models import PeriodType
        from customers.rules import is_previous_period

        rows = self.statements.get(customer_id) or []
        if annual_only:
            rows = [r for r in rows if r["period_type"] == PeriodType.ANNUAL]
        if not rows:
            return None, None
        latest = rows[0]
        for other in rows[1:]:
            if (other["period_type"] == latest["period_type"] and other["consolidated"] == latest["consolidated"]
                    and is_previous_period(latest["period_end"], other["period_end"])):
                return latest, other
        return latest, None

    @cached_property
    def open_facilities(self) -> list:
        from credit.models import Facility

        return list(Facility.objects.filter(customer_id__in=self.ids,
                                            status__in=[Facility.Status.ACTIVE, Facility.Status.SUSPENDED])
                    .only("id", "customer_id", "status", "limit", "currency", "expiry_date", "application_id",
                          "start_date"))

    @cached_property
    def applications(self) -> dict[int, dict]:
        """{application_id: {"policy_id", "rating_grade"}} of the open facilities (one query)."""
        from credit.models import CreditApplication

        ids = [f.application_id for f in self.open_facilities if f.application_id]
        if not ids:
            return {}
        return {row["id"]: row for row in CreditApplication.objects.filter(pk__in=ids)
                .values("id", "policy_id", "rating_grade")}

    @cached_property
    def order_volumes(self) -> dict[int, dict[int, Decimal]]:
        """{customer_id: {period index: order amount (reporting currency)}} over the last periods (one query).

        Needs ``self.order_window`` and ``self.order_periods`` set by the metric."""
        from credit.models import Order

        window, periods = self.order_window
        start = self.on_date - dt.timedelta(days=window * (periods + 1) - 1)
        rows = (Order.objects.filter(facility__customer_id__in=self.ids, created_at__date__gte=start,
                                     created_at__date__lte=self.on_date)
                .exclude(status=Order.Status.CANCELLED)
                .annotate(day=TruncDate("created_at"))
                .values("facility__customer_id", "currency", "day").annotate(total=Sum("amount")))
        result = defaultdict(lambda: defaultdict(lambda: ZERO))
        for row in rows:
            index = (self.on_date - row["day"]).days // window
            amount = self.convert(row["total"], row["currency"])
            if amount is not None and 0 <= index <= periods:
                result[row["facility__customer_id"]][index] += amount
        return result

    order_window = (30, 6)


# --- Metric functions -----------------------------------------------------------------------------

def overdue_days(ctx: EvaluationContext, rule):
    return {cid: (Decimal(ctx.days_past_due(cid)),
                  {"oldest_due_date": ctx.oldest_overdue.get(cid)}) for cid in ctx.ids}


def utilisation(ctx: EvaluationContext, rule):
    """(open receivables + reserved orders) / active limits, all in the reporting currency (2 queries)."""
    from credit.models import Facility, Order

    limits, usage = defaultdict(lambda: ZERO), defaultdict(lambda: ZERO)
    for facility in ctx.open_facilities:
        if facility.status == Facility.Status.ACTIVE:
            limit = ctx.convert(facility.limit, facility.currency)
            if limit is not None:
                limits[facility.customer_id] += limit
    for cid, amount in ctx.receivables.items():
        usage[cid] += amount
    rows = (Order.objects.filter(facility__customer_id__in=ctx.ids, status=Order.Status.RESERVED)
            .values("facility__customer_id", "currency").annotate(total=Sum("amount")))
    for row in rows:
        amount = ctx.convert(row["total"], row["currency"])
        if amount is not None:
            usage[row["facility__customer_id"]] += amount
    result = {}
    for cid in ctx.ids:
        if limits.get(cid):
            share = (usage[cid] / limits[cid]).quantize(rules.RATIO_EXP)
            result[cid] = (share, {"used": usage[cid], "limit": limits[cid]})
        else:
            result[cid] = (None, {})
    return result


def downgrade_notches(ctx: EvaluationContext, rule):
    result = {}
    since = ctx.on_date - dt.timedelta(days=rule.window_days) if rule.window_days else None
    for cid in ctx.ids:
        entry = ctx.ratings.get(cid)
        value, detail = None, {}
        if entry and entry["current"] and entry["previous"]:
            current, previous = entry["current"], entry["previous"]
            approved_on = current["approved_on"] or (current["approved_at"].date() if current["approved_at"] else None)
            if since is None or (approved_on and approved_on >= since):
                value = rules.notches(previous["grade"], current["grade"], ctx.grades)
                detail = {"from": previous["grade"], "to": current["grade"], "rating_id": current["id"],
                          "approved_on": approved_on}
        result[cid] = (Decimal(value) if value is not None else None, detail)
    return result


def downgrade_proposed(ctx: EvaluationContext, rule):
    result = {}
    for cid in ctx.ids:
        entry = ctx.ratings.get(cid)
        value, detail = None, {}
        if entry and entry["current"] and entry["open"]:
            current = entry["current"]["grade"]
            moves = [(rules.notches(current, r["grade"], ctx.grades), r) for r in entry["open"]]
            moves = [(n, r) for n, r in moves if n is not None]
            if moves:
                n, row = max(moves, key=lambda m: m[0])
                value = Decimal(n)
                detail = {"from": current, "to": row["grade"], "rating_id": row["id"], "state": row["state"]}
        result[cid] = (value, detail)
    return result


def current_ratio_change(ctx: EvaluationContext, rule):
    from customers.rules import compute_ratios

    result = {}
    for cid in ctx.ids:
        latest, previous = ctx.latest_and_previous(cid, annual_only=True)
        value, detail = None, {}
        if latest and previous:
            now = compute_ratios(latest["values"])["current_ratio"]
            before = compute_ratios(previous["values"])["current_ratio"]
            value = rules.relative_change(now, before)
            detail = {"current_ratio": now, "previous_current_ratio": before, "period_end": latest["period_end"],
                      "previous_period_end": previous["period_end"], "statement_id": latest["id"]}
        result[cid] = (value, detail)
    return result


def equity(ctx: EvaluationContext, rule):
    result = {}
    for cid in ctx.ids:
        latest, _previous = ctx.latest_and_previous(cid)
        if latest and latest["values"]["equity"] is not None:
            result[cid] = (latest["values"]["equity"], {"period_end": latest["period_end"],
                                                        "statement_id": latest["id"]})
        else:
            result[cid] = (None, {})
    return result


def loss_after_profit(ctx: EvaluationContext, rule):
    result = {}
    for cid in ctx.ids:
        latest, previous = ctx.latest_and_previous(cid, annual_only=True)
        value, detail = None, {}
        if latest and previous:
            now, before = latest["values"]["net_profit"], previous["values"]["net_profit"]
            if now is not None and before is not None:
                value = Decimal(1) if (before > 0 and now < 0) else ZERO
                detail = {"net_profit": now, "previous_net_profit": before, "period_end": latest["period_end"]}
        result[cid] = (value, detail)
    return result


def _order_z(ctx: EvaluationContext, rule):
    ctx.order_window = (max(rule.window_days, 1), max(rule.periods, 2))
    ctx.__dict__.pop("order_volumes", None)  # depends on the rule's window
    volumes = ctx.order_volumes
    result = {}
    for cid in ctx.ids:
        current, history = rules.volume_series(volumes.get(cid, {}), ctx.order_window[1])
        z = rules.z_score(current, history) if any(history) or current else None
        mean = sum(history, ZERO) / len(history) if history else ZERO
        result[cid] = (z, {"volume": current, "trailing_average": mean.quantize(rules.CENT)})
    return result


def order_volume_z(ctx: EvaluationContext, rule):
    return {cid: (abs(z) if z is not None else None, detail) for cid, (z, detail) in _order_z(ctx, rule).items()}


def large_orders_late(ctx: EvaluationContext, rule):
    result = {}
    for cid, (z, detail) in _order_z(ctx, rule).items():
        days = ctx.days_past_due(cid)
        value = z if (z is not None and days > 0) else (ZERO if z is not None else None)
        result[cid] = (value, {**detail, "z_score": z, "days_past_due": days})
    return result


def negative_records(ctx: EvaluationContext, rule):
    from customers.models import NegativeRecord

    since = ctx.on_date - dt.timedelta(days=max(rule.window_days, 1) - 1)
    rows = (NegativeRecord.objects.filter(customer_id__in=ctx.ids, occurred_on__gte=since,
                                          occurred_on__lte=ctx.on_date)
            .values("customer_id").annotate(n=Count("id"), latest=Max("occurred_on")))
    found = {r["customer_id"]: r for r in rows}
    return {cid: (Decimal(found[cid]["n"]) if cid in found else ZERO,
                  {"latest": found[cid]["latest"]} if cid in found else {}) for cid in ctx.ids}


def review_overdue_days(ctx: EvaluationContext, rule):
    result = {}
    for cid in ctx.ids:
        entry = ctx.ratings.get(cid)
        current = entry["current"] if entry else None
        if current and current["review_due"]:
            days = (ctx.on_date - current["review_due"]).days
            result[cid] = (Decimal(max(days, 0)), {"review_due": current["review_due"], "rating_id": current["id"]})
        else:
            result[cid] = (None, {})
    return result


def facility_expiry_days(ctx: EvaluationContext, rule):
    from credit.models import Facility

    soonest = {}
    for facility in ctx.open_facilities:
        if facility.status != Facility.Status.ACTIVE:
            continue
        days = (facility.expiry_date - ctx.on_date).days
        if facility.customer_id not in soonest or days < soonest[facility.customer_id][0]:
            soonest[facility.customer_id] = (days, facility)
    return {cid: ((Decimal(soonest[cid][0]), {"facility_id": soonest[cid][1].pk,
                                              "expiry_date": soonest[cid][1].expiry_date})
                  if cid in soonest else (None, {})) for cid in ctx.ids}


def covenant_breaches(ctx: EvaluationContext, rule):
    from credit.models import CovenantBreach

    since = ctx.on_date - dt.timedelta(days=max(rule.window_days, 1) - 1)
    rows = (CovenantBreach.objects.filter(customer_id__in=ctx.ids, tested_on__gte=since, tested_on__lte=ctx.on_date)
            .values("customer_id").annotate(n=Count("id"), latest=Max("tested_on")))
    found = {r["customer_id"]: r for r in rows}
    return {cid: (Decimal(found[cid]["n"]) if cid in found else ZERO,
                  {"latest": found[cid]["latest"]} if cid in found else {}) for cid in ctx.ids}


def _collateral_rows(ctx):
    from credit.models import Collateral

    app_ids = [f.application_id for f in ctx.open_facilities if f.application_id]
    if not app_ids:
        return []
    return list(Collateral.objects.filter(application_id__in=app_ids)
                .values("id", "application_id", "market_value", "currency", "haircut", "revaluation_due"))


def collateral_coverage_gap(ctx: EvaluationContext, rule):
    """Required coverage − actual coverage of each open facility (the worst per customer), with credit's one
    coverage definition: lendable collateral plus guarantees at face × the guarantor's recovery factor over the
    limit (``credit.security.security_by_application``, ``credit.rules.coverage_ratio``)."""
    from credit.models import PolicyGradeRule
    from credit.rules import coverage_ratio, secured_value
    from credit.security import security_by_application

    facilities = [f for f in ctx.open_facilities if f.application_id]
    apps = ctx.applications
    collateral, guarantees = defaultdict(list), defaultdict(list)
    items = security_by_application([f.application_id for f in facilities], on_date=ctx.on_date)
    for application_id, counted in items.items():
        for item in counted:
            value = ctx.convert(item.counted, item.currency)
            if value is not None:
                (collateral if item.kind == "collateral" else guarantees)[application_id].append(value)
    key_of = {f.pk: (apps.get(f.application_id, {}).get("policy_id"), apps.get(f.application_id, {})
                     .get("rating_grade")) for f in facilities}
    wanted = {key for key in key_of.values() if key[0]}
    required = {}
    if wanted:
        q = Q(pk__in=[])
        for policy_id, grade in wanted:
            q |= Q(policy_id=policy_id, grade=grade)
        required = {(r.policy_id, r.grade): r.min_coverage for r in PolicyGradeRule.objects.filter(q)}
    worst = {}
    for facility in facilities:
        need = required.get(key_of[facility.pk])
        limit = ctx.convert(facility.limit, facility.currency)
        if not need or not limit:
            continue
        secured = secured_value(collateral[facility.application_id], guarantees[facility.application_id])
        coverage = coverage_ratio(secured, limit)
        gap = (Decimal(need) - coverage).quantize(rules.RATIO_EXP)
        if facility.customer_id not in worst or gap > worst[facility.customer_id][0]:
            worst[facility.customer_id] = (gap, {"facility_id": facility.pk, "coverage": coverage,
                                                 "required": Decimal(need)})
    return {cid: worst.get(cid, (None, {})) for cid in ctx.ids}


def revaluation_overdue_days(ctx: EvaluationContext, rule):
    customer_of = {f.application_id: f.customer_id for f in ctx.open_facilities if f.application_id}
    worst = {}
    for row in _collateral_rows(ctx):
        days = (ctx.on_date - row["revaluation_due"]).days
        cid = customer_of.get(row["application_id"])
        if cid is not None and (cid not in worst or days > worst[cid][0]):
            worst[cid] = (days, {"collateral_id": row["id"], "revaluation_due": row["revaluation_due"]})
    return {cid: ((Decimal(max(worst[cid][0], 0)), worst[cid][1]) if cid in worst else (None, {}))
            for cid in ctx.ids}


def revaluation_due_days(ctx: EvaluationContext, rule):
    """Days until the soonest revaluation not yet overdue of an open facility's collateral (0 on its day; the
    overdue ones are ``revaluation_overdue_days``'); None without one."""
    customer_of = {f.application_id: f.customer_id for f in ctx.open_facilities if f.application_id}
    soonest = {}
    for row in _collateral_rows(ctx):
        days = (row["revaluation_due"] - ctx.on_date).days
        cid = customer_of.get(row["application_id"])
        if cid is not None and days >= 0 and (cid not in soonest or days < soonest[cid][0]):
            soonest[cid] = (days, {"collateral_id": row["id"], "revaluation_due": row["revaluation_due"]})
    return {cid: ((Decimal(soonest[cid][0]), soonest[cid][1]) if cid in soonest else (None, {}))
            for cid in ctx.ids}


def expired_documents(ctx: EvaluationContext, rule):
    """Document types whose newest expiry date has passed (a renewed document replaces the old one)."""
    from customers.models import CustomerDocument

    rows = (CustomerDocument.objects.filter(customer_id__in=ctx.ids, expires_on__isnull=False)
            .values("customer_id", "doc_type").annotate(latest=Max("expires_on")))
    expired = defaultdict(list)
    for row in rows:
        if row["latest"] < ctx.on_date:
            expired[row["customer_id"]].append(row["doc_type"])
    return {cid: (Decimal(len(expired.get(cid, []))), {"doc_types": sorted(expired.get(cid, []))})
            for cid in ctx.ids}



# --- issue 23: under-used limits and a sharp change of the payment pattern -------------------------------------------

def limit_usage_average(ctx: EvaluationContext, rule):
    """The average of the customer's month-end usage (open invoices at each of the last ``periods`` month ends:
    issued by then, less what was paid by then) over the active limits it has held since the first of those month
    ends (a newer limit is not yet judged), reporting currency (3 queries; the receivables' history is
    ``collection.selectors.open_amounts_at``, its one reading). ``monitoring.rules.average_usage``."""
    from collection.selectors import open_amounts_at
    from credit.models import Facility

    ends = rules.trailing_month_ends(ctx.on_date, max(rule.periods, 1))
    limits = defaultdict(lambda: ZERO)
    for facility in ctx.open_facilities:
        if facility.status == Facility.Status.ACTIVE and facility.start_date <= ends[0]:
            amount = ctx.convert(facility.limit, facility.currency)
            if amount is not None:
                limits[facility.customer_id] += amount
    ids = [cid for cid in ctx.ids if limits.get(cid)]
    usage = defaultdict(lambda: [ZERO] * len(ends))
    for cid, by_currency in open_amounts_at(ids, ends).items():
        for currency, amounts in by_currency.items():
            for i, amount in enumerate(amounts):
                converted = ctx.convert(amount, currency)
                if converted is not None:
                    usage[cid][i] += converted
    result = {}
    for cid in ctx.ids:
        limit = limits.get(cid)
        value = rules.average_usage(usage[cid], limit) if limit else None
        detail = {"limit": limit, "month_ends": ends, "usage": [u.quantize(rules.CENT) for u in usage[cid]]} \
            if limit else {}
        result[cid] = (value, detail)
    return result


def payment_pattern_change(ctx: EvaluationContext, rule):
    """How sharply the customer's payment timing changed: the amount-weighted mean days paid after the due date
    (early payment negative) of invoices paid in full in the last ``window_days``, against the ``periods`` windows
    before (e.g. 90 days against the 360 before), as the absolute change in days; the detail keeps both means and
    the signed shift (``collection.rules.payment_pattern_shift``). One query."""
    from collection.models import Invoice
    from collection.rules import payment_pattern_shift

    window = max(rule.window_days, 1)
    split = ctx.on_date - dt.timedelta(days=window)
    start = ctx.on_date - dt.timedelta(days=window * (max(rule.periods, 1) + 1))
    recent, before = defaultdict(list), defaultdict(list)
    rows = (Invoice.objects.filter(customer_id__in=ctx.ids, paid_on__gt=start, paid_on__lte=ctx.on_date)
            .values_list("customer_id", "due_date", "paid_on", "amount", "currency"))
    for cid, due, paid_on, amount, currency in rows:
        weight = ctx.convert(amount, currency)
        if weight is None:
            continue
        (recent if paid_on > split else before)[cid].append(((paid_on - due).days, weight))
    result = {}
    for cid in ctx.ids:
        now, then, shift = payment_pattern_shift(recent.get(cid, []), before.get(cid, []))
        detail = {"recent_mean_days": now, "earlier_mean_days": then, "shift_days": shift,
                  "recent_invoices": len(recent.get(cid, [])), "earlier_invoices": len(before.get(cid, []))}
        result[cid] = (abs(shift) if shift is not None else None, detail)
    return result


def insurer_notice_days_left(ctx: EvaluationContext, rule):
    """Days left until the insurer's notification deadline (policy: N days past due) of the customer's nearest
    insured overdue invoice not yet notified (``insurance.selectors``; 0 on the last day and after it, the detail
    names the deadline);
    not available without one. A notification record clears it."""
    from insurance.selectors import notification_deadlines

    found = notification_deadlines(ctx.ids, ctx.on_date)
    return {cid: ((Decimal(found[cid][0]), found[cid][1]) if cid in found else (None, {})) for cid in ctx.ids}


def insurer_claim_days_left(ctx: EvaluationContext, rule):
    """Days left until the claim-filing deadline of the customer's nearest insured overdue invoice without a
    claim (``insurance.selectors``)."""
    from insurance.selectors import claim_deadlines

    found = claim_deadlines(ctx.ids, ctx.on_date)
    return {cid: ((Decimal(found[cid][0]), found[cid][1]) if cid in found else (None, {})) for cid in ctx.ids}


METRICS = {
    Metric.OVERDUE_DAYS: overdue_days,
    Metric.UTILISATION: utilisation,
    Metric.DOWNGRADE_NOTCHES: downgrade_notches,
    Metric.DOWNGRADE_PROPOSED: downgrade_proposed,
    Metric.CURRENT_RATIO_CHANGE: current_ratio_change,
    Metric.EQUITY: equity,
    Metric.LOSS_AFTER_PROFIT: loss_after_profit,
    Metric.ORDER_VOLUME_Z: order_volume_z,
    Metric.LARGE_ORDERS_LATE: large_orders_late,
    Metric.NEGATIVE_RECORDS: negative_records,
    Metric.REVIEW_OVERDUE_DAYS: review_overdue_days,
    Metric.FACILITY_EXPIRY_DAYS: facility_expiry_days,
    Metric.COVENANT_BREACHES: covenant_breaches,
    Metric.COLLATERAL_COVERAGE_GAP: collateral_coverage_gap,
    Metric.REVALUATION_OVERDUE_DAYS: revaluation_overdue_days,
    Metric.REVALUATION_DUE_DAYS: revaluation_due_days,
    Metric.EXPIRED_DOCUMENTS: expired_documents,
    Metric.LIMIT_USAGE_AVERAGE: limit_usage_average,
    Metric.PAYMENT_PATTERN_CHANGE: payment_pattern_change,
    Metric.INSURER_NOTICE_DAYS_LEFT: insurer_notice_days_left,
    Metric.INSURER_CLAIM_DAYS_LEFT: insurer_claim_days_left,
}


# Outside credit information (creditinfo): one metric per change kind, in a module of its own.
from .outside_metrics import METRICS as _OUTSIDE_METRICS  # noqa: E402

METRICS.update(_OUTSIDE_METRICS)


def compute(metric: str, ctx: EvaluationContext, rule) -> dict[int, tuple]:
    return METRICS[metric](ctx, rule)
