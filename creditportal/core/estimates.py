"""The planner's row estimate of a whole table, remembered a minute per process (the big lists' counts)."""
import time

from django.db import connections
from django.db.models import QuerySet


ESTIMATE_SECONDS = 60  # each process asks the catalogue at most once a minute per table
_estimates: dict[tuple[str, str], tuple[float, int | None]] = {}


def forget_table_estimates() -> None:
    _estimates.clear()


def table_estimate(using: str, table: str) -> int | None:
    """The planner's row estimate of ``table`` (``pg_class.reltuples`` of the last ANALYZE — kept by
    autovacuum — scaled to the table's current size in pages, as the planner does), remembered for
    ``ESTIMATE_SECONDS`` in this process. ``None`` when the table was never analysed or not on PostgreSQL."""
    now = time.monotonic()
    remembered = _estimates.get((using, table))
    if remembered and remembered[0] > now:
        return remembered[1]
    connection = connections[using]
    estimate = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT CASE WHEN reltuples < 0 THEN NULL WHEN relpages = 0 THEN reltuples::bigint"
                " ELSE (reltuples / relpages * (pg_relation_size(oid) / current_setting('block_size')::int))::bigint"
                " END FROM pg_class WHERE oid = to_regclass(%s)", [connection.ops.quote_name(table)])
            row = cursor.fetchone()
        estimate = int(row[0]) if row and row[0] is not None else None
    _estimates[(using, table)] = (now + ESTIMATE_SECONDS, estimate)
    return estimate


def whole_table(queryset) -> tuple[str, str] | None:
    """``(database, table)`` when the queryset lists that whole table — no WHERE (so no visibility
    restriction either), no DISTINCT, GROUP BY or set operation — otherwise ``None``."""
    if not isinstance(queryset, QuerySet):
        return getattr(queryset, "whole_table", None)  # StatementRows: decided when it was compiled
    query = queryset.query
    if (query.where or query.distinct or query.group_by is not None or query.combinator
            or query.low_mark or query.high_mark is not None or query.is_empty()):
        return None
    return (queryset.db, queryset.model._meta.db_table)


def unfiltered_table_estimate(queryset):
    """``table_estimate`` of the queryset's table when the queryset lists that whole table (``whole_table``),
    otherwise ``None``."""
    table = whole_table(queryset)
    return table_estimate(*table) if table else None
