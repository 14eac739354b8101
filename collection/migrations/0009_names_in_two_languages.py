"""Names in two fields, one per language (``creditportal.core.naming``)."""
from django.db import migrations, models

APP = 'collection'
MODELS = ["DunningPolicy", "DunningLevel"]


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
    # the shipped policy was named in English only
    policy_model = apps.get_model(APP, "DunningPolicy")
    if not policy_model.objects.filter(name="标准").exists():
        policy_model.objects.filter(name="Standard", name_en="").update(name="标准", name_en="Standard")


def join_names(apps, schema_editor):
    for model_name in MODELS:
        model = apps.get_model(APP, model_name)
        for row in model.objects.exclude(name_en=""):
            row.name = f"{row.name} {row.name_en}"[:100]
            row.save(update_fields=["name"])



class Migration(migrations.Migration):

    dependencies = [
        ('collection', '0008_capitalised_choice_labels'),
    ]

    operations = [
        migrations.AddField(
            model_name='dunninglevel',
            name='name_en',
            field=models.CharField(blank=True, default='', max_length=100, verbose_name='name (English)'),
        ),
        migrations.AddField(
            model_name='dunningpolicy',
            name='name_en',
            field=models.CharField(blank=True, default='', max_length=100, verbose_name='name (English)'),
        ),
        migrations.RunPython(split_names, join_names),
    ]
