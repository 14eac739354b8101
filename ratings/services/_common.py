"""Helpers shared by the ratings services: the audited state of a rating, its transitions, locks, notifications
and reasons."""
from __future__ import annotations

from django.utils.translation import gettext as _
from django_fsm import can_proceed

from audit.models import AuditEvent
from audit.services import audit_record, snapshot
from creditportal.core.errors import Conflict, ValidationFailed

from ..models import Rating

RATING_AUDIT_FIELDS = ["state", "score", "model_grade", "grade", "letter", "pd", "override_grade", "override_reason",
                       "overridden_by", "submitted_by", "approved_by", "approved_on", "review_due", "decision_note",
                       "completeness_override_reason", "inputs_sha256", "rationale"]


def _rating_state(rating) -> dict:
    return snapshot(rating, fields=RATING_AUDIT_FIELDS)


def _transition(actor, rating, name, before, verb=None):
    audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=rating, verb=verb or name,
                 before=before, after=_rating_state(rating))


def _notify(recipient_ids, title, rating):
    """In-app notification (and e-mail) about ``rating`` to each user in ``recipient_ids`` (same transaction)."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from accounts.services import notification_send

    url = reverse("ratings:rating_detail", args=[rating.pk])
    for user in get_user_model().objects.filter(pk__in=set(recipient_ids), is_active=True).order_by("pk"):
        notification_send(recipient=user, title=title, url=url, body=str(rating.customer))


def _notify_decided(actor, rating, title):
    if rating.created_by_id and rating.created_by_id != actor.pk:
        _notify([rating.created_by_id], title % {"customer": rating.customer}, rating)


def _lock(rating: Rating) -> Rating:
    return Rating.objects.select_for_update().get(pk=rating.pk)


def _require_transition(rating, method_name: str):
    if not can_proceed(getattr(rating, method_name)):
        raise Conflict(_("This rating is %(state)s: the action is not allowed in this state.")
                       % {"state": rating.get_state_display()})


def _require_editable(rating):
    if not rating.is_editable:
        raise Conflict(_("This rating is %(state)s and can no longer be changed.")
                       % {"state": rating.get_state_display()})


def _reason(text, field="reason") -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(_("Give a reason."), field_errors={field: _("A reason is required.")})
    return text
