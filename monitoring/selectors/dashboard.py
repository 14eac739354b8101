"""The portfolio dashboard.

On PostgreSQL the exposure figures are one statement: the open invoices the user may see are read once
(through the partial index on open invoices), converted once per row (the FX rates joined as a VALUES
list) and summed per customer, with the aging buckets; that per-customer table (~64k rows on the full
portfolio) is joined once to the customer (industry, group) and to its current rating (the partial unique
index of approved ratings), kept as a CTE, and every figure derives from it: by grade, by industry, both
HHIs, the top 10 customers and groups, the aging totals. The migration matrix is one more statement with
DISTINCT ON (customer) for the grade at each date. Other databases (the embedded SQLite) take the ORM
version of the same figures (``_exposure_figures_orm``).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import BigIntegerField, Count, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse

from creditportal.core import clock
from creditportal.core.money import CURRENCY_CODES, MissingRate, RateTable
from customers.models import INDUSTRY_SECTION_CHOICES, Customer

from .. import metrics, rules
from ..models import ACTIVE_ALERT_STATES, Alert, ProvisionRun, Severity, Tier
from ._common import RATE, ZERO, _grade_at, _outstanding, _url, converted, open_invoices


def _hhi_sql(grouped_queryset, value_alias):
    """(Σ value², Σ value) over a grouped queryset, computed by the database (one query)."""
    sql, params = grouped_queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT SUM(s.{value_alias} * s.{value_alias}), SUM(s.{value_alias}) FROM ({sql}) s", params)
        squares, total = cursor.fetchone()
    return Decimal(squares or 0), Decimal(total or 0)


def _bucket_bounds(today):
    from collection.rules import BUCKETS, bucket_date_bounds

    return [(key, *bucket_date_bounds(key, today)) for key, _low, _high in BUCKETS]


def _rate_params(table: RateTable) -> list[tuple[str, object]]:
    """(currency, rate) of every currency with a rate into the reporting currency, each rate exactly as the
    ORM's ``converted`` sends it to the database."""
    rates = []
    for code in sorted(CURRENCY_CODES):
        try:
            rate = table.rate(code, table.reporting_currency)
        except MissingRate:
            continue
        rates.append((code, RATE.get_db_prep_value(rate, connection)))
    return rates


def _compiled(queryset, empty_columns):
    from django.core.exceptions import EmptyResultSet

    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return f"SELECT {empty_columns} WHERE FALSE", []
    return sql, list(params)


def _summary_sources(summary) -> tuple[str, str, list]:
    """From collection's aging summary (one row per customer, valid for today): (the CTEs ``g`` of its rows and
    ``e`` of each customer's exposure — its total with a currency without a rate counting 0, as below —, the
    aging totals by bucket, params). The same figures as the open invoices give, from one row per customer."""
    from collection.rules import BUCKET_KEYS
    from collection.selectors.aging import SUMMARY_COLUMNS

    summary_sql, params = _compiled(summary.order_by().values(*SUMMARY_COLUMNS),
                                    "NULL::bigint AS customer_id, NULL::numeric AS total, NULL::integer AS open_count, "
                                    + ", ".join(f"NULL::numeric AS {k}" for k in BUCKET_KEYS))
    sources = (f"g AS NOT MATERIALIZED ({summary_sql}), "
               f"e AS NOT MATERIALIZED (SELECT g.customer_id, COALESCE(g.total, 0) AS exposure FROM g "
               f"WHERE g.open_count > 0)")
    pairs = ", ".join(f"('{key}'::varchar, g.{key})" for key in BUCKET_KEYS)  # the bucket keys: identifiers
    buckets = (f"SELECT 'bucket', v.bucket, NULL, NULL, SUM(v.amount), NULL, NULL "
               f"FROM g CROSS JOIN LATERAL (VALUES {pairs}) v(bucket, amount) GROUP BY v.bucket")
    return sources, buckets, params


