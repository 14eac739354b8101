"""The month ends of the last 24 months as the month-end run would have left them on the night after each:
the asset classification by debtor and the provisions, from the receivables open at that month end (rebuilt
from the invoices and the payments received by then, as the aging snapshots are) and the rating in force then.

The rules are monitoring's (``rules.classify``, ``rules.provision_lines``, ``rules.totals_by_tier``), the days
past due collection's (``debtor_days_past_due``), the letters and floors the classification service's; only the
open amounts are rebuilt here, because the service classifies a past month with today's open invoices (the
demo has to show the months as they were). Months that already have a provision run are left alone.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ._common import bulk_made

MONTHS = 24
ZERO = Decimal("0")


def _periods(today: dt.date) -> list[dt.date]:
    from monitoring.services._common import default_period
    from provisions.selectors import month_ends_back

    return month_ends_back(default_period(today), MONTHS)


def history_done(today: dt.date) -> bool:
    """True when every month end of the last ``MONTHS`` has its provision run."""
    from monitoring.models import ProvisionRun

    periods = _periods(today)
    return ProvisionRun.objects.filter(period__in=periods).count() == len(periods)


def write_history(actor, today: dt.date) -> int:
    """Classify and provision the month ends of the last ``MONTHS`` months that have no run yet; returns how
    many were written."""
    from django.conf import settings

    from audit.models import AuditEvent
    from audit.services import audit_record
    from collection.models import Invoice, PaymentAllocation
    from collection.rules import debtor_days_past_due
    from creditportal.core.canonical import jsonable
    from creditportal.core.money import MissingRate, RateTable
    from monitoring import rules
    from monitoring.models import AssetClassification, ProvisionLine, ProvisionRun
    from monitoring.services.classification import grade_floors, rating_letters
    from monitoring.services.configuration import current_rates

    periods = _periods(today)
    done = set(ProvisionRun.objects.filter(period__in=periods).values_list("period", flat=True))
    todo = [p for p in periods if p not in done]
    if not todo:
        return 0
    invoices = list(Invoice.objects.exclude(status="written_off").values_list(
        "pk", "customer_id", "issue_date", "due_date", "amount", "currency"))
    received: dict[int, list] = {}
    for invoice_id, on, amount in (PaymentAllocation.objects.filter(payment__is_recovery=False)
                                   .values_list("invoice_id", "payment__received_on", "amount")):
        received.setdefault(invoice_id, []).append((on, amount))
    floors, rates = grade_floors(), current_rates()
    previous_ids: set[int] = set(AssetClassification.objects.filter(
        period=todo[0].replace(day=1) - dt.timedelta(days=1)).values_list("customer_id", flat=True))
    for period in todo:
        table = RateTable(period)
        exposure, oldest = {}, {}
        for pk, customer_id, issued, due, amount, currency in invoices:
            if issued > period:
                continue
            owed = amount - sum((a for on, a in received.get(pk, ()) if on <= period), ZERO)
            if owed <= 0:
                continue
            try:
                exposure[customer_id] = exposure.get(customer_id, 0) + table.convert(owed, currency)
            except MissingRate:
                continue
            if due < period and (customer_id not in oldest or due < oldest[customer_id]):
                oldest[customer_id] = due
        ids = sorted(set(exposure) | previous_ids)
        letters = rating_letters(ids, period)
        run_at = dt.datetime.combine(period + dt.timedelta(days=1), dt.time(2), tzinfo=dt.timezone.utc)
        rows, tiers = [], {}
        for customer_id in ids:
            days, letter = debtor_days_past_due(oldest.get(customer_id), period), letters.get(customer_id, "")
            result = rules.classify(days_past_due=days, letter=letter, floors=floors)
            tiers[customer_id] = result.tier
            rows.append(AssetClassification(
                customer_id=customer_id, period=period, days_past_due=days,
                exposure=rules.cents(exposure.get(customer_id, ZERO)), currency=table.reporting_currency,
                letter=letter, floor_tier=result.floor, tier=result.tier, manual=False))
        bulk_made(AssetClassification, rows, [run_at] * len(rows), fields=("classified_at", "updated_at"))
        lines = rules.provision_lines({c: rules.cents(e) for c, e in exposure.items() if e > 0}, tiers, rates)
        run = ProvisionRun.objects.create(
            period=period, run_by=actor, run_at=run_at, currency=settings.REPORTING_CURRENCY, rates=jsonable(rates),
            totals=jsonable(rules.totals_by_tier(lines)), total_exposure=sum((l.exposure for l in lines), ZERO),
            total_provision=sum((l.amount for l in lines), ZERO), customer_count=len(lines))
        ProvisionLine.objects.bulk_create([ProvisionLine(run=run, customer_id=l.customer_id, tier=l.tier,
                                                         exposure=l.exposure, rate=l.rate, amount=l.amount)
                                           for l in lines], batch_size=1000)
        audit_record(actor=actor, action=AuditEvent.Action.RUN, obj=run, verb="provision_run",
                     after={"period": period, "total_exposure": run.total_exposure,
                            "total_provision": run.total_provision, "customers": run.customer_count})
        previous_ids = {c for c, e in exposure.items() if e > 0}
    return len(todo)
