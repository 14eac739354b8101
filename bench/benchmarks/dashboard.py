"""The portfolio dashboard page (``monitoring:dashboard``) vs a hand-written SQL of the same aggregates.

The page: a full GET (view, selectors, template) as the risk admin, through Django's test client with the
benchmark settings, and its query count. The baseline (``hand_written_sql``): the figures the page shows,
asked of PostgreSQL by hand in five plain statements — exposure per customer (open invoices, FX rates as a
VALUES list) joined to the customer and its current rating, and from it by grade, by industry, the top ten
customers and groups and both HHI sums; the aging totals (one ``SUM(CASE …)`` per bucket); the migration
pairs (``DISTINCT ON`` customer for the grade at each date) and the rated counts; the active alerts by
severity and age; the latest provision run's totals. Nothing of the page's Python, template or middleware.
Both medians are measured alternately after a warm-up; the smoke test checks that the two agree.
Target: ≤ ``TARGET``× the hand-written SQL (it replaces the absolute 500 ms of the first round).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from bench.core import interleaved, timed

NAME = "dashboard"
USERNAMES = ["riskadmin", "auditor", "analyst"]  # the first that may open the page and sees every customer
TARGET = 1.5


def get(client, url):
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: HTTP {response.status_code}")
    return response


def get_live(client, url):
    """The page computing its figures: the snapshot bypassed (``snapshot_scope`` says "no shared scope")."""
    from unittest import mock

    from monitoring.selectors import dashboard_snapshot

    with mock.patch.object(dashboard_snapshot, "snapshot_scope", lambda user: None):
        return get(client, url)


def _rates_sql(as_of):
    from collection.selectors import rates_to_reporting
    from creditportal.core.money import RateTable

    rates, _missing = rates_to_reporting(RateTable(as_of))
    return "VALUES " + ", ".join(f"('{code}'::varchar, {rate}::numeric)" for code, rate in rates.items())


def hand_written_sql(today=None) -> dict:
    """Every figure of the dashboard for a user who sees the whole portfolio, by hand-written SQL."""
    from django.db import connection, transaction

    from collection.rules import BUCKETS, bucket_date_bounds
    from creditportal.core import clock
    from monitoring.rules import ALERT_AGE_BUCKETS

    today = today or clock.today()
    start = today - dt.timedelta(days=365)
    exposure = (f"WITH r(currency, rate) AS ({_rates_sql(today)}), "
                "e AS MATERIALIZED (SELECT i.customer_id, SUM((i.amount - i.paid_amount - i.written_off_amount) "
                "                   * COALESCE(r.rate, 0)) AS exposure "
                "      FROM collection_invoice i LEFT JOIN r ON r.currency = i.currency WHERE i.status = 'open' "
                "      GROUP BY i.customer_id), "
                "x AS MATERIALIZED (SELECT e.customer_id, e.exposure, c.name, c.industry_section, c.group_id, rt.grade "
                "      FROM e JOIN customers_customer c ON c.id = e.customer_id "
                "      LEFT JOIN ratings_rating rt ON rt.customer_id = e.customer_id AND rt.state = 'approved'), "
                "g AS (SELECT x.group_id, COUNT(*) AS members, SUM(x.exposure) AS total FROM x "
                "      WHERE x.group_id IS NOT NULL GROUP BY x.group_id) ")
    buckets, bucket_params = [], []
    for key, _low, _high in BUCKETS:
        earliest, latest = bucket_date_bounds(key, today)
        cond = ["TRUE"]
        for op, bound in ((">=", earliest), ("<=", latest)):
            if bound is not None:
                cond.append(f"i.due_date {op} %s")
                bucket_params.append(bound)
        buckets.append(f"SUM(CASE WHEN {' AND '.join(cond)} THEN (i.amount - i.paid_amount - i.written_off_amount) "
                       f"* COALESCE(r.rate, 0) END)")
    grade_at = ("SELECT DISTINCT ON (customer_id) customer_id, grade FROM ratings_rating "
                "WHERE state IN ('approved', 'superseded') AND approved_on <= %s "
                "ORDER BY customer_id, approved_on DESC, id DESC")
    ages, age_params = [], []
    for _key, low, high in ALERT_AGE_BUCKETS:
        cond, params = "raised_on <= %s", [today - dt.timedelta(days=low)]
        if high is not None:
            cond += " AND raised_on >= %s"
            params.append(today - dt.timedelta(days=high))
        ages.append(f"COUNT(*) FILTER (WHERE {cond})")
        age_params += params
    out = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")  # as the page's statement runs (compilation costs more than it saves)
        cursor.execute("SET LOCAL work_mem = '32MB'")
        cursor.execute(exposure +
                       "SELECT 'grade', COALESCE(x.grade, 'NR'), NULL::bigint, COUNT(*), SUM(x.exposure) FROM x "
                       "GROUP BY 2 "
                       "UNION ALL SELECT 'industry', x.industry_section, NULL, COUNT(*), SUM(x.exposure) FROM x GROUP BY 2 "
                       "UNION ALL SELECT 'squares', NULL, NULL, NULL, SUM(x.exposure * x.exposure) FROM x "
                       "UNION ALL SELECT 'obligor squares', NULL, NULL, NULL, "
                       "  (SELECT COALESCE(SUM(x.exposure * x.exposure), 0) FROM x WHERE x.group_id IS NULL) "
                       "  + (SELECT COALESCE(SUM(g.total * g.total), 0) FROM g) "
                       "UNION ALL SELECT * FROM (SELECT 'customer', x.name, x.customer_id, NULL::bigint, x.exposure "
                       "  FROM x ORDER BY x.exposure DESC, x.customer_id LIMIT 10) t "
                       "UNION ALL SELECT * FROM (SELECT 'group', cg.name, g.group_id, g.members, g.total FROM g "
                       "  JOIN customers_customergroup cg ON cg.id = g.group_id ORDER BY g.total DESC, g.group_id "
                       "  LIMIT 10) t")
        rows = cursor.fetchall()
        out["by_grade"] = {k: (n, v) for kind, k, _i, n, v in rows if kind == "grade"}
        out["by_industry"] = {k: (n, v) for kind, k, _i, n, v in rows if kind == "industry"}
        out["squares"] = next(v for kind, *_r, v in rows if kind == "squares") or Decimal(0)
        out["obligor_squares"] = next(v for kind, *_r, v in rows if kind == "obligor squares") or Decimal(0)
        out["top_customers"] = [(i, v) for kind, _k, i, _n, v in rows if kind == "customer"]
        out["top_groups"] = [(i, n, v) for kind, _k, i, n, v in rows if kind == "group"]
        cursor.execute(f"WITH r(currency, rate) AS ({_rates_sql(today)}) SELECT {', '.join(buckets)} "
                       f"FROM collection_invoice i LEFT JOIN r ON r.currency = i.currency WHERE i.status = 'open'",
                       bucket_params)
        out["aging"] = dict(zip((key for key, _l, _h in BUCKETS), cursor.fetchone()))
        cursor.execute(f"SELECT gs.grade, ge.grade, COUNT(*) FROM ({grade_at}) gs FULL JOIN ({grade_at}) ge "
                       f"ON ge.customer_id = gs.customer_id GROUP BY 1, 2", [start, today])
        out["pairs"] = sorted(cursor.fetchall(), key=str)
        cursor.execute("SELECT grade, COUNT(*) FROM ratings_rating WHERE state = 'approved' GROUP BY grade")
        out["rated"] = dict(cursor.fetchall())
        cursor.execute(f"SELECT severity, COUNT(*), {', '.join(ages)} FROM monitoring_alert "
                       f"WHERE status IN ('open', 'acknowledged') GROUP BY severity", age_params)
        out["alerts"] = {row[0]: row[1:] for row in cursor.fetchall()}
        cursor.execute("SELECT totals FROM monitoring_provisionrun ORDER BY period DESC LIMIT 1")
        row = cursor.fetchone()
        out["provisions"] = row[0] if row else None
    return out


def page_figures(user) -> dict:
    """The page's figures (``monitoring.selectors.dashboard``) in the shape of ``hand_written_sql``."""
    from monitoring.selectors import dashboard

    d = dashboard(user)
    return {
        "by_grade": {r["grade"]: (r["customers_with_exposure"], r["exposure"]) for r in d["by_grade"]
                     if r["customers_with_exposure"]},
        "by_industry": {r["code"]: (r["customers"], r["exposure"]) for r in d["by_industry"]},
        "top_customers": [(r["id"], r["exposure"]) for r in d["top_customers"]],
        "top_groups": [(r["id"], r["members"], r["exposure"]) for r in d["top_groups"]],
        "aging": {r["bucket"]: r["amount"] for r in d["aging"]},
        "rated": {r["grade"]: r["rated_customers"] for r in d["by_grade"] if r["rated_customers"]},
        "alerts": {r["severity"]: r["total"] for r in d["alerts"] if r["total"]},
        "customer_hhi": d["customer_hhi"], "group_hhi": d["group_hhi"], "migration": d["migration"],
    }


