"""Chain the events stored before the hash chain existed, and on PostgreSQL refuse TRUNCATE of the trail.

Row triggers do not fire on TRUNCATE: a statement-level BEFORE TRUNCATE trigger refuses it, unless the
session has set ``creditportal.allow_truncate = 'on'``. Only the test suite does that (tests/conftest.py,
for pytest-django's flush between transactional tests); no portal code sets it. Whoever can set it can also
drop the trigger: the trigger stops mistakes and the application's own connections, the database's
privileges stop the rest, and the hash chain shows what was changed.

Idempotent (the tests replay data migrations after a flush): only events without a chain hash are linked.
"""
from django.db import migrations

TRUNCATE = """
CREATE OR REPLACE FUNCTION audit_event_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('creditportal.allow_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: TRUNCATE refused' USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_truncate();
"""
DROP_TRUNCATE = """
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_refuse_truncate();
"""


def chain_existing(apps, schema_editor):
    from audit import chain

    event_model = apps.get_model("audit", "AuditEvent")
    alias = schema_editor.connection.alias
    events = event_model.objects.using(alias)
    if not events.filter(chain_hash="").exists():
        return
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        # the UPDATE that fills the new column, and only it, runs with the row trigger off (ALTER TABLE holds
        # an exclusive lock on the table until the migration commits: nobody writes meanwhile)
        schema_editor.execute("SELECT pg_advisory_xact_lock(%s)", params=[chain.LOCK_KEY])
        schema_editor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only", params=None)
    previous = chain.GENESIS
    batch = []
    fields = ["id", "chain_hash", *chain.CHAINED_FIELDS]
    for row in events.order_by("id").values(*fields).iterator(chunk_size=2000):
        if not row["chain_hash"]:
            row["chain_hash"] = chain.link(previous, row)
            batch.append(event_model(id=row["id"], chain_hash=row["chain_hash"]))
        previous = row["chain_hash"]
        if len(batch) >= 1000:
            events.bulk_update(batch, ["chain_hash"], batch_size=1000)
            batch = []
    if batch:
        events.bulk_update(batch, ["chain_hash"], batch_size=1000)
    if postgres:
        schema_editor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only", params=None)


def create_truncate_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRUNCATE, params=None)


def drop_truncate_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRUNCATE, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_chain_hash")]
    operations = [
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.RunPython(create_truncate_trigger, drop_truncate_trigger),
    ]
