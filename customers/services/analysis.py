"""The kept analyses of each customer's latest statement (``models.LatestAnalysis``): what
``selectors.latest_ratios_for`` returns, so the nightly re-rating and the peers read one row per customer instead
of reading and analysing every statement every night.

Kept true by the writes: the statement services call ``latest_analysis_refresh(customer_ids=[…])`` in their
transaction; any other write of a statement makes the database delete the customer's row (``customers.triggers``).
Nightly (beat ``customers-latest-analyses``, before the peers and the re-rating) the rows that are missing or were
computed under other rules are recomputed; the demo load and the generator refresh them all at their end.
A derived copy, not a record: no audit trail.
"""
from __future__ import annotations

from django.db import transaction

from .. import selectors
from ..models import FinancialStatement, LatestAnalysis

CHUNK = selectors.CHUNK


def latest_analysis_refresh(*, customer_ids=None, stale_only: bool = False) -> int:
    """(Re)compute the kept analyses of ``customer_ids`` (default: every customer with a statement); with
    ``stale_only`` only those missing or computed under other rules. One transaction per 2,000 customers (the
    caller's, when it has one). Returns the number of rows written."""
    if customer_ids is None:
        ids = FinancialStatement.objects.values_list("customer_id", flat=True).distinct()
    else:
        ids = FinancialStatement.objects.filter(
            customer_id__in=sorted({int(getattr(c, "pk", c)) for c in customer_ids})
        ).values_list("customer_id", flat=True).distinct()
    if stale_only:
        ids = ids.exclude(customer_id__in=LatestAnalysis.objects.filter(
            rules_version=selectors.ANALYSIS_VERSION).values("customer_id"))
    ids = sorted(ids.order_by())
    written = 0
    for start in range(0, len(ids), CHUNK):
        written += _refresh_chunk(ids[start:start + CHUNK])
    if customer_ids is not None and not ids:
        # customers left without statements (none can be deleted today): nothing to keep
        LatestAnalysis.objects.filter(customer_id__in=[int(getattr(c, "pk", c)) for c in customer_ids]).delete()
    return written


@transaction.atomic
def _refresh_chunk(ids: list[int]) -> int:
    analysed = selectors.latest_analysed(ids)
    stored = LatestAnalysis.objects.filter(customer_id__in=ids)
    stored._raw_delete(stored.db)  # no row refers to an analysis: no collector, one DELETE
    LatestAnalysis.objects.bulk_create([
        LatestAnalysis(customer_id=customer_id, statement_id=latest["statement_id"],
                       rules_version=selectors.ANALYSIS_VERSION, analysis=selectors.stored_analysis(latest))
        for customer_id, latest in analysed.items()])
    return len(analysed)
