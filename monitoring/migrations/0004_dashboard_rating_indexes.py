"""Indexes on the ratings table that serve the portfolio dashboard (monitoring.selectors; bench/FINDINGS.md 10).

The ratings table is wide (each rating carries its model definition, input snapshot and result as JSONB:
~240 MB of heap for 153k ratings on the full portfolio), so reading the grade of each customer from the heap
costs a scan of all of it. Two covering partial indexes let the dashboard read grades by index-only scans:

* ``rating_current_grade``: the current (approved) rating's grade per customer: exposure by grade and the
  number of rated customers by grade;
* ``rating_grade_history``: approved and superseded ratings in (customer, approval date, id) order with their
  grade: the grade of each customer on a date (``DISTINCT ON (customer_id)``) for the migration matrix.

They are PostgreSQL-only (INCLUDE, partial): other databases keep the ratings app's own indexes. They live
here, next to the reads they serve, rather than in the ratings app's models.
"""
from django.db import migrations

CREATE = [
    "CREATE INDEX IF NOT EXISTS rating_current_grade ON ratings_rating (customer_id) INCLUDE (grade) "
    "WHERE state = 'approved'",
    "CREATE INDEX IF NOT EXISTS rating_grade_history ON ratings_rating (customer_id, approved_on DESC, id DESC) "
    "INCLUDE (grade, state) WHERE state IN ('approved', 'superseded')",
]
DROP = ["DROP INDEX IF EXISTS rating_grade_history", "DROP INDEX IF EXISTS rating_current_grade"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("monitoring", "0003_provision_rate_help_text"),
        ("ratings", "0002_default_scale_and_model"),
    ]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
