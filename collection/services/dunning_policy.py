"""The dunning configuration (risk administrators): policies and levels, proposed and approved four-eyes."""
from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import AuditEvent
from audit.services import audit_record, snapshot
from creditportal.core import access
from creditportal.core.errors import Conflict, ValidationFailed
from creditportal.core.money import to_decimal
from proposals import registry as proposals_registry
from proposals import services as proposals

from ..models import (
    DunningActionKind,
    DUNNING_LEVEL_FIELDS,
    DUNNING_POLICY_FIELDS,
    DunningChangeKind,
    DunningLevel,
    DunningPolicy,
    DunningPolicyChange,
)
from ._common import ZERO
from ..selectors import dunning_change_rows


# --- dunning policy (risk admin) --------------------------------------------------------------

POLICY_FIELDS = DUNNING_POLICY_FIELDS
LEVEL_FIELDS = DUNNING_LEVEL_FIELDS
_DECIMAL_POLICY_FIELDS = {"small_amount_tolerance", "late_fee_daily_rate"}


def _check_policy_values(values):
    for field in _DECIMAL_POLICY_FIELDS:
        if field in values and values[field] is not None:
            try:
                values[field] = to_decimal(values[field])
            except ValueError:
                raise ValidationFailed(_("Enter a number."), field_errors={field: _("Enter a number.")})
    rate = values.get("late_fee_daily_rate")
    if rate is not None and not (ZERO <= rate < Decimal("0.01")):
        raise ValidationFailed(_("The daily rate must be between 0 and 1% a day."),
                               field_errors={"late_fee_daily_rate": _("Between 0 and 0.01.")})
    tolerance = values.get("small_amount_tolerance")
    if tolerance is not None and tolerance < ZERO:
        raise ValidationFailed(_("The tolerance cannot be negative."),
                               field_errors={"small_amount_tolerance": _("Not negative.")})


def _check_policy_name(name, policy=None):
    if not name:
        raise ValidationFailed(_("Give the policy a name."), field_errors={"name": _("Required.")})
    if DunningPolicy.objects.filter(name=name).exclude(pk=getattr(policy, "pk", None)).exists():
        raise ValidationFailed(_("A policy with this name exists."), field_errors={"name": _("Choose another name.")})


def _check_level(policy, level, order, days_past_due, action):
    if action not in DunningActionKind.values:
        raise ValidationFailed(_("Unknown action."), field_errors={"action": _("Choose a listed action.")})
    others = DunningLevel.objects.filter(policy=policy).exclude(pk=getattr(level, "pk", None))
    if others.filter(order=order).exists():
        raise ValidationFailed(_("Another level has this order."), field_errors={"order": _("Already used.")})
    if others.filter(days_past_due=days_past_due).exists():
        raise ValidationFailed(_("Another level starts at this number of days."),
                               field_errors={"days_past_due": _("Already used.")})
    # Levels must rise with their order: a higher level needs more days past due.
    if others.filter(order__lt=order, days_past_due__gt=days_past_due).exists() or \
            others.filter(order__gt=order, days_past_due__lt=days_past_due).exists():
        raise ValidationFailed(_("A higher level must start at more days past due than a lower one."),
                               field_errors={"days_past_due": _("Out of order with the other levels.")})


def _dunning_json(value):
    return format(value, "f") if isinstance(value, Decimal) else value


def _deactivate_others(policy):
    DunningPolicy.objects.filter(is_active=True).exclude(pk=policy.pk).update(is_active=False)


def pending_dunning_changes():
    """Proposed changes of the dunning configuration waiting for a second risk administrator, oldest first."""
    return proposals.pending(DunningPolicyChange).select_related("policy", "level")


def _create_dunning_change(actor, *, key, **data) -> DunningPolicyChange:
    return proposals.change_propose(actor=actor, model=DunningPolicyChange, key=key, **data)


@transaction.atomic
def dunning_policy_propose(*, actor, policy=None, **values) -> DunningPolicyChange:
    """Propose a new dunning policy (``policy=None``) or a change of one, activating it included. Four-eyes:
    nothing takes effect until another risk administrator approves it (``proposals.services.change_approve``)."""
    values = {k: v for k, v in values.items() if k in POLICY_FIELDS}
    _check_policy_values(values)
    if policy is None:
        access.require(actor, "collection.add_dunningpolicy")
        blank = DunningPolicy()
        values = {field: values.get(field, getattr(blank, field)) for field in POLICY_FIELDS}
        _check_policy_name(values["name"])
        return _create_dunning_change(actor, key=f"new-{values['name']}"[:120], kind=DunningChangeKind.POLICY_CREATE,
                                      values={k: _dunning_json(v) for k, v in values.items()})
    access.require(actor, "collection.change_dunningpolicy")
    policy = DunningPolicy.objects.select_for_update().get(pk=policy.pk)
    changed = {k: v for k, v in values.items() if v != getattr(policy, k)}
    if not changed:
        raise ValidationFailed(_("This is the policy in force; nothing to change."))
    if "name" in changed:
        _check_policy_name(changed["name"], policy)
    return _create_dunning_change(actor, key=f"policy-{policy.pk}", kind=DunningChangeKind.POLICY_UPDATE,
                                  policy=policy, values={k: _dunning_json(v) for k, v in changed.items()},
                                  previous={k: _dunning_json(getattr(policy, k)) for k in changed})


