"""The database forgets a customer's ``LatestAnalysis`` when any of its statements is written, by any path.

The statement services refresh the analysis in their own transaction; the triggers make sure that a write around
them (a data fix in SQL, a bulk load, a test's ``objects.create``) can never leave a stale analysis behind: the
row is deleted and the readers compute until the next refresh. Installed after every ``migrate``
(``post_migrate``, idempotent) rather than in a migration, because SQLite drops a table's triggers whenever a
migration rebuilds the table. PostgreSQL: one statement-level trigger per operation (transition tables: a COPY
of millions of rows costs one DELETE); SQLite: row-level triggers.
"""
from __future__ import annotations

STATEMENTS = "customers_financialstatement"
ANALYSES = "customers_latestanalysis"

_POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION customers_latest_analysis_forget() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        DELETE FROM {ANALYSES} WHERE customer_id IN (SELECT customer_id FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM {ANALYSES} WHERE customer_id IN (SELECT customer_id FROM old_rows);
    ELSE
        DELETE FROM {ANALYSES} WHERE customer_id IN
            (SELECT customer_id FROM new_rows UNION SELECT customer_id FROM old_rows);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS customers_latest_analysis_insert ON {STATEMENTS};
DROP TRIGGER IF EXISTS customers_latest_analysis_update ON {STATEMENTS};
DROP TRIGGER IF EXISTS customers_latest_analysis_delete ON {STATEMENTS};
CREATE TRIGGER customers_latest_analysis_insert AFTER INSERT ON {STATEMENTS}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customers_latest_analysis_forget();
CREATE TRIGGER customers_latest_analysis_update AFTER UPDATE ON {STATEMENTS}
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION customers_latest_analysis_forget();
CREATE TRIGGER customers_latest_analysis_delete AFTER DELETE ON {STATEMENTS}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION customers_latest_analysis_forget();
"""

_SQLITE = [
    f"CREATE TRIGGER IF NOT EXISTS customers_latest_analysis_insert AFTER INSERT ON {STATEMENTS} BEGIN "
    f"DELETE FROM {ANALYSES} WHERE customer_id = NEW.customer_id; END",
    f"CREATE TRIGGER IF NOT EXISTS customers_latest_analysis_update AFTER UPDATE ON {STATEMENTS} BEGIN "
    f"DELETE FROM {ANALYSES} WHERE customer_id IN (OLD.customer_id, NEW.customer_id); END",
    f"CREATE TRIGGER IF NOT EXISTS customers_latest_analysis_delete AFTER DELETE ON {STATEMENTS} BEGIN "
    f"DELETE FROM {ANALYSES} WHERE customer_id = OLD.customer_id; END",
]


def install(using: str = "default", **kwargs) -> None:
    """(Re)create the triggers on ``using`` once both tables exist (a ``post_migrate`` receiver)."""
    from django.db import connections

    connection = connections[using]
    tables = set(connection.introspection.table_names())
    if STATEMENTS not in tables or ANALYSES not in tables:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_POSTGRESQL)
        elif connection.vendor == "sqlite":
            for sql in _SQLITE:
                cursor.execute(sql)