def agree(page: dict, sql: dict) -> list[str]:
    """The figures where the page and the hand-written SQL differ (empty when they agree)."""
    from monitoring import metrics, rules

    zero = Decimal(0)
    total = sum((v for _n, v in sql["by_grade"].values()), zero)
    expected = {
        "by_grade": sql["by_grade"], "by_industry": sql["by_industry"], "top_customers": sql["top_customers"],
        "top_groups": sql["top_groups"], "aging": {k: v or zero for k, v in sql["aging"].items()},
        "rated": sql["rated"], "alerts": {k: v[0] for k, v in sql["alerts"].items()},
        "customer_hhi": (sql["squares"] / (total * total)).quantize(rules.RATIO_EXP) if total else zero,
        "group_hhi": (sql["obligor_squares"] / (total * total)).quantize(rules.RATIO_EXP) if total else zero,
        "migration": rules.migration_matrix([p for p in sql["pairs"] if p[0] or p[1]], metrics.grade_order()),
    }
    for row in page["migration"]["rows"]:
        for cell in row["cells"]:
            cell.pop("url", None)
    return [key for key, value in expected.items() if page[key] != value]


def run(ctx) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from bench.core import QueryCounter
    from customers.models import Customer

    url = reverse("monitoring:dashboard")
    client, user = None, None
    for username in USERNAMES:
        candidate_user = get_user_model().objects.get(username=username)
        candidate = Client()
        candidate.force_login(candidate_user)
        if (candidate.get(url).status_code == 200
                and Customer.objects.visible_to(candidate_user).count() == Customer.objects.count()):
            client, user = candidate, candidate_user
            break
    if client is None:
        raise RuntimeError(f"none of {USERNAMES} may open {url} and see every customer")
    with QueryCounter() as queries:
        seconds, response = timed(get, client, url)
    differences = agree(page_figures(user), hand_written_sql())
    ctx.log(f"  {url} as {user.username}: {seconds * 1000:.0f} ms (first), {queries.count} queries, "
            f"{len(response.content):,} bytes; the hand-written SQL agrees: {not differences} {differences or ''}")
    result = {"title": "Dashboard page", "user": user.username, "queries": queries.count,
              "same_figures_as_sql": not differences, "differences": differences}
    if ctx.smoke:
        return {**result, "targets": {}}
    # "page": the page computing its figures (as on a cold snapshot, or for another period); "snapshot": the page
    # as people get it, from the snapshot the batch queue refreshes (monitoring.selectors.dashboard_snapshot)
    medians = interleaved({"page": lambda: get_live(client, url), "sql": hand_written_sql,
                           "snapshot": lambda: get(client, url)}, max(5, ctx.repeat * 2))
    ratio = medians["page"] / medians["sql"]
    ctx.log(f"  page computing {medians['page'] * 1000:.0f} ms, hand-written SQL {medians['sql'] * 1000:.0f} ms, "
            f"ratio {ratio:.2f}; from the snapshot {medians['snapshot'] * 1000:.0f} ms")
    return {
        **result,
        "median_ms": round(medians["page"] * 1000, 1),
        "sql_ms": round(medians["sql"] * 1000, 1),
        "snapshot_ms": round(medians["snapshot"] * 1000, 1),
        "ratio": round(ratio, 2),
        "targets": {f"≤ {TARGET}× the hand-written SQL of the same aggregates": ratio <= TARGET,
                    "same figures as the hand-written SQL": not differences},
    }
