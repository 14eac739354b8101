"""Reads shared by the pages, the API and the tasks: scoped by ``visible_to(user)``, set-wise, and a
constant number of queries whatever the portfolio's size.

The dashboard aggregates in the database: amounts are converted into the reporting currency inside the
query (``converted``: a CASE over the currencies with the rates of one ``RateTable``), so each figure is
one grouped query.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import (BigIntegerField, Case, Count, DecimalField, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum, Value,
                              When)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.http import urlencode

from creditportal.core import clock
from creditportal.core.money import CURRENCY_CODES, MissingRate, RateTable
from customers.models import INDUSTRY_SECTION_CHOICES, Customer

from . import logic, metrics
from .models import (
    ACTIVE_ALERT_STATES, Alert, AssetClassification, ClassificationStatus, ProvisionLine, ProvisionRun, Severity,
    Tier, WarningRule, WatchlistEntry,
)

ZERO = Decimal("0")
AMOUNT = DecimalField(max_digits=24, decimal_places=2)
RATE = DecimalField(max_digits=24, decimal_places=10)


def _url(name, *args, **query):
    url = reverse(name, args=args)
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{url}?{urlencode(query)}" if query else url


# --- Alerts ------------------------------------------------------------------------------------------

ALERT_SORTS = {
    "raised": "raised_on", "-raised": "-raised_on", "severity": "severity_rank", "-severity": "-severity_rank",
    "customer": "customer__name", "-customer": "-customer__name", "rule": "rule__name", "-rule": "-rule__name",
    "status": "status", "-status": "-status",
}
SEVERITY_ORDER = Case(*[When(severity=s, then=Value(i)) for i, s in enumerate(Severity.values)], default=Value(0))


def alert_list(user, params=None):
    """Alerts the user may see, filtered (status, severity, rule, customer, mine, q) and sorted."""
    params = params or {}
    queryset = (Alert.objects.visible_to(user).select_related("rule", "customer", "owner")
                .annotate(severity_rank=SEVERITY_ORDER))
    status = params.get("status")
    if status == "active" or status is None:
        queryset = queryset.filter(status__in=ACTIVE_ALERT_STATES)
    elif status and status != "all":
        queryset = queryset.filter(status=status)
    if params.get("severity"):
        queryset = queryset.filter(severity=params["severity"])
    if params.get("rule"):
        queryset = queryset.filter(rule__code=params["rule"])
    if params.get("customer"):
        queryset = queryset.filter(customer_id=params["customer"])
    if params.get("mine") in ("1", "true", True):
        queryset = queryset.filter(Q(owner=user) | Q(owner__isnull=True, customer__relationship_manager=user))
    if params.get("age"):
        bounds = {key: (low, high) for key, low, high in logic.ALERT_AGE_BUCKETS}.get(params["age"])
        if bounds:
            today = clock.today()
            queryset = queryset.filter(raised_on__lte=today - dt.timedelta(days=bounds[0]))
            if bounds[1] is not None:
                queryset = queryset.filter(raised_on__gte=today - dt.timedelta(days=bounds[1]))
    if params.get("q"):
        queryset = queryset.filter(Q(customer__name__icontains=params["q"]) | Q(rule__name__icontains=params["q"]))
    order = ALERT_SORTS.get(params.get("sort") or "", None)
    return queryset.order_by(*([order, "-id"] if order else ["-severity_rank", "-raised_on", "-id"]))


def customer_alerts_tab(customer, user) -> dict:
    """Context of the customer page's "Alerts" tab (the customer is already checked as visible)."""
    alerts = list(Alert.objects.visible_to(user).filter(customer=customer).select_related("rule")
                  .order_by("-raised_on", "-id")[:50])
    watch = WatchlistEntry.objects.visible_to(user).filter(customer=customer).current(clock.today()).first()
    classification = (AssetClassification.objects.visible_to(user).filter(customer=customer)
                      .order_by("-period").first())
    return {"alerts": alerts, "watch": watch, "classification": classification,
            "active_count": sum(1 for a in alerts if a.is_active)}


def my_open_alerts(user, limit=10):
    queryset = alert_list(user, {"status": "open", "mine": "1"})
    return queryset[:limit], queryset.count()


def reclassifications_awaiting(user):
    return (AssetClassification.objects.visible_to(user).filter(status=ClassificationStatus.PENDING)
            .exclude(requested_by=user).select_related("customer", "requested_by").order_by("requested_at"))


# --- Exposure ------------------------------------------------------------------------------------------

