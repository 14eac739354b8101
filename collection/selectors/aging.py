"""Aging by customer and for the portfolio, with DSO (hand-shaped SQL on PostgreSQL, the ORM elsewhere)."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, Exists, F, Min, OuterRef, Q, Sum
from django.utils.translation import gettext_lazy

from creditportal.core import clock
from creditportal.core.money import RateTable
from customers.models import Customer

from .. import rules
from ..models import ACTIVE_CASE_STATES, CollectionCase, DunningAction, Invoice, InvoiceStatus, outstanding_expression
from ._common import ZERO, DSO_DAYS, rates_to_reporting, reporting_amount


# --- aging ------------------------------------------------------------------------------------

def aging_queryset(*, user, as_of=None, manager=None, collector=None, industry=None, customer=None):
    """Invoices the user may see that matter for aging or DSO on ``as_of`` (open, or issued in the DSO window)."""
    as_of = as_of or clock.today()
    return customer_filters(aging_invoices(Invoice.objects.visible_to(user), as_of=as_of), manager=manager,
                            collector=collector, industry=industry, customer=customer)


def aging_invoices(invoices, *, as_of):
    """The invoices of ``invoices`` that matter for aging or DSO on ``as_of`` (open, or issued in the DSO window)."""
    return invoices.filter(
        Q(status=InvoiceStatus.OPEN) | Q(issue_date__gt=as_of - dt.timedelta(days=DSO_DAYS), issue_date__lte=as_of))


def customer_filters(qs, *, manager=None, collector=None, industry=None, customer=None):
    """The aging's filters, all properties of the customer: the same on invoices (``aging_queryset``) and on the
    summary's rows (``aging_summary``), both reaching the customer as ``customer``."""
    if manager:
        qs = qs.filter(customer__relationship_manager=manager)
    if industry:
        qs = qs.filter(customer__industry_section=industry)
    if customer:
        qs = qs.filter(customer=customer)
    if collector:
        qs = with_active_case_of(qs, collector)
    return qs


def with_active_case_of(invoices, collector):
    """The invoices of the customers whose active collection case ``collector`` works."""
    return invoices.filter(Exists(CollectionCase.objects.filter(customer_id=OuterRef("customer_id"),
                                                                state__in=ACTIVE_CASE_STATES, assigned_to=collector)))


def _rates_values(table: RateTable) -> tuple[str, list, list[str]]:
    """The FX rates into the reporting currency as a SQL ``VALUES`` list: (sql, params, missing currencies).

    Joined to the invoices of the DSO sales (``LEFT JOIN``: an invoice in a currency without a rate gets a
    NULL amount, which every ``SUM`` leaves out, as the ``CASE`` of ``reporting_amount`` does)."""
    rates, missing = rates_to_reporting(table)
    if not rates:  # a VALUES list cannot be empty; no currency has a rate: every amount is NULL
        return "SELECT NULL::varchar, NULL::numeric WHERE FALSE", [], missing
    sql = "VALUES " + ", ".join(["(%s::varchar, %s::numeric)"] * len(rates))
    params = [v for code, rate in rates.items() for v in (code, rate)]
    return sql, params, missing


def _bucket_columns(as_of) -> tuple[str, list]:
    """``SUM(CASE …)`` per bucket over the converted open amounts ``o.amount`` (each row converted once)."""
    columns, params = [], []
    for key, _low, _high in rules.BUCKETS:
        cond = []
        earliest, latest = rules.bucket_date_bounds(key, as_of)
        if earliest is not None:
            cond.append("o.due_date >= %s")
            params.append(earliest)
        if latest is not None:
            cond.append("o.due_date <= %s")
            params.append(latest)
        columns.append(f"SUM(CASE WHEN {' AND '.join(cond) or 'TRUE'} THEN o.amount END) AS {key}")
    columns.append("SUM(o.amount) AS total")
    columns.append("SUM(CASE WHEN o.due_date < %s THEN o.amount END) AS overdue")
    params.append(as_of)
    columns.append("COUNT(*) AS open_count")
    columns.append("MIN(o.due_date) AS oldest_due")
    return ", ".join(columns), params


