"""Provisions: the month-end run (classify the month, then exposure × tier rate per customer)."""
from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from creditportal.core import access
from creditportal.core.canonical import jsonable
from creditportal.core.errors import ValidationFailed
from creditportal.core.money import MissingRate

from .. import rules
from ..models import AssetClassification, ProvisionLine, ProvisionRun
from ._common import ZERO, default_period, month_end
from .classification import _classify_period
from .configuration import current_rates


@transaction.atomic
def provision_run(*, actor, period=None) -> ProvisionRun:
    """The month-end run: classify the month, then provision = exposure × tier rate, one line per customer.

    Running a month again replaces its lines (idempotent)."""
    access.require(actor, "monitoring.run_provisions")
    period = month_end(period or default_period())
    try:
        _classify_period(actor, period)
    except MissingRate as exc:
        raise ValidationFailed(_("An FX rate is missing: %(error)s") % {"error": exc}) from exc
    rates = current_rates()
    rows = list(AssetClassification.objects.filter(period=period, exposure__gt=0)
                .values_list("customer_id", "tier", "exposure"))
    exposures = {cid: exposure for cid, _tier, exposure in rows}
    tiers = {cid: tier for cid, tier, _exposure in rows}
    lines = rules.provision_lines(exposures, tiers, rates)
    totals = rules.totals_by_tier(lines)
    run, created = ProvisionRun.objects.select_for_update().get_or_create(
        period=period, defaults={"run_by": actor, "run_at": timezone.now(),
                                 "currency": settings.REPORTING_CURRENCY})
    before = None if created else {"total_exposure": run.total_exposure, "total_provision": run.total_provision}
    run.lines.all().delete()
    ProvisionLine.objects.bulk_create(
        [ProvisionLine(run=run, customer_id=l.customer_id, tier=l.tier, exposure=l.exposure, rate=l.rate,
                       amount=l.amount) for l in lines], batch_size=1000)
    run.rates = jsonable(rates)
    run.totals = jsonable(totals)
    run.total_exposure = sum((l.exposure for l in lines), ZERO)
    run.total_provision = sum((l.amount for l in lines), ZERO)
    run.customer_count = len(lines)
    run.run_by, run.run_at = actor, timezone.now()
    run.currency = settings.REPORTING_CURRENCY
    run.save()
    audit_record(actor=actor, action=AuditEvent.Action.RUN, obj=run, verb="provision_run", before=before,
                 after={"period": period, "total_exposure": run.total_exposure,
                        "total_provision": run.total_provision, "customers": run.customer_count})
    return run
