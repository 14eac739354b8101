"""Month-end aging snapshots: taken once per ended month, with their bucket totals and digest."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from creditportal.core import access, clock
from creditportal.core.canonical import jsonable, sha256_of
from creditportal.core.errors import ValidationFailed

from .. import rules, selectors
from ..models import AgingSnapshot, AgingSnapshotLine
from ._common import ZERO, Action, _check_month


def snapshot_take(*, actor, period: dt.date) -> AgingSnapshot:
    """The month-end aging snapshot of ``period``'s month (idempotent: an existing one is returned as is)."""
    access.require(actor, "provisions.take_agingsnapshot")
    period = _check_month(period)
    existing = AgingSnapshot.objects.filter(period=period).first()
    if existing is not None:
        return existing
    if not selectors.has_invoices_by(period):
        raise ValidationFailed(_("There are no receivables by %(month)s: nothing to take a snapshot of.")
                               % {"month": f"{period:%Y-%m}"}, field_errors={"period": _("No data for this month.")})
    rows, missing = selectors.aging_at(period)
    facts = selectors.customer_facts([r["customer_id"] for r in rows], period)
    totals = {k: ZERO for k in [*selectors.BUCKETS, "gross", "written_off", "recovered", "new_loss"]}
    payload = []
    for row in rows:
        section, letter, tier = facts.get(row["customer_id"], ("", "", ""))
        row.update(industry_section=section, letter=letter, tier=tier)
        for key in [*totals, *selectors.SPLIT_BANDS]:
            row[key] = rules.cents(row[key])  # as stored (two places), so the hash reads back the same
        for key in totals:
            totals[key] += row[key]
        payload.append(row)
    summary = {**totals, "missing_rates": missing}
    digest = sha256_of({"period": period, "currency": settings.REPORTING_CURRENCY, "lines": payload})
    try:
        with transaction.atomic():
            snapshot = AgingSnapshot.objects.create(
                period=period, previous_period=selectors.previous_month_end(period),
                currency=settings.REPORTING_CURRENCY, totals=jsonable(summary), total_gross=totals["gross"],
                customer_count=sum(1 for r in payload if r["gross"] > 0), sha256=digest, taken_by=actor)
            AgingSnapshotLine.objects.bulk_create(
                [AgingSnapshotLine(snapshot=snapshot, **row) for row in payload], batch_size=2000)
            snapshot.segment_totals = selectors.snapshot_segment_totals(snapshot.pk)
            AgingSnapshot.objects.filter(pk=snapshot.pk).update(segment_totals=snapshot.segment_totals)
            audit_record(actor=actor, action=Action.CREATE, obj=snapshot, verb="agingsnapshot_take",
                         after={"period": period, "sha256": digest, "customers": snapshot.customer_count,
                                "gross": totals["gross"]})
    except IntegrityError:  # taken at the same time by someone else
        return AgingSnapshot.objects.get(period=period)
    return snapshot


def snapshot_digest(snapshot: AgingSnapshot) -> str:
    """The SHA-256 of a snapshot's stored lines (what ``snapshot_take`` records and ``snapshot_verify`` checks)."""
    fields = ["customer_id", *selectors.BUCKETS, *selectors.SPLIT_BANDS, "gross", "written_off", "recovered",
              "new_loss", "industry_section", "letter", "tier"]
    lines = [dict(zip(fields, values)) for values in
             snapshot.lines.order_by("customer_id").values_list(*fields).iterator(chunk_size=5000)]
    return sha256_of({"period": snapshot.period, "currency": snapshot.currency, "lines": lines})


def snapshot_verify(snapshot: AgingSnapshot) -> bool:
    """True when the stored lines still hash to the snapshot's SHA-256."""
    return snapshot_digest(snapshot) == snapshot.sha256


def snapshots_take_back(*, actor, months: int, until: dt.date | None = None) -> list[AgingSnapshot]:
    """The snapshots of the last ``months`` ended months (oldest first), skipping months without data."""
    until = until or selectors.previous_month_end(clock.today())
    taken = []
    for period in selectors.month_ends_back(until, months):
        if not selectors.has_invoices_by(period):
            continue
        taken.append(snapshot_take(actor=actor, period=period))
    return taken