def _exposure_figures_sql(user, table: RateTable, today, summary=None) -> dict:
    """Every exposure figure of the dashboard in one statement (PostgreSQL); see the note above. ``summary``:
    collection's aging summary rows the user may see (valid for today), read instead of the open invoices."""
    from collection.models import Invoice
    from customers.models import CustomerGroup
    from ratings.models import Rating, RatingState

    rates = _rate_params(table)
    if rates:
        rates_sql = "VALUES " + ", ".join(["(%s::varchar, %s::numeric)"] * len(rates))
    else:
        rates_sql = "SELECT NULL::varchar, NULL::numeric WHERE FALSE"
    params: list = [v for pair in rates for v in pair]
    inner = (open_invoices(user).order_by().annotate(outstanding=_outstanding())
             .values("customer_id", "due_date", "currency", "outstanding"))
    inner_sql, inner_params = _compiled(inner, "NULL::bigint AS customer_id, NULL::date AS due_date, "
                                               "NULL::varchar AS currency, NULL::numeric AS outstanding")
    bucket_cases, bucket_params = [], []
    for key, earliest, latest in _bucket_bounds(today):
        cond = []
        if earliest:
            cond.append("s.due_date >= %s")
            bucket_params.append(earliest)
        if latest:
            cond.append("s.due_date <= %s")
            bucket_params.append(latest)
        bucket_cases.append(f"WHEN {' AND '.join(cond) or 'TRUE'} THEN %s")
        bucket_params.append(key)
    customers, groups, ratings = Customer._meta.db_table, CustomerGroup._meta.db_table, Rating._meta.db_table
    # a currency without a rate counts 0, as in ``converted``
    rate_case = ("CASE s.currency " + " ".join("WHEN %s THEN %s::numeric" for _ in rates) + " ELSE 0 END"
                 if rates else "0")
    # exposure per customer: the open invoices in index order (customer), each converted once by a CASE
    # on its currency (no sort, no hash: a streaming GROUP BY)
    sources = (f"r(currency, rate) AS ({rates_sql}), s AS NOT MATERIALIZED ({inner_sql}), "
               f"e AS NOT MATERIALIZED (SELECT s.customer_id, SUM(s.outstanding * {rate_case}) AS exposure FROM s "
               f"GROUP BY s.customer_id)")
    bucket_sql = (f"SELECT 'bucket', b.bucket, NULL, NULL, SUM(b.total * COALESCE(r.rate, 0)), NULL, NULL "
                  f"FROM (SELECT s.currency, CASE {' '.join(bucket_cases)} END AS bucket, SUM(s.outstanding) AS total "
                  f"FROM s GROUP BY 1, 2) b LEFT JOIN r ON r.currency = b.currency GROUP BY b.bucket")
    params += [*inner_params, *[v for pair in rates for v in pair]]
    if summary is not None:
        sources, bucket_sql, params = _summary_sources(summary)
        bucket_params = []
    sql = (
        f"WITH {sources}, "
        f"x AS MATERIALIZED (SELECT e.customer_id, e.exposure, c.industry_section AS industry, c.group_id, rt.grade "
        f"      FROM e "
        f"      JOIN {customers} c ON c.id = e.customer_id "
        f"      LEFT JOIN {ratings} rt ON rt.customer_id = e.customer_id AND rt.state = %s), "
        f"gt AS MATERIALIZED (SELECT x.group_id, COUNT(*) AS members, SUM(x.exposure) AS total FROM x "
        f"      WHERE x.group_id IS NOT NULL GROUP BY x.group_id) "
        # kind, key, id, count, amount, squares, squares of the customers outside any group
        # by grade, by industry and the whole portfolio: one pass over x (GROUPING SETS)
        f"SELECT CASE WHEN GROUPING(x.grade) = 0 THEN 'grade' WHEN GROUPING(x.industry) = 0 THEN 'industry' "
        f"            ELSE 'customers' END, "
        f"       CASE WHEN GROUPING(x.grade) = 0 THEN x.grade ELSE x.industry END, NULL::bigint, COUNT(*), "
        f"       SUM(x.exposure), SUM(x.exposure * x.exposure), "
        f"       SUM(x.exposure * x.exposure) FILTER (WHERE x.group_id IS NULL) "
        f"      FROM x GROUP BY GROUPING SETS ((x.grade), (x.industry), ()) "
        # obligors: a group is one obligor, a customer outside any group its own: Σ total² = the squares of the
        # customers outside groups (above) + the squares of the group totals
        f"UNION ALL SELECT 'obligors', NULL, NULL, COUNT(*), SUM(gt.total), SUM(gt.total * gt.total), NULL FROM gt "
        f"UNION ALL SELECT 'customer', c.name, t.customer_id, NULL, t.exposure, NULL, NULL "
        f"      FROM (SELECT x.customer_id, x.exposure FROM x ORDER BY x.exposure DESC, x.customer_id LIMIT 10) t "
        f"      JOIN {customers} c ON c.id = t.customer_id "
        f"UNION ALL SELECT 'group', g.name, t.group_id, t.members, t.total, NULL, NULL "
        f"      FROM (SELECT gt.group_id, gt.members, gt.total FROM gt ORDER BY gt.total DESC, gt.group_id LIMIT 10) t "
        f"      JOIN {groups} g ON g.id = t.group_id "
        # aging totals: open amounts by (currency, bucket), converted once per pair (or the summary's sums)
        f"UNION ALL {bucket_sql}"
    )
    params += [RatingState.APPROVED, *bucket_params]
    figures = {"by_grade": {}, "by_industry": [], "customers": (ZERO, ZERO), "obligors": (ZERO, ZERO),
               "top_customers": [], "top_groups": [], "aging": {}}
    with transaction.atomic(), connection.cursor() as cursor:
        # JIT compilation costs more than it saves on this statement (~140 ms of ~400 on the full portfolio)
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '32MB'")  # the per-customer table and its groupings in memory
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    ungrouped_squares, group_squares = ZERO, ZERO
    for kind, key, ident, count, amount, squares, ungrouped in rows:
        if kind == "grade":
            figures["by_grade"][key or "NR"] = {"exposure": amount, "customers": count}
        elif kind == "industry":
            figures["by_industry"].append({"code": key, "exposure": amount, "customers": count})
        elif kind == "customers":
            figures["customers"] = (Decimal(squares or 0), Decimal(amount or 0))
            ungrouped_squares = Decimal(ungrouped or 0)
        elif kind == "obligors":
            group_squares = Decimal(squares or 0)
        elif kind == "customer":
            figures["top_customers"].append({"id": ident, "name": key, "exposure": amount})
        elif kind == "group":
            figures["top_groups"].append({"id": ident, "name": key, "exposure": amount, "members": count})
        elif key is not None:
            figures["aging"][key] = amount
    # every customer's exposure is in exactly one obligor: the obligors' total is the customers' total
    figures["obligors"] = (ungrouped_squares + group_squares, figures["customers"][1])
    figures["by_industry"].sort(key=lambda r: (-(r["exposure"] or ZERO), r["code"] or ""))
    figures["top_customers"].sort(key=lambda r: (-r["exposure"], r["id"]))
    figures["top_groups"].sort(key=lambda r: (-r["exposure"], r["id"]))
    return figures


