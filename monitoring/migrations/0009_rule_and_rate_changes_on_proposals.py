"""Warning rule and provision rate changes move onto the shared four-eyes model (``proposals.ConfigChange``):
the proposed rates are its ``values``; every change names its target in ``key`` (one open proposal per key);
a proposal may be withdrawn."""
import django_fsm
from django.db import migrations, models


def fill_keys(apps, schema_editor):
    WarningRuleChange = apps.get_model("monitoring", "WarningRuleChange")
    for change in WarningRuleChange.objects.all().only("pk", "code"):
        WarningRuleChange.objects.filter(pk=change.pk).update(key=f"rule-{change.code}")


STATES = [("proposed", "waiting for approval"), ("approved", "approved"), ("rejected", "rejected"),
          ("withdrawn", "withdrawn")]


class Migration(migrations.Migration):

    dependencies = [
        ("monitoring", "0008_classification_rating_letter"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="provisionratechange", name="monitoring_one_pending_rate_change"),
        migrations.RemoveConstraint(model_name="warningrulechange", name="monitoring_one_pending_change_per_rule"),
        migrations.RenameField(model_name="provisionratechange", old_name="rates", new_name="values"),
        migrations.AlterField(model_name="provisionratechange", name="values",
                              field=models.JSONField(default=dict, verbose_name="proposed values")),
        migrations.AlterField(model_name="provisionratechange", name="previous",
                              field=models.JSONField(default=dict, verbose_name="values before")),
        migrations.AlterField(model_name="warningrulechange", name="values",
                              field=models.JSONField(default=dict, verbose_name="proposed values")),
        migrations.AddField(model_name="provisionratechange", name="key",
                            field=models.CharField(default="provision-rates", editable=False, max_length=120,
                                                   verbose_name="key"), preserve_default=False),
        migrations.AddField(model_name="warningrulechange", name="key",
                            field=models.CharField(default="", editable=False, max_length=120, verbose_name="key"),
                            preserve_default=False),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AlterField(model_name="provisionratechange", name="state",
                              field=django_fsm.FSMField(choices=STATES, default="proposed", max_length=50,
                                                        protected=True, verbose_name="state")),
        migrations.AlterField(model_name="warningrulechange", name="state",
                              field=django_fsm.FSMField(choices=STATES, default="proposed", max_length=50,
                                                        protected=True, verbose_name="state")),
        migrations.AddConstraint(
            model_name="provisionratechange",
            constraint=models.UniqueConstraint(condition=models.Q(("state", "proposed")), fields=("key",),
                                               name="monitoring_provisionratechange_one_open_per_target")),
        migrations.AddConstraint(
            model_name="warningrulechange",
            constraint=models.UniqueConstraint(condition=models.Q(("state", "proposed")), fields=("key",),
                                               name="monitoring_warningrulechange_one_open_per_target")),
    ]