def converted(table: RateTable, amount_expr, currency_field="currency"):
    """``amount_expr`` in the reporting currency, computed in SQL with the table's rates."""
    whens = []
    for code in sorted(CURRENCY_CODES):
        try:
            rate = table.rate(code, table.reporting_currency)
        except MissingRate:
            continue
        whens.append(When(**{currency_field: code}, then=Value(rate, output_field=RATE)))
    return ExpressionWrapper(amount_expr * Case(*whens, default=Value(Decimal(0), output_field=RATE),
                                                output_field=RATE), output_field=AMOUNT)


def _outstanding():
    return F("amount") - F("paid_amount") - F("written_off_amount")


def open_invoices(user):
    from collection.models import Invoice, InvoiceStatus

    return Invoice.objects.visible_to(user).filter(status=InvoiceStatus.OPEN)


def _grade_at(day=None):
    """Subquery: a customer's grade on ``day`` (the newest rating approved on or before it), or now."""
    from ratings.models import Rating, RatingState

    ratings = Rating.objects.filter(customer=OuterRef("pk"))
    if day is None:
        ratings = ratings.filter(state=RatingState.APPROVED)
    else:
        ratings = ratings.filter(state__in=[RatingState.APPROVED, RatingState.SUPERSEDED], approved_on__lte=day)
    return Subquery(ratings.order_by("-approved_on", "-id").values("grade")[:1])


def exposure_list(user, params=None, *, table: RateTable | None = None):
    """Customers with open receivables (or a filtered slice), with exposure, grade and days past due."""
    from collection.models import InvoiceStatus

    params = params or {}
    table = table or RateTable(clock.today())
    today = clock.today()
    open_q = Q(invoices__status=InvoiceStatus.OPEN)
    queryset = (Customer.objects.visible_to(user)
                .annotate(exposure=Coalesce(Sum(converted(table, F("invoices__amount") - F("invoices__paid_amount")
                                                          - F("invoices__written_off_amount"),
                                                          "invoices__currency"), filter=open_q),
                                            Value(ZERO, output_field=AMOUNT)),
                          grade=_grade_at())
                .select_related("group"))
    if params.get("grade"):
        queryset = (queryset.filter(grade__isnull=True) if params["grade"] == "NR"
                    else queryset.filter(grade=params["grade"]))
    if params.get("industry"):
        queryset = queryset.filter(industry_section=params["industry"])
    if params.get("group"):
        queryset = queryset.filter(group_id=params["group"])
    if params.get("start") and params.get("end"):
        start, end = dt.date.fromisoformat(params["start"]), dt.date.fromisoformat(params["end"])
        queryset = queryset.annotate(grade_start=_grade_at(start), grade_end=_grade_at(end))
        for key, field in (("grade_from", "grade_start"), ("grade_to", "grade_end")):
            if params.get(key):
                queryset = queryset.filter(**({f"{field}__isnull": True} if params[key] == "NR"
                                              else {field: params[key]}))
    if params.get("bucket"):
        from collection.logic import bucket_date_bounds

        from collection.models import Invoice

        earliest, latest = bucket_date_bounds(params["bucket"], today)

        ids = Invoice.objects.filter(status=InvoiceStatus.OPEN).filter(
            **({"due_date__gte": earliest} if earliest else {}), **({"due_date__lte": latest} if latest else {})
        ).values("customer_id")
        queryset = queryset.filter(pk__in=ids)
    if params.get("all") != "1":
        queryset = queryset.filter(exposure__gt=0)
    return queryset.order_by("-exposure", "name", "pk")


# --- Classification and provisions -------------------------------------------------------------------

def classification_list(user, params=None):
    params = params or {}
    queryset = AssetClassification.objects.visible_to(user).select_related("customer", "requested_by",
                                                                         "approved_by")
    period = params.get("period")
    if period:
        queryset = queryset.filter(period=period)
    elif params.get("all") != "1":
        latest = AssetClassification.objects.order_by("-period").values_list("period", flat=True).first()
        if latest:
            queryset = queryset.filter(period=latest)
    if params.get("tier"):
        queryset = queryset.filter(tier=params["tier"])
    if params.get("status"):
        queryset = queryset.filter(status=params["status"])
    if params.get("manual") in ("1", "true"):
        queryset = queryset.filter(manual=True)
    if params.get("customer"):
        queryset = queryset.filter(customer_id=params["customer"])
    return queryset.order_by("-period", "-exposure", "customer__name", "pk")


