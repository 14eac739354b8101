"""The aging summary (``models.CustomerAging``): each customer's aging, refreshed set-wise from the live
aging's own statement (``selectors.aging_summary_select`` / ``aging_summary_values``: the same open rows,
bucket columns and DSO sales as the page), so the bucket rule has one home.

Kept true by the writes: every service that writes invoices, payments, allocations, claim payouts or
write-offs calls ``aging_summary_refresh(customer_ids=[…])`` in its transaction (one customer: one cheap
statement by the customer index). The whole summary is refreshed nightly (beat ``collection-aging-summary``,
just after midnight) and at the end of the demo load; only a whole refresh marks it complete for its date
(``AgingSummaryState``, with the digest of the FX rates it used: a change of rates makes the readers compute
live until the next whole refresh). A derived copy, not a record: no audit trail.
"""
from __future__ import annotations

from django.db import connection, transaction

from creditportal.core import clock
from creditportal.core.money import RateTable

from .. import selectors
from ..models import AgingSummaryState, CustomerAging, Invoice
from ..selectors.aging import SUMMARY_COLUMNS
from ..selectors._common import rates_to_reporting


@transaction.atomic
def aging_summary_refresh(*, as_of=None, customer_ids=None) -> int:
    """(Re)compute the summary's rows for ``as_of`` (default today): of ``customer_ids``, or of every customer
    (then the summary is marked complete for ``as_of``). Returns the number of rows written."""
    as_of = as_of or clock.today()
    table = RateTable(as_of)
    invoices = selectors.aging_invoices(Invoice.objects.all(), as_of=as_of)
    stored = CustomerAging.objects.all()
    if customer_ids is not None:
        ids = sorted({int(getattr(c, "pk", c)) for c in customer_ids})
        if not ids:
            return 0
        invoices = invoices.filter(customer_id__in=ids)
        stored = stored.filter(customer_id__in=ids)
    stored._raw_delete(stored.db)  # no row refers to the summary: no collector, one DELETE
    if connection.vendor == "postgresql":
        written = _insert_sql(invoices, as_of, table)
    else:
        written = _insert_orm(invoices, as_of, table)
    if customer_ids is None:
        AgingSummaryState.objects.update_or_create(pk=1, defaults={
            "as_of": as_of, "rates_digest": selectors.rates_digest(table),
            "missing_rates": rates_to_reporting(table)[1]})
    return written


def _insert_sql(invoices, as_of, table) -> int:
    select_sql, params = selectors.aging_summary_select(invoices, as_of=as_of, table=table)
    columns = ", ".join(f'"{c}"' for c in SUMMARY_COLUMNS)
    updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in [*SUMMARY_COLUMNS[1:], "as_of", "refreshed_at"])
    sql = (f'INSERT INTO "{CustomerAging._meta.db_table}" ({columns}, "as_of", "refreshed_at") '
           f"SELECT x.*, %s::date, now() FROM ({select_sql}) x "
           f'ON CONFLICT ("customer_id") DO UPDATE SET {updates}')
    with connection.cursor() as cursor:
        cursor.execute(sql, [as_of, *params])
        return cursor.rowcount


def _insert_orm(invoices, as_of, table) -> int:
    rows = [CustomerAging(as_of=as_of, **{c: row.get(c) for c in SUMMARY_COLUMNS})
            for row in selectors.aging_summary_values(invoices, as_of=as_of, table=table)]
    CustomerAging.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def aging_summary_invalidate() -> None:
    """The summary no longer answers (e.g. rates corrected by hand): readers compute live until a whole refresh."""
    AgingSummaryState.objects.filter(pk=1).delete()
