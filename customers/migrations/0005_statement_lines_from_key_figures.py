"""Data: every statement entered before the detailed chart keeps each figure as a line of ``customers.chart``
(the key-figure columns map to codes through ``chart.KEY_FIGURES``); its layout stays ``summary``."""
from django.db import migrations

CHUNK = 2000


def lines_from_columns(apps, schema_editor):
    from customers.chart import KEY_FIGURES, lines_from_key_figures

    FinancialStatement = apps.get_model("customers", "FinancialStatement")
    pending = FinancialStatement.objects.filter(lines={}).order_by("pk")
    last = 0
    while True:
        batch = list(pending.filter(pk__gt=last)[:CHUNK])
        if not batch:
            break
        for statement in batch:
            values = {name: getattr(statement, name) for name in KEY_FIGURES}
            statement.lines = {code: format(value, "f") for code, value in lines_from_key_figures(values).items()}
        FinancialStatement.objects.bulk_update(batch, ["lines"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_statement_lines")]
    operations = [migrations.RunPython(lines_from_columns, migrations.RunPython.noop)]