def _exposure_figures_orm(user, table: RateTable, today, summary=None) -> dict:
    """The same figures as ``_exposure_figures_sql`` through the ORM (databases other than PostgreSQL);
    ``summary``: the aging totals from collection's aging summary (the other figures from the invoices)."""
    from ratings.models import Rating, RatingState

    invoices = open_invoices(user)
    value = converted(table, _outstanding())
    current_grade = Subquery(Rating.objects.filter(customer=OuterRef("customer_id"), state=RatingState.APPROVED)
                             .values("grade")[:1])
    figures = {"by_grade": {row["grade"] or "NR": row for row in
                            invoices.annotate(grade=current_grade).values("grade")
                            .annotate(exposure=Sum(value), customers=Count("customer_id", distinct=True))}}
    figures["by_industry"] = [
        {"code": row["customer__industry_section"], "exposure": row["exposure"], "customers": row["customers"]}
        for row in invoices.values("customer__industry_section")
        .annotate(exposure=Sum(value), customers=Count("customer_id", distinct=True))
        .order_by("-exposure", "customer__industry_section")]
    figures["customers"] = _hhi_sql(invoices.values("customer_id").annotate(total=Sum(value)).order_by(), "total")
    figures["top_customers"] = [
        {"id": row["customer_id"], "name": row["customer__name"], "exposure": row["total"]}
        for row in invoices.values("customer_id", "customer__name").annotate(total=Sum(value))
        .order_by("-total", "customer_id")[:10]]
    # a customer outside any group counts as its own group (negative ids keep groups and customers apart)
    group_key = Coalesce(ExpressionWrapper(F("customer__group_id") * Value(-1), output_field=BigIntegerField()),
                         F("customer_id"), output_field=BigIntegerField())
    figures["obligors"] = _hhi_sql(invoices.annotate(obligor=group_key).values("obligor")
                                   .annotate(total=Sum(value)).order_by(), "total")
    figures["top_groups"] = [
        {"id": row["customer__group_id"], "name": row["customer__group__name"], "exposure": row["total"],
         "members": row["members"]}
        for row in invoices.filter(customer__group__isnull=False)
        .values("customer__group_id", "customer__group__name")
        .annotate(total=Sum(value), members=Count("customer_id", distinct=True))
        .order_by("-total", "customer__group_id")[:10]]
    aging_sums = {}
    for key, earliest, latest in _bucket_bounds(today):
        cond = Q()
        if earliest:
            cond &= Q(due_date__gte=earliest)
        if latest:
            cond &= Q(due_date__lte=latest)
        aging_sums[key] = Sum(value, filter=cond)
    if summary is not None:
        from collection.rules import BUCKET_KEYS

        figures["aging"] = summary.aggregate(**{key: Sum(key) for key in BUCKET_KEYS})
    else:
        figures["aging"] = invoices.aggregate(**aging_sums)
    return figures