def _compiled(queryset, empty_columns) -> tuple[str, list]:
    """SQL of a values queryset; a queryset that is empty by construction (``none()``) gives no row."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return f"SELECT {empty_columns} WHERE FALSE", []
    return sql, list(params)


def _open_rows(qs, table) -> tuple[str, list, list[str]]:
    """``WITH r AS (rates), o AS (open invoices of ``qs``: customer, due date, outstanding converted once)``.

    ``qs`` keeps every filter of ``aging_queryset`` (visibility, manager, industry, collector, customer);
    only its open invoices are read here, by the partial index of open invoices in customer order. Each is
    converted once, by a CASE on its currency (no join, so the GROUP BY customer streams in index order; a
    currency without a rate gives NULL, which every SUM leaves out)."""
    rates_sql, rates_params, missing = _rates_values(table)
    inner = (qs.filter(status=InvoiceStatus.OPEN).order_by()
             .annotate(outstanding=outstanding_expression())
             .values("customer_id", "due_date", "currency", "outstanding"))
    inner_sql, inner_params = _compiled(inner, "NULL::bigint AS customer_id, NULL::date AS due_date, "
                                               "NULL::varchar AS currency, NULL::numeric AS outstanding")
    rate_case = ("CASE s.currency " + " ".join(["WHEN %s THEN %s::numeric"] * (len(rates_params) // 2)) + " END"
                 if rates_params else "NULL::numeric")
    sql = (f"WITH r(currency, rate) AS ({rates_sql}), "
           f"o AS (SELECT s.customer_id, s.due_date, s.outstanding * {rate_case} AS amount "
           f"FROM ({inner_sql}) s) ")
    return sql, [*rates_params, *rates_params, *inner_params], missing


def _sales_join(as_of, *, per_row: bool) -> tuple[str, list]:
    """Invoiced sales of the DSO window (full amounts, converted once per row) of each row ``a``, as
    ``sales(amount)``.

    Every filter of ``aging_queryset`` is a property of the customer, so a customer's sales are all its
    invoices issued in the window. For a page (``per_row``) they are read for its rows only (a LATERAL
    subquery by the customer index); for every row (an export) in one GROUP BY over the window (the
    issue-date index)."""
    window = [as_of - dt.timedelta(days=DSO_DAYS), as_of]
    invoices = Invoice._meta.db_table
    if per_row:
        return (f"LEFT JOIN LATERAL (SELECT SUM(i.amount * r.rate) AS amount FROM {invoices} i "
                f"LEFT JOIN r ON r.currency = i.currency WHERE i.customer_id = a.customer_id "
                f"AND i.issue_date > %s AND i.issue_date <= %s) sales ON TRUE ", window)
    return (f"LEFT JOIN (SELECT i.customer_id, SUM(i.amount * r.rate) AS amount FROM {invoices} i "
            f"LEFT JOIN r ON r.currency = i.currency WHERE i.issue_date > %s AND i.issue_date <= %s "
            f"GROUP BY i.customer_id) sales ON sales.customer_id = a.customer_id ", window)


def _finish(row, as_of):
    for key in [*rules.BUCKET_KEYS, "total", "overdue", "sales"]:
        row[key] = rules.cents(row.get(key) or ZERO)
    row["dso"] = rules.dso(row["total"], row["sales"], DSO_DAYS)
    row["max_days_past_due"] = max(rules.days_past_due(row["oldest_due"], as_of), 0) if row.get("oldest_due") else 0
    return row


SORTS = {"total": "total", "overdue": "overdue", "name": "customer__name", "oldest": "oldest_due",
         **{k: k for k in rules.BUCKET_KEYS}}
_SORT_COLUMNS = {"customer__name": "c.name"}


class AgingRows:
    """The aging rows of one customer each, as the pages, the API and the exports read them.

    Behaves as the sliced, counted and iterated queryset it replaces (``rows[a:b]``, ``rows.count()``,
    ``rows.iterator()``, ``list(rows)``; Django's and DRF's paginators take it), but each read is one
    hand-shaped query: the open invoices converted once per row (rates as a VALUES list), grouped by
    ``customer_id`` alone, sorted and cut to the page, and only then joined to the names and the DSO sales of
    the rows returned. A page also brings the number of rows (``COUNT(*) OVER ()``), so ``count()`` after a
    page costs no query."""

    ordered = True
    COLUMNS = ["customer_id", *rules.BUCKET_KEYS, "total", "overdue", "open_count", "oldest_due", "rows_count",
               "customer__name", "customer__relationship_manager__username", "customer__industry_section", "sales"]

    def __init__(self, qs, *, as_of, table, order, descending):
        self.qs, self.as_of, self.table = qs, as_of, table
        self.order, self.descending = order, descending
        self._count = None
        self._cache = None
        self._page = None  # (offset, limit, rows) read by ``prefetch_page``
        self.totals_row = None  # the portfolio's totals read with the page (``prefetch_page``)

    def _ranked(self, limit, offset) -> tuple[str, str, list]:
        """(ORDER BY, the CTE ``p`` of the sorted rows of ``a`` cut to the page with their number, its params)."""
        column = _SORT_COLUMNS.get(self.order, f"a.{self.order}")
        direction = "DESC NULLS LAST" if self.descending else "ASC NULLS LAST"
        order_by = f"{column} {direction}, a.customer_id"
        name_join = f"JOIN {Customer._meta.db_table} c ON c.id = a.customer_id" if column.startswith("c.") else ""
        cut, cut_params = "", []
        if limit is not None:
            cut = "LIMIT %s OFFSET %s"
            cut_params = [limit, offset]
        ranked = f"p AS (SELECT a.*, COUNT(*) OVER () AS rows_count FROM a {name_join} ORDER BY {order_by} {cut}) "
        return order_by, ranked, cut_params

    @staticmethod
    def _page_sql(sales_column: str, sales_sql: str = "") -> tuple[str, str]:
        """(the page's columns, its FROM: the rows ``p`` joined to their customer, manager and ``sales_sql``)."""
        customers = Customer._meta.db_table
        user_table = Customer._meta.get_field("relationship_manager").related_model._meta.db_table
        page_columns = (f"a.customer_id, {', '.join('a.' + k for k in rules.BUCKET_KEYS)}, a.total, a.overdue, "
                        f"a.open_count, a.oldest_due, a.rows_count, c.name, u.username, c.industry_section, "
                        f"{sales_column}")
        page_from = (f"FROM p a JOIN {customers} c ON c.id = a.customer_id "
                     f"LEFT JOIN {user_table} u ON u.id = c.relationship_manager_id {sales_sql}")
        return page_columns, page_from

    @staticmethod
    def _totals_order(order_by: str) -> str:
        return order_by.replace('a.', 'pg.').replace('c.name', 'pg.name')

    def _query(self, limit=None, offset=0, totals=False) -> tuple[str, list]:
        """The rows (``limit``/``offset``: one page) with their number; ``totals``: the portfolio's totals too, from
        the same grouping of the open invoices (one scan for the page and the totals), on every row — and on one
        row of NULL page columns when the page is empty."""
        with_sql, params, _missing = _open_rows(self.qs, self.table)
        buckets, bucket_params = _bucket_columns(self.as_of)
        order_by, ranked, cut_params = self._ranked(limit, offset)
        sales_sql, sales_params = _sales_join(self.as_of, per_row=limit is not None)
        page_columns, page_from = self._page_sql("sales.amount", sales_sql)
        if not totals:
            sql = (with_sql + f", a AS (SELECT o.customer_id, {buckets} FROM o GROUP BY o.customer_id "
                   f"HAVING SUM(o.amount) > 0), {ranked}"
                   f"SELECT {page_columns} {page_from}ORDER BY {order_by}")
            return sql, [*params, *bucket_params, *cut_params, *sales_params]
        window_sql, window_params = _sales_window(self.qs, self.as_of)
        sums = ", ".join(f"SUM(g.{k}) AS t_{k}" for k in [*rules.BUCKET_KEYS, "total", "overdue", "open_count"])
        sql = (with_sql + f", g AS (SELECT o.customer_id, {buckets} FROM o GROUP BY o.customer_id), "
               f"t AS (SELECT {sums}, MIN(g.oldest_due) AS t_oldest_due, COUNT(*) AS t_customers, "
               f"(SELECT SUM(w.amount * r.rate) FROM ({window_sql}) w LEFT JOIN r ON r.currency = w.currency) "
               f"AS t_sales FROM g), "
               f"a AS (SELECT * FROM g WHERE g.total > 0), {ranked}"
               f"SELECT pg.*, t.* FROM t LEFT JOIN (SELECT {page_columns} {page_from}) pg ON TRUE "
               f"ORDER BY {self._totals_order(order_by)}")
        return sql, [*params, *bucket_params, *window_params, *cut_params, *sales_params]

    def _count_sql(self) -> tuple[str, list]:
        with_sql, params, _missing = _open_rows(self.qs, self.table)
        return (with_sql + "SELECT COUNT(*) FROM (SELECT o.customer_id FROM o GROUP BY o.customer_id "
                           "HAVING SUM(o.amount) > 0) a", params)

    def _fetch(self, limit=None, offset=0) -> list[dict]:
        sql, params = self._query(limit, offset)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = [dict(zip(self.COLUMNS, values)) for values in cursor.fetchall()]
        if rows:
            self._count = rows[0]["rows_count"]
        elif offset == 0:
            self._count = 0
        for row in rows:
            del row["rows_count"]
        return rows

    def prefetch_page(self, offset: int, limit: int) -> None:
        """Read the rows ``offset … offset + limit``, the number of rows and the portfolio's totals in one
        statement (what a page asks next: ``count()``, a slice within them and ``portfolio_totals()``, answered
        without another query)."""
        sql, params = self._query(limit, offset, totals=True)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            names = [c.name for c in cursor.description]
            raw = cursor.fetchall()
        width = len(self.COLUMNS)
        totals = dict(zip(names[width:], raw[0][width:])) if raw else {}
        self.totals_row = {key[2:]: value for key, value in totals.items()}
        rows = [dict(zip(self.COLUMNS, values[:width])) for values in raw if values[0] is not None]
        if rows:
            self._count = rows[0]["rows_count"]
        elif offset == 0:
            self._count = 0
        else:
            self._count = None  # past the end: the count is not known from an empty page
        for row in rows:
            del row["rows_count"]
        self._page = (offset, limit, rows)

    def count(self) -> int:
        if self._cache is not None:
            return len(self._cache)
        if self._count is None:
            with connection.cursor() as cursor:
                cursor.execute(*self._count_sql())
                self._count = cursor.fetchone()[0]
        return self._count

    def __getitem__(self, key):
        if isinstance(key, int):
            if key < 0:
                raise IndexError("negative indexing is not supported")
            rows = self[key:key + 1]
            if not rows:
                raise IndexError(key)
            return rows[0]
        if not isinstance(key, slice) or key.step not in (None, 1) or (key.start or 0) < 0 \
                or (key.stop is not None and key.stop < 0):
            raise TypeError("AgingRows takes a non-negative slice")
        if self._cache is not None:
            return self._cache[key]
        start = key.start or 0
        if self._page is not None and key.stop is not None:
            offset, limit, rows = self._page
            if offset <= start and key.stop <= offset + limit:
                return rows[start - offset:key.stop - offset]
        if key.stop is None:
            return self._fetch(None, 0)[start:]
        if key.stop <= start:
            return []
        return self._fetch(key.stop - start, start)

    def __iter__(self):
        if self._cache is None:
            self._cache = self._fetch()
        return iter(self._cache)

    def __len__(self):
        if self._cache is None:
            self._cache = self._fetch()
        return len(self._cache)

    def iterator(self, chunk_size=2000):
        """Every row (one query; ``chunk_size`` is accepted for the queryset's signature)."""
        yield from (self._cache if self._cache is not None else self._fetch())


# Other databases than PostgreSQL (the embedded SQLite) read the aging through the ORM: one GROUP BY
# customer with the currency CASE in each aggregate (the statement the PostgreSQL path replaces).

def _orm_aggregates(as_of, table):
    converted = reporting_amount(table)
    full = reporting_amount(table, F("amount"))
    window_start = as_of - dt.timedelta(days=DSO_DAYS)
    sums = {}
    for key, _low, _high in rules.BUCKETS:
        earliest, latest = rules.bucket_date_bounds(key, as_of)
        cond = Q(status=InvoiceStatus.OPEN)
        if earliest is not None:
            cond &= Q(due_date__gte=earliest)
        if latest is not None:
            cond &= Q(due_date__lte=latest)
        sums[key] = Sum(converted, filter=cond)
    return {
        **sums,
        "total": Sum(converted, filter=Q(status=InvoiceStatus.OPEN)),
        "overdue": Sum(converted, filter=Q(status=InvoiceStatus.OPEN, due_date__lt=as_of)),
        "sales": Sum(full, filter=Q(issue_date__gt=window_start, issue_date__lte=as_of)),
        "open_count": Count("pk", filter=Q(status=InvoiceStatus.OPEN)),
        "oldest_due": Min("due_date", filter=Q(status=InvoiceStatus.OPEN)),
    }


def _orm_aging_rows(qs, as_of, table, order, descending):
    return (qs.values("customer_id", "customer__name", "customer__relationship_manager__username",
                      "customer__industry_section")
            .annotate(**_orm_aggregates(as_of, table))
            .filter(total__gt=0)
            .order_by(F(order).desc(nulls_last=True) if descending else F(order).asc(nulls_last=True), "customer_id"))


def aging_by_customer(qs, *, as_of=None, sort="-total", summary=None, table=None):
    """Aging per customer: returns (``AgingRows``, missing currencies, finisher); ``AgingRows`` reads by page.

    ``summary``: the same customers' rows of the summary (``aging_summary``, ``None`` when it is not valid):
    read instead of grouping the open invoices ``qs``."""
    as_of = as_of or clock.today()
    table = table or RateTable(as_of)
    _rates, missing = rates_to_reporting(table)
    key = sort.lstrip("-")
    order = SORTS.get(key, "total")
    descending = sort.startswith("-")
    if summary is not None:
        from .aging_summary import summary_rows

        rows = summary_rows(summary, as_of=as_of, table=table, order=order, descending=descending)
    elif connection.vendor == "postgresql":
        rows = AgingRows(qs, as_of=as_of, table=table, order=order, descending=descending)
    else:
        rows = _orm_aging_rows(qs, as_of, table, order, descending)
    return rows, missing, lambda row: _finish(dict(row), as_of)


def _sales_window(qs, as_of, *, by_customer=False) -> tuple[str, list]:
    """SQL of the full amounts and currencies (``by_customer``: and customers) of ``qs``'s invoices issued in the
    DSO window (the issue-date index)."""
    window = qs.order_by().filter(issue_date__gt=as_of - dt.timedelta(days=DSO_DAYS), issue_date__lte=as_of)
    if by_customer:
        return _compiled(window.values("customer_id", "amount", "currency"),
                         "NULL::bigint AS customer_id, NULL::numeric AS amount, NULL::varchar AS currency")
    return _compiled(window.values("amount", "currency"), "NULL::numeric AS amount, NULL::varchar AS currency")


# --- the per-customer statement of the summary (``models.CustomerAging``) -------------------------
# The refresh (``services.aging_summary_refresh``) stores what these yield; they are built from the same
# pieces as the live page (``_open_rows``, ``_bucket_columns``, ``_sales_window``, ``_orm_aggregates``).

SUMMARY_COLUMNS = ["customer_id", *rules.BUCKET_KEYS, "total", "overdue", "open_count", "oldest_due", "sales"]


def aging_summary_select(qs, *, as_of, table) -> tuple[str, list]:
    """PostgreSQL: one row per customer of ``qs`` (an ``aging_invoices`` queryset) with ``SUMMARY_COLUMNS``:
    the open amounts grouped as ``AgingRows`` groups them (every customer with an open invoice, whatever its
    total) joined in full to the sales of the DSO window (customers with sales and nothing open too)."""
    with_sql, params, _missing = _open_rows(qs, table)
    buckets, bucket_params = _bucket_columns(as_of)
    window_sql, window_params = _sales_window(qs, as_of, by_customer=True)
    keys = [*rules.BUCKET_KEYS, "total", "overdue"]
    sql = (with_sql + f", g AS (SELECT o.customer_id, {buckets} FROM o GROUP BY o.customer_id), "
           f"s AS (SELECT w.customer_id, SUM(w.amount * r.rate) AS amount FROM ({window_sql}) w "
           f"LEFT JOIN r ON r.currency = w.currency GROUP BY w.customer_id) "
           f"SELECT COALESCE(g.customer_id, s.customer_id) AS customer_id, {', '.join('g.' + k for k in keys)}, "
           f"COALESCE(g.open_count, 0) AS open_count, g.oldest_due, s.amount AS sales "
           f"FROM g FULL JOIN s ON s.customer_id = g.customer_id")
    return sql, [*params, *bucket_params, *window_params]


def aging_summary_values(qs, *, as_of, table):
    """Other databases: the same rows through the ORM (``_orm_aggregates``), as dicts of ``SUMMARY_COLUMNS``."""
    return qs.order_by().values("customer_id").annotate(**_orm_aggregates(as_of, table))


def _portfolio_result(row, as_of, missing) -> dict:
    result = _finish(row, as_of)
    result["missing_rates"] = missing
    result["currency"] = settings.REPORTING_CURRENCY
    return result


def aging_portfolio(qs, *, as_of=None, rows=None, summary=None, table=None) -> dict:
    """Totals of the aging: one pass over the open invoices (converted once per row) and one over the sales
    of the DSO window (by the issue-date index). ``rows``: the page's ``AgingRows`` — when its page was read
    with the totals (``prefetch_page``), they are taken from it, no statement here. ``summary``: as for
    ``aging_by_customer``, the sums of the summary's rows instead of the open invoices."""
    as_of = as_of or clock.today()
    table = table or RateTable(as_of)
    if rows is not None and getattr(rows, "totals_row", None) is not None:
        return _portfolio_result(dict(rows.totals_row), as_of, rates_to_reporting(table)[1])
    if summary is not None:
        from .aging_summary import summary_totals

        return _portfolio_result(summary_totals(summary), as_of, rates_to_reporting(table)[1])
    if connection.vendor != "postgresql":
        row = qs.aggregate(**_orm_aggregates(as_of, table), customers=Count("customer_id", distinct=True,
                                                                           filter=Q(status=InvoiceStatus.OPEN)))
        return _portfolio_result(row, as_of, rates_to_reporting(table)[1])
    with_sql, params, missing = _open_rows(qs, table)
    buckets, bucket_params = _bucket_columns(as_of)
    window_sql, window_params = _sales_window(qs, as_of)
    with connection.cursor() as cursor:
        cursor.execute(with_sql + f"SELECT {buckets}, COUNT(DISTINCT o.customer_id) AS customers, "
                                  f"(SELECT SUM(w.amount * r.rate) FROM ({window_sql}) w "
                                  f"LEFT JOIN r ON r.currency = w.currency) AS sales FROM o",
                       [*params, *bucket_params, *window_params])
        names = [c.name for c in cursor.description]
        row = dict(zip(names, cursor.fetchone()))
    return _portfolio_result(row, as_of, missing)


# What people see for each aging bucket key (the aging page, its exports and the dashboard share them).
AGING_BUCKET_LABELS = {
    "current": gettext_lazy("Current"), "d1_30": gettext_lazy("1–30"), "d31_60": gettext_lazy("31–60"),
    "d61_90": gettext_lazy("61–90"), "d91_180": gettext_lazy("91–180"), "d181_360": gettext_lazy("181–360"),
    "over_360": gettext_lazy("> 360"),
}


def _open_invoices_with_terms(customer, shown: int = 50, scanned: int = 500):
    """The first ``shown`` open invoices by due date, each with its ``term`` (``terms.invoice_terms``), and those
    among the first ``scanned`` issued on a term beyond the customer's (trade credit, issue 23)."""
    from .terms import invoice_terms

    rows = list(Invoice.objects.filter(customer=customer, status=InvoiceStatus.OPEN).order_by("due_date", "pk")
                [:scanned])
    terms = invoice_terms(rows)
    for row in rows:
        row.term = terms[row.pk]
    return rows[:shown], [row for row in rows if row.term["beyond"]]


def customer_tab(customer, user) -> dict:
    """Context of the customer page's "Collections" tab (the customer is already checked as visible)."""
    as_of = clock.today()
    qs = aging_queryset(user=user, as_of=as_of, customer=customer)
    aging = aging_portfolio(qs, as_of=as_of)
    labels = [("current", "0"), ("d1_30", "1–30"), ("d31_60", "31–60"), ("d61_90", "61–90"),
              ("d91_180", "91–180"), ("d181_360", "181–360"), ("over_360", "> 360")]
    active_case = CollectionCase.objects.active().filter(customer=customer).select_related("assigned_to").first()
    open_invoices, beyond_terms = _open_invoices_with_terms(customer)
    return {"collections": {
        "aging": aging, "buckets": labels,
        "open_invoices": open_invoices,
        "beyond_terms": beyond_terms,
        "active_case": active_case,
        # the "Open a case" button: the right to open one, and no active case yet
        "may_open_case": active_case is None and user.has_perm("collection.add_collectioncase"),
        "dunning": DunningAction.objects.filter(customer=customer).order_by("-business_date", "-pk")[:20],
    }}


