"""The analyst's behaviour input of a customer (share of competitors' business)."""
from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_changes, audit_record, snapshot
from creditportal.core import access
from creditportal.core.errors import ValidationFailed
from customers.models import Customer
from customers.services import require_visible

from ..models import BehaviourInput, CompetitorShare


@transaction.atomic
def behaviour_input_set(*, actor, customer: Customer, competitor_share: str, note: str = "") -> BehaviourInput:
    access.require(actor, "ratings.change_behaviourinput")
    require_visible(actor, customer)
    if competitor_share not in CompetitorShare.values:
        raise ValidationFailed(_("Choose one of the listed answers."),
                               field_errors={"competitor_share": _("Choose one of the listed answers.")})
    existing = BehaviourInput.objects.select_for_update().filter(customer=customer).first()
    if existing:
        before = snapshot(existing)
        existing.competitor_share, existing.note, existing.updated_by = competitor_share, note.strip(), actor
        existing.save()
        audit_changes(actor=actor, obj=existing, before=before)
        return existing
    created = BehaviourInput.objects.create(customer=customer, competitor_share=competitor_share,
                                            note=note.strip(), updated_by=actor)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=created, after=snapshot(created))
    return created