def _rating_figures(user, start, end) -> tuple[list[tuple], dict]:
    """The migration pairs (grade on ``start``, grade on ``end``, customers) over the customers the user may
    see, and the number of current (approved) ratings by grade.

    On PostgreSQL one statement: the grade at each date is the newest rating approved on or before it
    (``DISTINCT ON (customer_id) … ORDER BY customer_id, approved_on DESC, id DESC``, an index-only scan of
    ``rating_grade_history``), the two joined by customer; the rated counts read ``rating_current_grade``."""
    from ratings.models import Rating, RatingState

    customers = Customer.objects.visible_to(user)
    ratings = Rating.objects.visible_to(user)
    if connection.vendor != "postgresql":
        pairs = (customers.annotate(g_start=_grade_at(start), g_end=_grade_at(end)).values("g_start", "g_end")
                 .annotate(n=Count("id")).order_by())
        rated = (ratings.filter(state=RatingState.APPROVED).values_list("grade").annotate(n=Count("id"))
                 .values_list("grade", "n"))
        return [(p["g_start"], p["g_end"], p["n"]) for p in pairs], dict(rated)
    scoped = ratings.filter(state__in=[RatingState.APPROVED, RatingState.SUPERSEDED]).order_by().values(
        "customer_id", "grade", "approved_on", "id", "state")
    scoped_sql, scoped_params = _compiled(scoped, "NULL::bigint AS customer_id, NULL::varchar AS grade, "
                                                  "NULL::date AS approved_on, NULL::bigint AS id, "
                                                  "NULL::varchar AS state")
    at = ("SELECT DISTINCT ON (v.customer_id) v.customer_id, v.grade FROM v WHERE v.approved_on <= %s "
          "ORDER BY v.customer_id, v.approved_on DESC, v.id DESC")
    sql = (f"WITH v AS NOT MATERIALIZED ({scoped_sql}) "
           f"SELECT 'pair', gs.grade, ge.grade, COUNT(*) FROM ({at}) gs FULL JOIN ({at}) ge "
           f"ON ge.customer_id = gs.customer_id GROUP BY gs.grade, ge.grade "
           f"UNION ALL SELECT 'rated', v.grade, NULL, COUNT(*) FROM v WHERE v.state = %s GROUP BY v.grade")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*scoped_params, start, end, RatingState.APPROVED])
        rows = cursor.fetchall()
    pairs = [(gs, ge, n) for kind, gs, ge, n in rows if kind == "pair"]
    rated = {grade: int(n) for kind, grade, _ge, n in rows if kind == "rated"}
    return pairs, rated


