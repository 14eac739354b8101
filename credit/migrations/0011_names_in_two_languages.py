"""Names in two fields, one per language (``creditportal.core.naming``)."""
from django.db import migrations, models

APP = 'credit'
MODELS = ["AuthorityLevel", "CreditPolicy"]


def split_names(apps, schema_editor):
    """A name written "中文 English" (the shipped and demo rows) goes into its two fields."""
    from creditportal.core.naming import split_bilingual

    for model_name in MODELS:
        model = apps.get_model(APP, model_name)
        for row in model.objects.filter(name_en=""):
            chinese, english = split_bilingual(row.name)
            if english:
                row.name, row.name_en = chinese, english
                row.save(update_fields=["name", "name_en"])


def join_names(apps, schema_editor):
    for model_name in MODELS:
        model = apps.get_model(APP, model_name)
        for row in model.objects.exclude(name_en=""):
            row.name = f"{row.name} {row.name_en}"[:100]
            row.save(update_fields=["name"])



class Migration(migrations.Migration):

    dependencies = [
        ('credit', '0010_capitalised_choice_labels'),
    ]

    operations = [
        migrations.AddField(
            model_name='authoritylevel',
            name='name_en',
            field=models.CharField(blank=True, default='', max_length=100, verbose_name='name (English)'),
        ),
        migrations.AddField(
            model_name='creditpolicy',
            name='name_en',
            field=models.CharField(blank=True, default='', max_length=200, verbose_name='name (English)'),
        ),
        migrations.RunPython(split_names, join_names),
    ]
