"""The aging report over every open invoice vs a hand-written SQL GROUP BY of the same buckets.

The report is what the aging page (``collection.views.AgingView``) asks for: ``aging_by_customer`` (one
GROUP BY customer with a conditional sum per bucket, converted into the reporting currency in SQL),
its first page of 50 rows and its row count, and ``aging_portfolio`` (the totals). The baseline is the
same three answers written by hand: a VALUES list of FX rates joined to the open invoices, one
``SUM(CASE …)`` per bucket, GROUP BY customer ORDER BY total LIMIT 50, a count, and the totals.
Target: ≤ 1.5× the baseline.
"""
from __future__ import annotations

from bench.core import interleaved

NAME = "aging"
USERNAME = "auditor"
PAGE = 50


def report(user, as_of=None, *, from_summary=False):
    """What the aging page reads: from the open invoices (live), or — ``from_summary``, as the page does while
    it is valid for today — from collection's per-customer summary (``aging_summary``)."""
    from collection import selectors

    qs = selectors.aging_queryset(user=user, as_of=as_of)
    summary = selectors.aging_summary(user=user, as_of=as_of) if from_summary else None
    if from_summary and summary is None:
        raise RuntimeError("the aging summary is not valid for today: run collection.services.aging_summary_refresh")
    rows, _missing, finish = selectors.aging_by_customer(qs, as_of=as_of, summary=summary)
    page = [finish(row) for row in rows[:PAGE]]
    count = rows.count()
    totals = selectors.aging_portfolio(qs, as_of=as_of, summary=summary)
    return page, count, totals


def hand_written_sql(as_of=None):
    from django.db import connection

    from collection.rules import BUCKETS, bucket_date_bounds
    from collection.selectors import rates_to_reporting
    from creditportal.core import clock
    from creditportal.core.money import RateTable

    as_of = as_of or clock.today()
    rates, _missing = rates_to_reporting(RateTable(as_of))
    values = ", ".join(f"('{code}', {rate}::numeric)" for code, rate in rates.items())
    buckets, params = [], []
    for key, _low, _high in BUCKETS:
        earliest, latest = bucket_date_bounds(key, as_of)
        cond = ["TRUE"]
        if earliest is not None:
            cond.append("o.due_date >= %s")
            params.append(earliest)
        if latest is not None:
            cond.append("o.due_date <= %s")
            params.append(latest)
        buckets.append(f"SUM(CASE WHEN {' AND '.join(cond)} THEN o.amount END) AS {key}")
    open_amounts = (f"WITH r(currency, rate) AS (VALUES {values}), o AS ("
                    f"SELECT i.id, i.customer_id, i.due_date, (i.amount - i.paid_amount - i.written_off_amount) "
                    f"* r.rate AS amount FROM collection_invoice i JOIN r ON r.currency = i.currency "
                    f"WHERE i.status = 'open') ")
    select = ", ".join(buckets)
    with connection.cursor() as cursor:
        cursor.execute(open_amounts +
                       f"SELECT o.customer_id, c.name, {select}, SUM(o.amount) AS total "
                       f"FROM o JOIN customers_customer c ON c.id = o.customer_id GROUP BY o.customer_id, c.name HAVING SUM(o.amount) > 0 "
                       f"ORDER BY total DESC, o.customer_id LIMIT {PAGE}", params)
        page = cursor.fetchall()
        cursor.execute(open_amounts + "SELECT COUNT(*) FROM (SELECT customer_id FROM o GROUP BY customer_id "
                                      "HAVING SUM(amount) > 0) s")
        count = cursor.fetchone()[0]
        cursor.execute(open_amounts + f"SELECT {select}, SUM(o.amount), COUNT(DISTINCT o.customer_id) "
                                      f"FROM o", params)
        totals = cursor.fetchone()
    return page, count, totals


def run(ctx) -> dict:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=USERNAME)
    page, count, totals = report(user)
    sql_page, sql_count, _sql_totals = hand_written_sql()
    same_page = [r["customer_id"] for r in page] == [r[0] for r in sql_page]
    ctx.log(f"  {count:,} customers with open invoices (hand-written: {sql_count:,}); same first page: {same_page}")
    if ctx.smoke:
        return {"title": "Aging report", "customers": count, "same_first_page": same_page, "targets": {}}
    from collection import selectors

    runs = {"report": lambda: report(user), "sql": hand_written_sql}
    summary_page = None
    if selectors.aging_summary(user=user) is not None:
        runs["summary"] = lambda: report(user, from_summary=True)
        summary_page = [r["customer_id"] for r in report(user, from_summary=True)[0]] == [r["customer_id"] for r in page]
    medians = interleaved(runs, ctx.repeat)
    ratio = medians["report"] / medians["sql"]
    ctx.log(f"  report {medians['report'] * 1000:.0f} ms, hand-written SQL {medians['sql'] * 1000:.0f} ms, "
            f"ratio {ratio:.2f}")
    summary = {}
    if "summary" in medians:
        summary = {"summary_ms": round(medians["summary"] * 1000, 1),
                   "summary_ratio": round(medians["summary"] / medians["sql"], 3),
                   "summary_same_first_page": summary_page}
        ctx.log(f"  from the summary (what the page reads today) {medians['summary'] * 1000:.0f} ms, "
                f"{summary['summary_ratio']:.3f}× the SQL over the invoices; same first page: {summary_page}")
    from collection.models import Invoice

    return {
        "title": "Aging report",
        "invoices": Invoice.objects.count(),
        "customers_with_open_invoices": count,
        "same_first_page": same_page,
        "report_ms": round(medians["report"] * 1000, 1),
        "sql_ms": round(medians["sql"] * 1000, 1),
        "ratio": round(ratio, 2),
        **summary,
        "targets": {"≤ 1.5× the hand-written SQL": ratio <= 1.5},
    }
