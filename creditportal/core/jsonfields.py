"""JSON fields for large snapshots.

Django 5.2 inserts ``bulk_create`` rows on PostgreSQL as ``SELECT * FROM UNNEST(%s::jsonb[], …)``: psycopg 3
then dumps every JSON value of the batch into one text array literal, escaping each ``"`` with a regular
expression, which costs more than the rest of the insert for snapshots of several kB (measured in
bench/FINDINGS.md, "ratings — the nightly batch", cause 1). A field that defines ``get_placeholder`` makes
Django use a plain ``VALUES (…), (…)`` list instead, where each value is sent as its own ``jsonb`` parameter.
"""
from django.db import models


class SnapshotJSONField(models.JSONField):
    """A ``JSONField`` whose bulk inserts use a VALUES list (one parameter per value, no array literal)."""

    def get_placeholder(self, value, compiler, connection):
        return "%s"
