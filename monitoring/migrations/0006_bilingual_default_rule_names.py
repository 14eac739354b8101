"""The shipped warning rules get their Chinese name and description beside the English one (a rule a risk
administrator renamed or re-described keeps its text)."""
from django.db import migrations


def forwards(apps, schema_editor):
    from monitoring.defaults import DEFAULT_RULES, bilingual

    WarningRule = apps.get_model("monitoring", "WarningRule")
    for code, name, *_rest, description in DEFAULT_RULES:
        rule = WarningRule.objects.filter(code=code).first()
        if rule is None:
            continue
        new_name, new_description = bilingual(code, name, description)
        changed = []
        if rule.name == name:
            rule.name = new_name
            changed.append("name")
        if rule.description == description:
            rule.description = new_description
            changed.append("description")
        if changed:
            rule.save(update_fields=changed)


def backwards(apps, schema_editor):
    from monitoring.defaults import DEFAULT_RULES, bilingual

    WarningRule = apps.get_model("monitoring", "WarningRule")
    for code, name, *_rest, description in DEFAULT_RULES:
        new_name, new_description = bilingual(code, name, description)
        WarningRule.objects.filter(code=code, name=new_name).update(name=name)
        WarningRule.objects.filter(code=code, description=new_description).update(description=description)


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0005_provision_rate_change")]
    operations = [migrations.RunPython(forwards, backwards)]