def provision_comparison(run: ProvisionRun) -> dict:
    """The run beside the previous month's: movement by tier and tier changes of customers (2 queries)."""
    previous = ProvisionRun.objects.filter(period__lt=run.period).order_by("-period").first()
    rows = logic.movement_by_tier(run.totals or {}, previous.totals if previous else None)
    for row in rows:
        row["label"] = str(Tier(row["tier"]).label)
    totals = {
        "exposure": run.total_exposure, "provision": run.total_provision,
        "previous_exposure": previous.total_exposure if previous else ZERO,
        "previous_provision": previous.total_provision if previous else ZERO,
    }
    totals["change_exposure"] = totals["exposure"] - totals["previous_exposure"]
    totals["change_provision"] = totals["provision"] - totals["previous_provision"]
    return {"previous": previous, "rows": rows, "totals": totals}


def provision_lines(user, run, params=None):
    params = params or {}
    queryset = ProvisionLine.objects.visible_to(user).filter(run=run).select_related("customer")
    if params.get("tier"):
        queryset = queryset.filter(tier=params["tier"])
    return queryset.order_by("-amount", "customer__name", "pk")


# --- Dashboard ------------------------------------------------------------------------------------------

def _hhi_sql(grouped_queryset, value_alias):
    """(Σ value², Σ value) over a grouped queryset, computed by the database (one query)."""
    sql, params = grouped_queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT SUM(s.{value_alias} * s.{value_alias}), SUM(s.{value_alias}) FROM ({sql}) s", params)
        squares, total = cursor.fetchone()
    return Decimal(squares or 0), Decimal(total or 0)


