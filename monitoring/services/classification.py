"""Asset classification: the monthly run by debtor and manual reclassification (four-eyes)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from audit.models import AuditEvent
from audit.services import audit_record
from creditportal.core import access, clock
from creditportal.core.errors import Conflict, ValidationFailed
from creditportal.core.money import MissingRate, RateTable
from customers.models import Customer

from .. import rules
from ..models import AssetClassification, ClassificationStatus, Tier
from ._common import ZERO, _chunks, _require_visible_customer, default_period, month_end


def _exposures(customer_ids, as_of, table) -> tuple[dict[int, Decimal], dict[int, int]]:
    """({customer_id: open receivables in the reporting currency}, {customer_id: days past due}) (2 queries).

    Exposure is the outstanding amount of the invoices issued by ``as_of`` and still open; days past due
    are collection's one definition by debtor (its oldest overdue invoice), so the worst exposure's floor
    applies to all of the customer's exposures. (A month classified after its end uses today's open
    amounts: payments received since then are not undone.)
    """
    from collection.selectors import days_past_due, open_amounts_by_customer

    exposure = {}
    for cid, amounts in open_amounts_by_customer(customer_ids, issued_by=as_of).items():
        for total, currency in amounts:
            exposure[cid] = exposure.get(cid, ZERO) + table.convert(total or ZERO, currency)
    return exposure, days_past_due(customer_ids, as_of)


def grade_floors() -> dict[str, str]:
    """The classification floor by rating letter (``settings.CLASSIFICATION_GRADE_FLOORS`` or the brief's)."""
    configured = getattr(settings, "CLASSIFICATION_GRADE_FLOORS", None)
    return dict(rules.DEFAULT_GRADE_FLOORS if configured is None else configured)


def rating_letters(customer_ids, as_of: dt.date) -> dict[int, str]:
    """{customer_id: letter of the rating in force on ``as_of``} (the latest approved by then; one query)."""
    from ratings.models import Rating, RatingState

    rows = (Rating.objects.filter(customer_id__in=list(customer_ids), approved_on__lte=as_of,
                                  state__in=[RatingState.APPROVED, RatingState.SUPERSEDED])
            .order_by("customer_id", "-approved_on", "-approved_at", "-id").values_list("customer_id", "letter"))
    letters = {}
    for cid, letter in rows:
        letters.setdefault(cid, letter)
    return letters


def _classify_period(actor, period: dt.date) -> dict:
    """Classify every customer with exposure (or an earlier classification) for the month ``period``."""
    as_of = min(period, clock.today())
    table = RateTable(as_of)
    floors = grade_floors()
    previous_period = period.replace(day=1) - dt.timedelta(days=1)
    candidates = set(Customer.objects.filter(invoices__status="open").values_list("pk", flat=True).distinct())
    candidates |= set(AssetClassification.objects.filter(period__in=[period, previous_period])
                      .values_list("customer_id", flat=True))
    created = updated = 0
    for chunk in _chunks(sorted(candidates)):
        exposure, dpd = _exposures(chunk, as_of, table)
        letters = rating_letters(chunk, as_of)
        existing = {c.customer_id: c for c in AssetClassification.objects.select_for_update()
                    .filter(period=period, customer_id__in=chunk)}
        carried = {c.customer_id: c for c in AssetClassification.objects
                   .filter(period=previous_period, customer_id__in=chunk, manual=True)}
        to_create, to_update = [], []
        for cid in chunk:
            days, letter = dpd.get(cid, 0), letters.get(cid, "")
            row = existing.get(cid)
            if row is None:
                before = carried.get(cid)
                result = rules.classify(days_past_due=days, letter=letter, floors=floors,
                                        manual_tier=before.tier if before is not None else None)
                manual = result.tier != result.floor
                to_create.append(AssetClassification(
                    customer_id=cid, period=period, days_past_due=days, exposure=exposure.get(cid, ZERO),
                    currency=table.reporting_currency, letter=letter, floor_tier=result.floor, tier=result.tier,
                    manual=manual, reason=before.reason if manual else ""))
            else:
                result = rules.classify(days_past_due=days, letter=letter, floors=floors,
                                        manual_tier=row.tier if row.manual else None)
                row.days_past_due, row.exposure, row.letter = days, exposure.get(cid, ZERO), letter
                row.floor_tier, row.tier = result.floor, result.tier
                row.manual = result.tier != result.floor
                to_update.append(row)
        if to_create:
            AssetClassification.objects.bulk_create(to_create, batch_size=500)
            created += len(to_create)
        if to_update:
            AssetClassification.objects.bulk_update(to_update, ["days_past_due", "exposure", "letter", "floor_tier",
                                                                "tier", "manual", "updated_at"], batch_size=500)
            updated += len(to_update)
    return {"period": period, "created": created, "updated": updated}


@transaction.atomic
def classification_run(*, actor, period=None) -> dict:
    """The monthly classification by debtor: the worse of the floor by days past due, the floor by the
    rating's letter and a manual tier (carried forward) — ``rules.classify``."""
    if not (access.has(actor, "monitoring.classify_exposure") or access.has(actor, "monitoring.run_provisions")):
        access.require(actor, "monitoring.classify_exposure")
    period = month_end(period or default_period())
    try:
        result = _classify_period(actor, period)
    except MissingRate as exc:
        raise ValidationFailed(_("An FX rate is missing: %(error)s") % {"error": exc}) from exc
    audit_record(actor=actor, action=AuditEvent.Action.RUN, verb="classification_run",
                 object_type="monitoring.assetclassification", object_repr=f"classification {period:%Y-%m}",
                 after=result)
    return result


def _classification_state(c) -> dict:
    return {"tier": c.tier, "floor_tier": c.floor_tier, "manual": c.manual, "status": c.status,
            "requested_tier": c.requested_tier, "reason": c.reason}


def _locked_classification(actor, classification):
    _require_visible_customer(actor, classification.customer_id)
    return AssetClassification.objects.select_for_update().get(pk=classification.pk)


def reclassification_tiers(classification) -> list[tuple[str, str]]:
    """The tiers a manual reclassification may ask for: at or worse than the floor, and not the tier itself."""
    return [(tier, label) for tier, label in Tier.choices
            if not rules.is_better_than(tier, classification.floor_tier) and tier != classification.tier]


def classification_available_actions(classification, user) -> list[str]:
    """What ``user`` may do on the classification now (for the page; the services check again): ``request`` a
    manual reclassification of a confirmed one, ``decide`` on a pending one somebody else requested."""
    actions = []
    if (access.has(user, "monitoring.classify_exposure") and classification.status == ClassificationStatus.CONFIRMED
            and reclassification_tiers(classification)):
        actions.append("request")
    if (access.has(user, "monitoring.approve_classification")
            and classification.status == ClassificationStatus.PENDING and classification.requested_by_id != user.pk):
        actions.append("decide")
    return actions


def _locked_for_decision(actor, classification, transition: str, four_eyes_message):
    """The reclassification locked for ``actor``'s decision (``approve`` or ``reject``): the approver's
    permission, a reclassification waiting, and a person other than the requester (four-eyes)."""
    access.require(actor, "monitoring.approve_classification")
    locked = _locked_classification(actor, classification)
    if not can_proceed(getattr(locked, transition)):
        raise Conflict(_("No reclassification is waiting for approval."))
    access.require_other_person(actor, locked.requested_by_id, four_eyes_message)
    return locked


@transaction.atomic
def classification_request(*, actor, classification, tier, reason) -> AssetClassification:
    """Ask for a manual tier (worse than or equal to the floor, with a reason); a second person approves."""
    access.require(actor, "monitoring.classify_exposure")
    locked = _locked_classification(actor, classification)
    reason = (reason or "").strip()
    errors = {}
    if tier not in rules.TIERS:
        errors["tier"] = _("Choose a listed tier.")
    elif not rules.check_manual_tier(tier, locked.floor_tier):
        errors["tier"] = _("A tier better than the floor (%(floor)s) is not allowed.") % {
            "floor": Tier(locked.floor_tier).label}
    elif tier == locked.tier:
        errors["tier"] = _("This is already the tier.")
    if not reason:
        errors["reason"] = _("Give the reason for the manual classification.")
    if errors:
        raise ValidationFailed(next(iter(errors.values())), field_errors=errors)
    if not can_proceed(locked.request_reclassification):
        raise Conflict(_("A reclassification of this exposure is already waiting for approval."))
    before = _classification_state(locked)
    locked.request_reclassification()
    locked.requested_tier, locked.request_reason = tier, reason
    locked.requested_by, locked.requested_at = actor, timezone.now()
    locked.approved_by, locked.approved_at = None, None
    locked.save()
    audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=locked, verb="request_reclassification",
                 before=before, after=_classification_state(locked))
    return locked


