"""Shipped warning rules and provision rates (idempotent: keyed by rule code and tier)."""
from django.db import migrations


def load(apps, schema_editor):
    from monitoring.defaults import DEFAULT_RATES, rule_dicts

    WarningRule = apps.get_model("monitoring", "WarningRule")
    ProvisionRate = apps.get_model("monitoring", "ProvisionRate")
    for data in rule_dicts(legacy=True):
        code = data.pop("code")
        WarningRule.objects.get_or_create(code=code, defaults=data)
    for tier, rate in DEFAULT_RATES.items():
        ProvisionRate.objects.get_or_create(tier=tier, defaults={"rate": rate})


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
