"""The behaviour window is a setting of each rating model now (copied there by 0007)."""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("ratings", "0007_seed_grade_meanings_and_missing_data"),
    ]

    operations = [
        migrations.RemoveField(
            model_name='ratingspolicy',
            name='behaviour_window_months',
        ),
    ]
