"""Indexes of the aging report and the portfolio dashboard (bench/FINDINGS.md, issue 10)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('collection', '0003_alter_dunningpolicy_letter_language'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='invoice',
            index=models.Index(condition=models.Q(('status', 'open')), fields=['customer', 'currency'], include=('due_date', 'amount', 'paid_amount', 'written_off_amount'), name='invoice_open_by_customer'),
        ),
        migrations.AddIndex(
            model_name='invoice',
            index=models.Index(fields=['issue_date'], include=('customer', 'amount', 'currency'), name='invoice_issue_date_sales'),
        ),
    ]
