"""The default dunning policy, shipped as data (a risk admin may change it or activate another)."""
from decimal import Decimal

from django.db import migrations

LEVELS = [
    # order, name, days past due, action
    (0, "到期前提醒 Pre-due reminder", -3, "reminder_email"),
    (1, "逾期提醒 Overdue reminder", 1, "reminder_email"),
    (2, "电话催收 Phone call", 15, "phone_call"),
    (3, "正式催款函 Formal letter", 30, "formal_letter"),
    (4, "最后通知 Final notice", 60, "final_notice"),
]


def forwards(apps, schema_editor):
    Policy = apps.get_model("collection", "DunningPolicy")
    Level = apps.get_model("collection", "DunningLevel")
    if Policy.objects.filter(name="Standard").exists():
        return
    policy = Policy.objects.create(name="Standard", is_active=not Policy.objects.filter(is_active=True).exists(),
                                   small_amount_tolerance=Decimal("100.00"), late_fee_daily_rate=Decimal("0.0005"),
                                   case_open_order=3, letter_language="zh-hans")
    Level.objects.bulk_create([Level(policy=policy, order=o, name=n, days_past_due=d, action=a)
                               for o, n, d, a in LEVELS])


def backwards(apps, schema_editor):
    pass  # the policy may have been used by dunning actions; keep it


class Migration(migrations.Migration):
    dependencies = [("collection", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
