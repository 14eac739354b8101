"""The snapshots taken before ``segment_totals`` existed get them, summed from their lines (what
``provisions.selectors.snapshot_segment_totals`` stores when a snapshot is taken); the lines and the SHA-256
stay as they are."""
from django.db import migrations


def forwards(apps, schema_editor):
    from provisions import selectors

    AgingSnapshot = apps.get_model("provisions", "AgingSnapshot")
    for pk in AgingSnapshot.objects.filter(segment_totals={}).values_list("pk", flat=True):
        AgingSnapshot.objects.filter(pk=pk).update(segment_totals=selectors.snapshot_segment_totals(pk))


class Migration(migrations.Migration):
    dependencies = [("provisions", "0004_snapshot_segment_totals")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