def dashboard(user, *, start=None, end=None) -> dict:
    """Every figure of the portfolio dashboard, each with the URL of the list behind it.

    A constant number of queries (about a dozen) whatever the number of customers, invoices or alerts.
    """
    from collection.logic import BUCKETS, bucket_date_bounds
    from ratings.models import Rating, RatingState

    today = clock.today()
    end = end or today
    start = start or (end - dt.timedelta(days=365))
    table = RateTable(today)
    grades = metrics.grade_order()
    currency = table.reporting_currency
    invoices = open_invoices(user)
    value = converted(table, _outstanding())

    # Exposure and customer counts by current grade (one query).
    current_grade = Subquery(Rating.objects.filter(customer=OuterRef("customer_id"), state=RatingState.APPROVED)
                             .values("grade")[:1])
    by_grade_rows = (invoices.annotate(grade=current_grade).values("grade")
                     .annotate(exposure=Sum(value), customers=Count("customer_id", distinct=True)))
    by_grade = {row["grade"] or "NR": row for row in by_grade_rows}
    rated_counts = dict(Rating.objects.visible_to(user).filter(state=RatingState.APPROVED)
                        .values_list("grade").annotate(n=Count("id")).values_list("grade", "n"))
    total_exposure = sum((row["exposure"] or ZERO for row in by_grade.values()), ZERO)
    grade_rows = []
    for grade in grades + ["NR"]:
        row = by_grade.get(grade, {})
        grade_rows.append({"grade": grade, "exposure": row.get("exposure") or ZERO,
                           "customers_with_exposure": row.get("customers", 0),
                           "rated_customers": rated_counts.get(grade, 0) if grade != "NR" else None,
                           "url": _url("monitoring:exposure_list", grade=grade)})

    # Rating migration matrix over [start, end] (one query).
    customers = Customer.objects.visible_to(user)
    pairs = (customers.annotate(g_start=_grade_at(start), g_end=_grade_at(end)).values("g_start", "g_end")
             .annotate(n=Count("id")).order_by())
    matrix = logic.migration_matrix([(p["g_start"], p["g_end"], p["n"]) for p in pairs
                                     if p["g_start"] or p["g_end"]], grades)
    for row in matrix["rows"]:
        for cell in row["cells"]:
            cell["url"] = _url("monitoring:exposure_list", start=start, end=end, grade_from=row["from"],
                               grade_to=cell["to"], all="1")

    # Exposure by industry (one query).
    labels = dict(INDUSTRY_SECTION_CHOICES)
    industry_rows = [
        {"code": row["customer__industry_section"], "label": str(labels.get(row["customer__industry_section"], "")),
         "exposure": row["exposure"] or ZERO, "customers": row["customers"],
         "url": _url("monitoring:exposure_list", industry=row["customer__industry_section"])}
        for row in invoices.values("customer__industry_section")
        .annotate(exposure=Sum(value), customers=Count("customer_id", distinct=True)).order_by("-exposure")
    ]
    for row in industry_rows:
        row["share"] = (row["exposure"] / total_exposure).quantize(logic.RATIO_EXP) if total_exposure else ZERO

    # Top 10 customers and groups, with shares and the HHI (two queries each).
    per_customer = invoices.values("customer_id").annotate(total=Sum(value)).order_by()
    squares, total = _hhi_sql(per_customer, "total")
    customer_hhi = (squares / (total * total)).quantize(logic.RATIO_EXP) if total else ZERO
    top_customers = [
        {"id": row["customer_id"], "name": row["customer__name"], "exposure": row["total"],
         "share": (row["total"] / total_exposure).quantize(logic.RATIO_EXP) if total_exposure else ZERO,
         "url": reverse("customers:customer_detail", args=[row["customer_id"]])}
        for row in invoices.values("customer_id", "customer__name").annotate(total=Sum(value))
        .order_by("-total", "customer_id")[:10]
    ]
    # a customer outside any group counts as its own group (negative ids keep groups and customers apart)
    group_key = Coalesce(ExpressionWrapper(F("customer__group_id") * Value(-1), output_field=BigIntegerField()),
                         F("customer_id"), output_field=BigIntegerField())
    per_group = invoices.annotate(obligor=group_key).values("obligor").annotate(total=Sum(value)).order_by()
    g_squares, g_total = _hhi_sql(per_group, "total")
    group_hhi = (g_squares / (g_total * g_total)).quantize(logic.RATIO_EXP) if g_total else ZERO
    top_groups = [
        {"id": row["customer__group_id"], "name": row["customer__group__name"], "exposure": row["total"],
         "members": row["members"],
         "share": (row["total"] / total_exposure).quantize(logic.RATIO_EXP) if total_exposure else ZERO,
         "url": _url("monitoring:exposure_list", group=row["customer__group_id"])}
        for row in invoices.filter(customer__group__isnull=False)
        .values("customer__group_id", "customer__group__name")
        .annotate(total=Sum(value), members=Count("customer_id", distinct=True)).order_by("-total")[:10]
    ]

    # Alerts by severity and age (one query).
    age_filters = {}
    for key, low, high in logic.ALERT_AGE_BUCKETS:
        cond = Q(raised_on__lte=today - dt.timedelta(days=low))
        if high is not None:
            cond &= Q(raised_on__gte=today - dt.timedelta(days=high))
        age_filters[key] = Count("id", filter=cond)
    alert_rows = {row["severity"]: row for row in Alert.objects.visible_to(user).filter(
        status__in=ACTIVE_ALERT_STATES).values("severity").annotate(total=Count("id"), **age_filters)}
    alerts = []
    for severity, label in Severity.choices[::-1]:
        row = alert_rows.get(severity, {})
        alerts.append({"severity": severity, "label": str(label), "total": row.get("total", 0),
                       "url": _url("monitoring:alert_list", severity=severity),
                       "ages": [{"key": key, "count": row.get(key, 0),
                                 "url": _url("monitoring:alert_list", severity=severity, age=key)}
                                for key, _low, _high in logic.ALERT_AGE_BUCKETS]})

    # Provisions by tier: the latest run (one query).
    run = ProvisionRun.objects.visible_to(user).order_by("-period").first()
    provisions = []
    for tier, label in Tier.choices:
        totals = (run.totals or {}).get(tier, {}) if run else {}
        provisions.append({"tier": tier, "label": str(label), "count": totals.get("count", 0),
                           "exposure": Decimal(totals.get("exposure") or 0),
                           "provision": Decimal(totals.get("provision") or 0),
                           "url": (_url("monitoring:provision_run_detail", run.pk, tier=tier) if run else "")})

    # Aging totals (one query with a conditional sum per bucket).
    aging_sums = {}
    for key, _low, _high in BUCKETS:
        earliest, latest = bucket_date_bounds(key, today)
        cond = Q()
        if earliest:
            cond &= Q(due_date__gte=earliest)
        if latest:
            cond &= Q(due_date__lte=latest)
        aging_sums[key] = Coalesce(Sum(value, filter=cond), Value(ZERO, output_field=AMOUNT))
    aging_totals = invoices.aggregate(**aging_sums) if aging_sums else {}
    aging = [{"bucket": key, "amount": aging_totals.get(key) or ZERO,
              "url": _url("monitoring:exposure_list", bucket=key)} for key, _l, _h in BUCKETS]

    return {
        "currency": currency, "on_date": today, "start": start, "end": end,
        "total_exposure": total_exposure,
        "by_grade": grade_rows,
        "migration": matrix,
        "by_industry": industry_rows,
        "top_customers": top_customers, "customer_hhi": customer_hhi,
        "top_groups": top_groups, "group_hhi": group_hhi,
        "alerts": alerts, "age_buckets": [key for key, _l, _h in logic.ALERT_AGE_BUCKETS],
        "provisions": provisions, "provision_run": run,
        "provision_total": run.total_provision if run else ZERO,
        "aging": aging,
    }


def rules_list(user):
    return WarningRule.objects.visible_to(user).order_by("code")
