"""Issue 23: two warning metrics (under-used limits, a sharp change of the payment pattern) and their shipped rules
(disabled until a risk administrator enables them; idempotent, keyed by the rule code)."""
from django.db import migrations, models


def load(apps, schema_editor):
    from monitoring.defaults import SHIPPED_DISABLED, rule_dicts

    WarningRule = apps.get_model("monitoring", "WarningRule")
    for data in rule_dicts():
        code = data.pop("code")
        if code in SHIPPED_DISABLED:
            WarningRule.objects.get_or_create(code=code, defaults=data)


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0009_rule_and_rate_changes_on_proposals")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
