"""The aging read from the per-customer summary (``models.CustomerAging``) while it is complete for today.

``aging_summary`` gives the summary's rows the user may see, with the aging's filters (all properties of the
customer: ``aging.customer_filters``), or ``None`` when the summary cannot answer (not refreshed for today,
the FX rates changed since: the caller computes live, the definition of truth). ``aging_by_customer`` and
``aging_portfolio`` take it as ``summary=``; the rows, their number, order and the totals equal the live
computation's (the stored amounts are the live per-customer sums, unrounded).
"""
from __future__ import annotations

import hashlib
import json

from django.db import connection
from django.db.models import Count, F, Min, Q, Sum

from creditportal.core import clock

from .. import rules
from ..models import AgingSummaryState, CustomerAging
from ._common import rates_to_reporting
from .aging import SUMMARY_COLUMNS, AgingRows, _compiled, customer_filters


def rates_digest(table) -> str:
    """What the summary's amounts depend on besides the invoices: the rates into the reporting currency (as
    the SQL sends them) and the currencies without one."""
    rates, missing = rates_to_reporting(table)
    text = json.dumps([[code, str(rate)] for code, rate in rates.items()] + [missing])
    return hashlib.sha256(text.encode()).hexdigest()


def summary_complete(as_of, table) -> bool:
    """The summary holds every customer's aging for ``as_of`` (today only) under the rates of ``table``."""
    if as_of != clock.today():
        return False
    state = AgingSummaryState.objects.filter(pk=1).values_list("as_of", "rates_digest").first()
    return state is not None and state == (as_of, rates_digest(table))


def aging_summary(*, user, as_of=None, table=None, manager=None, collector=None, industry=None, customer=None):
    """The summary's rows ``user`` may see, filtered as ``aging_queryset`` filters the invoices; ``None`` when
    the summary is not valid for ``as_of`` (then read live)."""
    from creditportal.core.money import RateTable

    as_of = as_of or clock.today()
    if not summary_complete(as_of, table or RateTable(as_of)):
        return None
    return customer_filters(CustomerAging.objects.visible_to(user), manager=manager, collector=collector,
                            industry=industry, customer=customer)


class SummaryAgingRows(AgingRows):
    """``AgingRows`` over the summary ``summary`` (PostgreSQL): the same page, count and totals in one statement,
    from one row per customer instead of the open invoices."""

    def __init__(self, summary, *, as_of, table, order, descending):
        super().__init__(None, as_of=as_of, table=table, order=order, descending=descending)
        self.summary = summary

    def _grouped(self) -> tuple[str, list]:
        return _compiled(self.summary.order_by().values(*SUMMARY_COLUMNS),
                         "NULL::bigint AS customer_id, " + ", ".join(
                             f"NULL::numeric AS {k}" for k in [*rules.BUCKET_KEYS, "total", "overdue"])
                         + ", NULL::integer AS open_count, NULL::date AS oldest_due, NULL::numeric AS sales")

    def _query(self, limit=None, offset=0, totals=False) -> tuple[str, list]:
        g_sql, params = self._grouped()
        order_by, ranked, cut_params = self._ranked(limit, offset)
        page_columns, page_from = self._page_sql("a.sales")
        with_sql = f"WITH g AS ({g_sql}), a AS (SELECT * FROM g WHERE g.total > 0), {ranked}"
        if not totals:
            return with_sql + f"SELECT {page_columns} {page_from}ORDER BY {order_by}", [*params, *cut_params]
        sums = ", ".join(f"SUM(g.{k}) AS t_{k}" for k in [*rules.BUCKET_KEYS, "total", "overdue"])
        # SUM of bigint, numeric as the live totals' SUM of COUNT(*)
        sql = (with_sql + f", t AS (SELECT {sums}, SUM(g.open_count::bigint) AS t_open_count, "
               f"MIN(g.oldest_due) AS t_oldest_due, "
               f"COUNT(*) FILTER (WHERE g.open_count > 0) AS t_customers, SUM(g.sales) AS t_sales FROM g) "
               f"SELECT pg.*, t.* FROM t LEFT JOIN (SELECT {page_columns} {page_from}) pg ON TRUE "
               f"ORDER BY {self._totals_order(order_by)}")
        return sql, [*params, *cut_params]

    def _count_sql(self) -> tuple[str, list]:
        g_sql, params = self._grouped()
        return f"SELECT COUNT(*) FROM ({g_sql}) g WHERE g.total > 0", params


def summary_rows(summary, *, as_of, table, order, descending):
    """The page's rows from the summary: ``SummaryAgingRows`` on PostgreSQL, the ORM's values elsewhere (the
    same keys and order as ``aging._orm_aging_rows``)."""
    if connection.vendor == "postgresql":
        return SummaryAgingRows(summary, as_of=as_of, table=table, order=order, descending=descending)
    return (summary.filter(total__gt=0)
            .values("customer_id", "customer__name", "customer__relationship_manager__username",
                    "customer__industry_section", *rules.BUCKET_KEYS, "total", "overdue", "sales", "open_count",
                    "oldest_due")
            .order_by(F(order).desc(nulls_last=True) if descending else F(order).asc(nulls_last=True),
                      "customer_id"))


def summary_totals(summary) -> dict:
    """The portfolio's totals over the summary's rows (what ``aging_portfolio`` computes live)."""
    sums = summary.order_by().aggregate(
        **{f"t_{k}": Sum(k) for k in [*rules.BUCKET_KEYS, "total", "overdue", "sales", "open_count"]},
        t_oldest_due=Min("oldest_due"), t_customers=Count("pk", filter=Q(open_count__gt=0)))
    return {key[2:]: value for key, value in sums.items()}
