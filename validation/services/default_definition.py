"""What counts as a default: grades, days past due, horizon."""
from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_changes, audit_record, snapshot
from creditportal.core import access
from creditportal.core.errors import ValidationFailed
from ratings import selectors as rating_selectors

from ..models import DefaultDefinition


@transaction.atomic
def default_definition_update(*, actor, default_grades, days_past_due, horizon_months) -> DefaultDefinition:
    access.require(actor, "validation.change_defaultdefinition")
    known = set(rating_selectors.grade_order())
    grades = [g.strip() for g in (default_grades or []) if str(g).strip()]
    errors = {}
    unknown = [g for g in grades if g not in known]
    if unknown:
        errors["default_grades"] = _("Unknown grades: %(grades)s.") % {"grades": ", ".join(unknown)}
    try:
        days_past_due = int(days_past_due)
        if days_past_due < 1:
            raise ValueError
    except (TypeError, ValueError):
        errors["days_past_due"] = _("Enter a whole number of days, at least 1.")
    try:
        horizon_months = int(horizon_months)
        if not 1 <= horizon_months <= 60:
            raise ValueError
    except (TypeError, ValueError):
        errors["horizon_months"] = _("Enter a number of months from 1 to 60.")
    if errors:
        raise ValidationFailed(_("Please correct the default definition."), field_errors=errors)
    row = DefaultDefinition.objects.select_for_update().order_by("pk").first()
    before = snapshot(row) if row else None
    row = row or DefaultDefinition()
    row.default_grades, row.days_past_due, row.horizon_months, row.updated_by = (
        grades, days_past_due, horizon_months, actor)
    row.save()
    if before is None:
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=row, after=snapshot(row))
    else:
        audit_changes(actor=actor, obj=row, before=before)
    return row