@transaction.atomic
def classification_approve(*, actor, classification, comment="") -> AssetClassification:
    """Four-eyes: an approver other than the requester applies the requested tier."""
    locked = _locked_for_decision(actor, classification, "approve",
                                  _("Four-eyes rule: you cannot approve a reclassification you requested."))
    if rules.is_better_than(locked.requested_tier, locked.floor_tier):
        raise ValidationFailed(_("The requested tier is now better than the floor; request again."))
    before = _classification_state(locked)
    locked.approve()
    locked.tier = locked.requested_tier
    locked.manual = locked.tier != locked.floor_tier
    locked.reason = locked.request_reason
    locked.requested_tier = ""
    locked.approved_by, locked.approved_at = actor, timezone.now()
    locked.save()
    audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=locked, verb="approve_reclassification",
                 before=before, after={**_classification_state(locked), "comment": comment})
    return locked


@transaction.atomic
def classification_reject(*, actor, classification, comment="") -> AssetClassification:
    locked = _locked_for_decision(actor, classification, "reject",
                                  _("Four-eyes rule: you cannot decide on a reclassification you requested."))
    before = _classification_state(locked)
    locked.reject()
    locked.requested_tier = ""
    locked.save()
    audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=locked, verb="reject_reclassification",
                 before=before, after={**_classification_state(locked), "comment": comment})
    return locked