def _share(amount, total):
    return (amount / total).quantize(rules.RATIO_EXP) if total else ZERO


def dashboard_range(start=None, end=None, today=None) -> tuple[dt.date, dt.date]:
    """The period of the migration matrix: ``end`` (today by default) and ``start`` (a year before ``end``)."""
    end = end or today or clock.today()
    return start or (end - dt.timedelta(days=365)), end


def dashboard(user, *, start=None, end=None) -> dict:
    """Every figure of the portfolio dashboard, each with the URL of the list behind it, labelled for people
    in the active language (``dashboard_figures`` + ``with_labels``)."""
    return with_labels(dashboard_figures(user, start=start, end=end))


def dashboard_figures(user, *, start=None, end=None, table: RateTable | None = None) -> dict:
    """Every figure of the portfolio dashboard, each with the URL of the list behind it, without the labels
    for people: language-neutral (codes and URLs only; the site has no ``i18n_patterns``), so one copy serves
    every language (the snapshot, ``dashboard_snapshot``); ``with_labels`` adds the labels.

    A constant number of queries whatever the number of customers, invoices or alerts: on PostgreSQL one
    statement for every exposure figure, one for the migration matrix, and a few small ones (grades, rated
    counts, alerts, provisions, FX rates).
    """
    today = clock.today()
    start, end = dashboard_range(start, end, today)
    table = table or RateTable(today)
    grades = metrics.grade_order()
    currency = table.reporting_currency
    # collection's per-customer aging summary while it is valid for today (else None: from the open invoices)
    from collection.selectors import aging_summary

    summary = aging_summary(user=user, as_of=today, table=table)
    if connection.vendor == "postgresql":
        figures = _exposure_figures_sql(user, table, today, summary)
    else:
        figures = _exposure_figures_orm(user, table, today, summary)

    # Exposure and customer counts by current grade.
    by_grade = figures["by_grade"]
    pairs, rated_counts = _rating_figures(user, start, end)
    total_exposure = sum((row["exposure"] or ZERO for row in by_grade.values()), ZERO)
    grade_rows = []
    for grade in grades + ["NR"]:
        row = by_grade.get(grade, {})
        grade_rows.append({"grade": grade, "exposure": row.get("exposure") or ZERO,
                           "customers_with_exposure": row.get("customers", 0),
                           "rated_customers": rated_counts.get(grade, 0) if grade != "NR" else None,
                           "url": _url("monitoring:exposure_list", grade=grade)})

    # Rating migration matrix over [start, end].
    matrix = rules.migration_matrix([p for p in pairs if p[0] or p[1]], grades)
    for row in matrix["rows"]:
        for cell in row["cells"]:
            cell["url"] = _url("monitoring:exposure_list", start=start, end=end, grade_from=row["from"],
                               grade_to=cell["to"], all="1")

    # Exposure by industry.
    industry_rows = [
        {"code": row["code"], "exposure": row["exposure"] or ZERO,
         "customers": row["customers"], "share": _share(row["exposure"] or ZERO, total_exposure),
         "url": _url("monitoring:exposure_list", industry=row["code"])}
        for row in figures["by_industry"]
    ]

    # Top 10 customers and groups, with shares and the HHI (a customer outside any group is its own group).
    squares, total = figures["customers"]
    customer_hhi = (squares / (total * total)).quantize(rules.RATIO_EXP) if total else ZERO
    top_customers = [
        {"id": row["id"], "name": row["name"], "exposure": row["exposure"],
         "share": _share(row["exposure"], total_exposure),
         "url": reverse("customers:customer_detail", args=[row["id"]])}
        for row in figures["top_customers"]
    ]
    g_squares, g_total = figures["obligors"]
    group_hhi = (g_squares / (g_total * g_total)).quantize(rules.RATIO_EXP) if g_total else ZERO
    top_groups = [
        {"id": row["id"], "name": row["name"], "exposure": row["exposure"], "members": row["members"],
         "share": _share(row["exposure"], total_exposure),
         "url": _url("monitoring:exposure_list", group=row["id"])}
        for row in figures["top_groups"]
    ]

    # Alerts by severity and age (one query).
    age_filters = {}
    for key, low, high in rules.ALERT_AGE_BUCKETS:
        cond = Q(raised_on__lte=today - dt.timedelta(days=low))
        if high is not None:
            cond &= Q(raised_on__gte=today - dt.timedelta(days=high))
        age_filters[key] = Count("id", filter=cond)
    alert_rows = {row["severity"]: row for row in Alert.objects.visible_to(user).filter(
        status__in=ACTIVE_ALERT_STATES).values("severity").annotate(total=Count("id"), **age_filters)}
    alerts = []
    for severity in Severity.values[::-1]:
        row = alert_rows.get(severity, {})
        alerts.append({"severity": severity, "total": row.get("total", 0),
                       "url": _url("monitoring:alert_list", severity=severity),
                       "ages": [{"key": key, "count": row.get(key, 0),
                                 "url": _url("monitoring:alert_list", severity=severity, age=key)}
                                for key, _low, _high in rules.ALERT_AGE_BUCKETS]})

    # Provisions by tier: the latest run (one query).
    run = ProvisionRun.objects.visible_to(user).order_by("-period").first()
    provisions = []
    for tier in Tier.values:
        totals = (run.totals or {}).get(tier, {}) if run else {}
        provisions.append({"tier": tier, "count": totals.get("count", 0),
                           "exposure": Decimal(totals.get("exposure") or 0),
                           "provision": Decimal(totals.get("provision") or 0),
                           "url": (_url("monitoring:provision_run_detail", run.pk, tier=tier) if run else "")})

    # Aging totals (a conditional sum per bucket).
    aging = [{"bucket": key, "amount": figures["aging"].get(key) or ZERO,
              "url": _url("monitoring:exposure_list", bucket=key)} for key, _e, _l in _bucket_bounds(today)]

    return {
        "currency": currency, "on_date": today, "start": start, "end": end,
        "total_exposure": total_exposure,
        "by_grade": grade_rows,
        "migration": matrix,
        "by_industry": industry_rows,
        "top_customers": top_customers, "customer_hhi": customer_hhi,
        "top_groups": top_groups, "group_hhi": group_hhi,
        "alerts": alerts, "age_buckets": [key for key, _l, _h in rules.ALERT_AGE_BUCKETS],
        "provisions": provisions, "provision_run": run,
        "provision_total": run.total_provision if run else ZERO,
        "aging": aging,
    }


def with_labels(data: dict) -> dict:
    """``data`` (``dashboard_figures``) with the labels for people, in the active language (changed in place)."""
    from collection.selectors import AGING_BUCKET_LABELS

    industries, severities, tiers = dict(INDUSTRY_SECTION_CHOICES), dict(Severity.choices), dict(Tier.choices)
    for row in data["by_industry"]:
        row["label"] = str(industries.get(row["code"], ""))
    for row in data["alerts"]:
        row["label"] = str(severities[row["severity"]])
    for row in data["provisions"]:
        row["label"] = str(tiers[row["tier"]])
    for row in data["aging"]:
        row["label"] = str(AGING_BUCKET_LABELS[row["bucket"]])
    return data
