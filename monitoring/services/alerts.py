"""The alert workflow (acknowledge, resolve, dismiss) and the recommended actions started from an alert."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from audit.models import AuditEvent
from audit.services import audit_record
from creditportal.core import access
from creditportal.core.errors import Conflict, ValidationFailed
from creditportal.core.money import to_decimal

from ..models import Alert, AlertStatus, RecommendedAction
from ._common import _require_visible_customer


def _alert_state(alert) -> dict:
    return {"status": alert.status, "comment": alert.comment, "action_taken": alert.action_taken}


def _locked_alert(actor, alert) -> Alert:
    access.require(actor, "monitoring.handle_alert")
    _require_visible_customer(actor, alert.customer_id)
    return Alert.objects.select_for_update().select_related("rule", "customer").get(pk=alert.pk)


def _record_handling(locked, actor, comment) -> None:
    """Append the comment, record who handled the alert and when (the first handler owns it), save."""
    if comment:
        locked.comment = f"{locked.comment}\n{comment}".strip() if locked.comment else comment
    locked.handled_by, locked.handled_at = actor, timezone.now()
    if locked.owner_id is None:
        locked.owner = actor
    locked.save()


def _alert_transition(*, actor, alert, method, comment, comment_required):
    comment = (comment or "").strip()
    if comment_required and not comment:
        raise ValidationFailed(_("Please give a comment."), field_errors={"comment": _("A comment is required.")})
    locked = _locked_alert(actor, alert)
    transition = getattr(locked, method)
    if not can_proceed(transition):
        raise Conflict(_("This alert is %(status)s: it cannot be changed this way.")
                       % {"status": locked.get_status_display()})
    before = _alert_state(locked)
    transition()
    _record_handling(locked, actor, comment)
    audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=locked, verb=method, before=before,
                 after=_alert_state(locked))
    return locked


@transaction.atomic
def alert_acknowledge(*, actor, alert, comment="") -> Alert:
    return _alert_transition(actor=actor, alert=alert, method="acknowledge", comment=comment, comment_required=False)


@transaction.atomic
def alert_resolve(*, actor, alert, comment) -> Alert:
    return _alert_transition(actor=actor, alert=alert, method="resolve", comment=comment, comment_required=True)


@transaction.atomic
def alert_dismiss(*, actor, alert, comment) -> Alert:
    return _alert_transition(actor=actor, alert=alert, method="dismiss", comment=comment, comment_required=True)


def available_actions(alert, user) -> list[str]:
    """The workflow actions ``user`` may take on ``alert`` now (for the page and the API)."""
    if not access.has(user, "monitoring.handle_alert"):
        return []
    return [name for name in ("acknowledge", "resolve", "dismiss") if can_proceed(getattr(alert, name))]


def recommended_actions_for(alert, user) -> list[str]:
    """Recommended actions ``user`` may start from the alert (the services check again)."""
    if not alert.is_active:
        return []
    needed = {
        RecommendedAction.RERATE: "ratings.add_rating",
        RecommendedAction.REDUCE_LIMIT: "credit.change_facility",
        RecommendedAction.SUSPEND: "credit.suspend_facility",
        RecommendedAction.ASK_COLLATERAL: "monitoring.handle_alert",
    }
    return [action for action, perm in needed.items() if access.has(user, perm)]


def _facility_for(alert, facility_id=None, *, include_suspended=False):
    from credit.models import Facility

    states = [Facility.Status.ACTIVE, Facility.Status.SUSPENDED] if include_suspended else [Facility.Status.ACTIVE]
    queryset = Facility.objects.filter(customer_id=alert.customer_id, status__in=states)
    if facility_id:
        queryset = queryset.filter(pk=facility_id)
    facility = queryset.order_by("-limit", "pk").first()
    if facility is None:
        raise ValidationFailed(_("The customer has no active facility to act on."))
    return facility


@transaction.atomic
def alert_start_action(*, actor, alert, action, comment="", facility_id=None, new_limit=None) -> Alert:
    """Start the alert's recommended action through the owning app's service (with its permission
    checks), record it on the alert and acknowledge an open alert."""
    locked = _locked_alert(actor, alert)
    if not locked.is_active:
        raise Conflict(_("This alert is closed; no action can be started from it."))
    reason = (comment or "").strip() or _("Alert: %(rule)s") % {"rule": locked.rule.localized_name}
    if action == RecommendedAction.SUSPEND:
        from credit import services as credit_services

        facility = _facility_for(locked, facility_id)
        credit_services.facility_suspend(actor=actor, facility=facility, reason=reason)
        taken = _("facility #%(id)s suspended") % {"id": facility.pk}
    elif action == RecommendedAction.REDUCE_LIMIT:
        from credit import services as credit_services

        facility = _facility_for(locked, facility_id, include_suspended=True)
        try:
            amount = to_decimal(new_limit)
        except ValueError:
            raise ValidationFailed(_("Enter the new, lower limit."), field_errors={"new_limit": _("Enter a number.")})
        credit_services.facility_reduce_limit(actor=actor, facility=facility, new_limit=amount, reason=reason)
        taken = _("limit of facility #%(id)s reduced to %(limit)s") % {"id": facility.pk, "limit": amount}
    elif action == RecommendedAction.RERATE:
        from ratings import services as rating_services

        rating = rating_services.rating_start(actor=actor, customer=locked.customer)
        taken = _("re-rating started (rating #%(id)s)") % {"id": getattr(rating, "pk", "?")}
    elif action == RecommendedAction.ASK_COLLATERAL:
        access.require(actor, "monitoring.handle_alert")
        taken = _("collateral requested from the customer")
    else:
        raise ValidationFailed(_("Unknown action."), field_errors={"action": _("Choose a listed action.")})
    before = _alert_state(locked)
    if locked.status == AlertStatus.OPEN:
        locked.acknowledge()
    locked.action_taken = f"{locked.action_taken}; {taken}".strip("; ") if locked.action_taken else taken
    _record_handling(locked, actor, comment)
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=locked, verb=f"action_{action}", before=before,
                 after=_alert_state(locked))
    return locked
