"""The shipped warning rules of the insurer's deadlines (idempotent: keyed by rule code)."""
from django.db import migrations

CODES = {"insurer-notice-due", "insurer-claim-due"}


def load(apps, schema_editor):
    from monitoring.defaults import rule_dicts

    WarningRule = apps.get_model("monitoring", "WarningRule")
    for data in rule_dicts():
        code = data.pop("code")
        if code in CODES:
            WarningRule.objects.get_or_create(code=code, defaults=data)


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0010_alter_warningrule_metric")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
