"""The one four-eyes service for configuration changes: propose, approve, reject, withdraw.

Every kind (``proposals.registry``) goes through these functions: the proposer cannot decide (four-eyes), nor
can a user the change is about (segregation of duties); the change row is locked and its state re-checked; one
open proposal per target (``key``, also a database constraint); the audit event is written in the same
transaction; on approval the owning app's ``apply`` puts the change in force in that same transaction.
"""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from creditportal.core import access
from creditportal.core.errors import Conflict, NotAllowed, ValidationFailed

from . import registry
from .models import ChangeState, Proposal


def change_state(change) -> dict:
    """What the audit trail keeps of a proposal (before and after each transition)."""
    kind = registry.kind_of(change)
    return {"kind": change.slug, "key": change.key, "state": change.state, "values": change.values,
            "previous": change.previous, "proposed_by": change.proposed_by.username,
            "decided_by": change.decided_by.username if change.decided_by_id else None,
            "decision_note": change.decision_note, **kind.audit_extra(change)}


def pending(model):
    """The open proposals of ``model``, oldest first."""
    return (model.objects.filter(state=ChangeState.PROPOSED).select_related("proposed_by")
            .order_by("proposed_at", "pk"))


def may_decide(user, change) -> bool:
    """Whether ``user`` may approve or reject ``change`` (what pages and the home queue show; services check)."""
    kind = registry.kind_of(change)
    return bool(change.is_pending and access.has(user, kind.permission_for(change))
                and change.proposed_by_id != user.pk and user.pk not in set(kind.subjects(change)))


def may_withdraw(user, change) -> bool:
    """Whether ``user`` may withdraw ``change``: the proposer, while it waits (the page's button; services check)."""
    return bool(change.is_pending and change.proposed_by_id == user.pk)


def _open_conflict(kind):
    return Conflict(kind.messages.get("open") or _("A change of this is already waiting for approval."))


@transaction.atomic
def change_propose(*, actor, model, key, values=None, previous=None, **fields):
    """Record a proposal of ``model`` for the target ``key`` (the caller has checked the permission and the
    values). Nothing applies until another person approves it (``change_approve``)."""
    change = model(proposed_by=actor, key=key[:120], values=values or {}, previous=previous or {}, **fields)
    kind = registry.kind_of(change)
    access.require(actor, kind.propose_permission or kind.permission_for(change))
    for subject in (kind.proposer_subjects or kind.subjects)(change):
        access.require_not_self(actor, subject)
    if model.objects.select_for_update().filter(key=change.key, state=ChangeState.PROPOSED).exists():
        raise _open_conflict(kind)
    try:
        with transaction.atomic():
            change.save()
    except IntegrityError:  # proposed by someone else meanwhile
        raise _open_conflict(kind)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=change, after=change_state(change))
    return change


def _locked(change, actor, *, deciding=True):
    kind = registry.kind_of(change)
    permission = kind.permission_for if deciding else (lambda c: kind.propose_permission or kind.permission_for(c))
    access.require(actor, permission(change))
    locked = type(change).objects.select_for_update().select_related("proposed_by").get(pk=change.pk)
    if locked.state != ChangeState.PROPOSED:
        raise Conflict(_("This proposal was already decided."))
    access.require(actor, permission(locked))
    if deciding:
        access.require_other_person(
            actor, locked.proposed_by_id,
            _("Four-eyes rule: another risk administrator must decide on the change you proposed."))
        for subject in kind.subjects(locked):
            access.require_not_self(actor, subject, _(
                "Segregation of duties: you cannot decide a change of your own roles, authority or delegations."))
    return kind, locked


def _decide(actor, locked, verb, note, before):
    getattr(locked, verb)()
    if verb != "withdraw":
        locked.decided_by = actor
    locked.decided_at, locked.decision_note = timezone.now(), note or ""
    locked.save()
    audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=locked, verb=verb, before=before,
                 after=change_state(locked))


@transaction.atomic
def change_approve(*, actor, change, note=""):
    """A second person puts the proposed change in force (through the owning app's ``apply``); returns what
    ``apply`` returns (the object now in force)."""
    kind, locked = _locked(change, actor)
    before = change_state(locked)
    result = kind.apply(actor, locked)
    _decide(actor, locked, "approve", note, before)
    change.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    return result


@transaction.atomic
def change_reject(*, actor, change, note=""):
    """A second person turns the proposal down, with the reason; the configuration stays."""
    _kind, locked = _locked(change, actor)
    if not (note or "").strip():
        raise ValidationFailed(_("Give the reason for the rejection."), field_errors={"note": _("Required.")})
    _decide(actor, locked, "reject", note, change_state(locked))
    return locked


@transaction.atomic
def change_withdraw(*, actor, change, note=""):
    """The proposer takes their proposal back; the configuration stays."""
    _kind, locked = _locked(change, actor, deciding=False)
    if locked.proposed_by_id != actor.pk:
        raise NotAllowed(_("Only the person who proposed a change can withdraw it."))
    _decide(actor, locked, "withdraw", note, change_state(locked))
    return locked


def proposal_propose(*, actor, kind, key, values, previous=None, subject=None, object_id=None, summary=""):
    """A ``Proposal`` (the shared table) of a registered ``kind``."""
    return change_propose(actor=actor, model=Proposal, key=f"{kind}:{key}", values=values, previous=previous,
                          kind=kind, subject=subject, object_id=object_id, summary=str(summary)[:200])
