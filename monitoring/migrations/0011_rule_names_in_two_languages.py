"""Warning rules' names and descriptions in two fields, one per language (``name``/``name_en``,
``description``/``description_en``): the shipped rules, which carried both run together ("逾期超过 30 天
Invoices overdue more than 30 days"), are split; a name a risk administrator wrote in one language stays in
``name`` (a Chinese one followed by an English one is split too)."""
from django.db import migrations, models


def forwards(apps, schema_editor):
    from creditportal.core.naming import split_bilingual
    from monitoring.defaults import DEFAULT_RULES, bilingual, two_languages

    WarningRule = apps.get_model("monitoring", "WarningRule")
    shipped = {}
    for code, name, *_rest, description in DEFAULT_RULES:
        shipped[code] = (bilingual(code, name, description), (name, description), two_languages(code, name, description))
    for rule in WarningRule.objects.all():
        changed = []
        known = shipped.get(rule.code)
        if known and rule.name in (known[0][0], known[1][0]):
            rule.name, rule.name_en = known[2][0], known[2][1]
            changed += ["name", "name_en"]
        elif not rule.name_en:
            chinese, english = split_bilingual(rule.name)
            if english:
                rule.name, rule.name_en = chinese, english
                changed += ["name", "name_en"]
        if known and rule.description in (known[0][1], known[1][1]):
            rule.description, rule.description_en = known[2][2], known[2][3]
            changed += ["description", "description_en"]
        if changed:
            rule.save(update_fields=changed)


def backwards(apps, schema_editor):
    WarningRule = apps.get_model("monitoring", "WarningRule")
    for rule in WarningRule.objects.exclude(name_en=""):
        rule.name = f"{rule.name} {rule.name_en}".strip()
        rule.description = f"{rule.description} {rule.description_en}".strip()
        rule.save(update_fields=["name", "description"])


class Migration(migrations.Migration):

    dependencies = [
        ('monitoring', '0010_capitalised_choice_labels'),
    ]

    operations = [
        migrations.AddField(
            model_name='warningrule',
            name='description_en',
            field=models.TextField(blank=True, default='', verbose_name='description (English)'),
        ),
        migrations.AddField(
            model_name='warningrule',
            name='name_en',
            field=models.CharField(blank=True, default='', max_length=200, verbose_name='name (English)'),
        ),
        migrations.RunPython(forwards, backwards),
    ]
