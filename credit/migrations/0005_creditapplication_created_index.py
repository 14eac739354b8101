"""An index for the application list's order (``-created_at, -id``): the bench found every page sorting all
applications (231 ms → 1 ms on 72,610 applications; bench/RESULTS.md, finding 7b)."""
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("credit", "0004_workflow_permissions")]

    operations = [
        migrations.AddIndex(
            model_name="creditapplication",
            index=models.Index(fields=["-created_at", "-id"], name="credit_app_created_idx"),
        ),
    ]