@transaction.atomic
def dunning_level_propose(*, actor, policy, level=None, delete=False, **values) -> DunningPolicyChange:
    """Propose a new level of ``policy``, a change of ``level`` or (``delete=True``) its removal; it takes effect
    when another risk administrator approves it."""
    access.require(actor, "collection.change_dunningpolicy")
    policy = DunningPolicy.objects.select_for_update().get(pk=policy.pk)
    if level is not None:
        level = DunningLevel.objects.get(pk=level.pk, policy=policy)
    if delete:
        if level is None:
            raise ValidationFailed(_("Choose the level to remove."))
        if level.actions.exists():
            raise Conflict(_("This level has dunning actions; it cannot be deleted."))
        return _create_dunning_change(actor, key=f"policy-{policy.pk}", kind=DunningChangeKind.LEVEL_DELETE,
                                      policy=policy, level=level,
                                      previous={k: getattr(level, k) for k in LEVEL_FIELDS})
    values = {k: v for k, v in values.items() if k in LEVEL_FIELDS}
    if level is None:
        values.setdefault("name_en", "")
    if level is not None:
        values = {**{k: getattr(level, k) for k in LEVEL_FIELDS}, **values}
    missing = {k: _("Required.") for k in LEVEL_FIELDS if k != "name_en" and values.get(k) in (None, "")}
    if missing:
        raise ValidationFailed(_("Please correct the level."), field_errors=missing)
    _check_level(policy, level, values["order"], values["days_past_due"], values["action"])
    if level is None:
        return _create_dunning_change(actor, key=f"policy-{policy.pk}", kind=DunningChangeKind.LEVEL_CREATE,
                                      policy=policy, values=values)
    changed = {k: v for k, v in values.items() if v != getattr(level, k)}
    if not changed:
        raise ValidationFailed(_("This is the level in force; nothing to change."))
    return _create_dunning_change(actor, key=f"policy-{policy.pk}", kind=DunningChangeKind.LEVEL_UPDATE,
                                  policy=policy, level=level, values=changed,
                                  previous={k: getattr(level, k) for k in changed})


def _dunning_change_permission(change) -> str:
    return ("collection.add_dunningpolicy" if change.kind == DunningChangeKind.POLICY_CREATE
            else "collection.change_dunningpolicy")


def _stale_conflict():
    return Conflict(_("The dunning policy was changed after this proposal; reject it and propose again."))


def _apply_policy(actor, change):
    values = dict(change.values)
    _check_policy_values(values)
    if change.kind == DunningChangeKind.POLICY_CREATE:
        _check_policy_name(values["name"])
        policy = DunningPolicy(updated_by=actor, **values)
        if policy.is_active:
            _deactivate_others(policy)
        policy.save()
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=policy, after=snapshot(policy))
        return policy
    policy = DunningPolicy.objects.select_for_update().get(pk=change.policy_id)
    if any(_dunning_json(getattr(policy, k)) != v for k, v in change.previous.items()):
        raise _stale_conflict()
    if "name" in values:
        _check_policy_name(values["name"], policy)
    before = snapshot(policy)
    for key, value in values.items():
        setattr(policy, key, value)
    policy.updated_by = actor
    if policy.is_active:
        _deactivate_others(policy)
    policy.save()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=policy, before=before, after=snapshot(policy))
    return policy


def _apply_level(actor, change):
    policy = DunningPolicy.objects.select_for_update().get(pk=change.policy_id)
    level = None
    if change.kind != DunningChangeKind.LEVEL_CREATE:
        level = DunningLevel.objects.select_for_update().filter(pk=change.level_id, policy=policy).first()
        if level is None or any(getattr(level, k) != v for k, v in change.previous.items()):
            raise _stale_conflict()
    if change.kind == DunningChangeKind.LEVEL_DELETE:
        if level.actions.exists():
            raise Conflict(_("This level has dunning actions; it cannot be deleted."))
        audit_record(actor=actor, action=AuditEvent.Action.DELETE, obj=level, before=snapshot(level))
        level.delete()
        change.level = None  # gone; ``previous`` keeps what it was
        return policy
    values = {**({k: getattr(level, k) for k in LEVEL_FIELDS} if level else {}), **change.values}
    _check_level(policy, level, values["order"], values["days_past_due"], values["action"])
    before = snapshot(level) if level else None
    level = level or DunningLevel(policy=policy)
    for key in LEVEL_FIELDS:
        setattr(level, key, values.get(key, "") if key == "name_en" else values[key])  # name_en: optional
    level.save()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE if before else AuditEvent.Action.CREATE,
                 obj=level, before=before, after=snapshot(level))
    if change.kind == DunningChangeKind.LEVEL_CREATE:
        change.level = level
    return policy


def _apply_dunning_change(actor, change) -> DunningPolicy:
    """Put an approved dunning change in force (called by ``proposals.services.change_approve``)."""
    policy = _apply_level(actor, change) if change.is_level_change else _apply_policy(actor, change)
    change.policy = policy
    return policy


def _dunning_change_title(change) -> str:
    title = str(change.get_kind_display()).capitalize()
    if change.policy_id:
        title += f": {change.policy.localized_name}"
    if change.level_id and change.level is not None:
        title += f" · {change.level}"
    return title


proposals_registry.register(proposals_registry.ChangeKind(
    slug=DunningPolicyChange.change_slug, model=DunningPolicyChange, apply=_apply_dunning_change,
    permission=_dunning_change_permission, title=_dunning_change_title, rows=dunning_change_rows,
    audit_extra=lambda change: {"policy_id": change.policy_id, "level_id": change.level_id},
    messages={"open": gettext_lazy("A change of this dunning policy is already waiting for approval.")}))


