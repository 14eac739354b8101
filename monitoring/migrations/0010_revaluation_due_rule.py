"""The "revaluation due within 30 days" metric and warning rule (issue 23; the rule idempotent, keyed by code)."""
from django.db import migrations, models


def load(apps, schema_editor):
    from monitoring.defaults import rule_dicts

    WarningRule = apps.get_model("monitoring", "WarningRule")
    for data in rule_dicts():
        code = data.pop("code")
        if code == "revaluation-due":
            WarningRule.objects.get_or_create(code=code, defaults=data)


class Migration(migrations.Migration):

    dependencies = [
        ('monitoring', '0009_rule_and_rate_changes_on_proposals'),
    ]

    operations = [
        migrations.AlterField(
            model_name='warningrule',
            name='metric',
            field=models.CharField(choices=[('overdue_days', 'days past due (oldest open invoice)'), ('utilisation', 'limit utilisation (fraction)'), ('downgrade_notches', 'notches downgraded by the last approved rating'), ('downgrade_proposed', 'notches of a proposed downgrade'), ('current_ratio_change', 'current ratio change year on year (fraction)'), ('equity', "owners' equity (yuan, latest statement)"), ('loss_after_profit', 'loss after a profit (1 = yes)'), ('order_volume_z', 'order volume z-score against the trailing average'), ('large_orders_late', 'order volume z-score while payments are late'), ('negative_records', 'new negative records in the window'), ('review_overdue_days', 'days the rating review is overdue'), ('facility_expiry_days', 'days until a facility expires'), ('covenant_breaches', 'covenant breaches in the window'), ('collateral_coverage_gap', 'collateral coverage below the requirement (fraction)'), ('revaluation_overdue_days', 'days a collateral revaluation is overdue'), ('revaluation_due_days', 'days until a collateral revaluation falls due'), ('expired_documents', 'documents past their expiry date')], max_length=40, verbose_name='metric'),
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
