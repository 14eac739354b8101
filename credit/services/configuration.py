"""Credit policy and the authority matrix: approval levels, approvers, delegations and group
limits (four-eyes proposals; their kinds are registered here)."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import AuditEvent
from audit.services import audit_record, audited_update, snapshot
from creditportal.core import access, dates
from creditportal.core.errors import Conflict, ValidationFailed
from creditportal.core.money import to_decimal
from proposals import registry as proposals_registry
from proposals import services as proposals
from proposals.models import Proposal

from .. import rules
from ..models import ApproverAuthority, AuthorityLevel, CreditPolicy, Delegation, GroupLimit, PolicyGradeRule
from . import terms as rules_terms
from ._common import User, _currency, _locked, _positive, _save, _transition


# --- Credit policy ----------------------------------------------------------------------------

RULE_FIELDS = ["grade", "eligible", "max_limit", "max_limit_hard", "max_equity_share", "max_revenue_share",
               "share_hard", "max_term_months", "term_hard", "min_coverage", "coverage_hard", "pricing_spread_bps",
               "review_months", *rules_terms.TERM_RULE_FIELDS]


def _policy_state(policy) -> dict:
    return {**snapshot(policy), "rules": [snapshot(r) for r in policy.rules.all()]}


def _set_rules(policy, rule_dicts):
    seen = set()
    policy.rules.all().delete()
    for data in rule_dicts:
        data = {k: v for k, v in dict(data).items() if k in RULE_FIELDS}
        grade = data.get("grade")
        if grade not in rules.DEFAULT_GRADES or grade in seen:
            raise ValidationFailed(_("Each grade may have one rule."), field_errors={"rules": _("Check the grades.")})
        seen.add(grade)
        for share in ("max_equity_share", "max_revenue_share", "min_coverage"):
            if data.get(share) is not None and to_decimal(data[share]) < 0:
                raise ValidationFailed(_("Shares cannot be negative."), field_errors={"rules": share})
        rules_terms.validate_term_rule(data)
        PolicyGradeRule.objects.create(policy=policy, **data)


def _tolerance(value):
    """The overdue tolerance in days (order holds, decision warnings): empty, or a whole number 0–3650."""
    if value in (None, ""):
        return None
    try:
        days = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(_("Enter a whole number of days."),
                               field_errors={"overdue_tolerance_days": _("Enter a whole number.")}) from exc
    if not 0 <= days <= 3650:
        raise ValidationFailed(_("The tolerance must be between 0 and 3650 days."),
                               field_errors={"overdue_tolerance_days": _("Between 0 and 3650.")})
    return days


@transaction.atomic
def policy_create(*, actor, name, effective_from, rules=(), notes="", name_en="", overdue_tolerance_days=None) -> CreditPolicy:
    access.require(actor, "credit.add_creditpolicy")
    last = CreditPolicy.objects.select_for_update().order_by("-version").first()
    policy = CreditPolicy.objects.create(name=name, name_en=name_en or "", effective_from=effective_from, notes=notes, created_by=actor,
                                         version=(last.version + 1) if last else 1,
                                         overdue_tolerance_days=_tolerance(overdue_tolerance_days))
    _set_rules(policy, rules)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=policy, after=_policy_state(policy))
    return policy


@transaction.atomic
def policy_update(*, actor, policy, rules=None, **fields) -> CreditPolicy:
    access.require(actor, "credit.change_creditpolicy")
    policy = _locked(CreditPolicy, policy.pk)
    if policy.status != CreditPolicy.Status.DRAFT:
        raise Conflict(_("A policy in force cannot be edited; create a new version instead."))
    before = _policy_state(policy)
    if "overdue_tolerance_days" in fields:
        fields["overdue_tolerance_days"] = _tolerance(fields["overdue_tolerance_days"])
    for name in ("name", "name_en", "effective_from", "notes", "overdue_tolerance_days"):
        if name in fields:
            setattr(policy, name, (fields[name] or "") if name == "name_en" else fields[name])
    policy.save(update_fields=["name", "name_en", "effective_from", "notes", "overdue_tolerance_days"])
    if rules is not None:
        _set_rules(policy, rules)
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=policy, before=before, after=_policy_state(policy))
    return policy


@transaction.atomic
def policy_activate(*, actor, policy) -> CreditPolicy:
    """Put a draft in force (four-eyes: someone in the approver group other than its maker)."""
    access.require(actor, "credit.approve_creditpolicy")
    policy = _locked(CreditPolicy, policy.pk)
    access.require_other_person(actor, policy.created_by_id,
                                _("Four-eyes rule: a policy must be put in force by someone other than its maker."))
    if policy.status != CreditPolicy.Status.DRAFT:
        raise Conflict(_("Only a draft policy can be put in force."))
    if not policy.rules.exists():
        raise ValidationFailed(_("A policy needs at least one grade rule."))
    for older in CreditPolicy.objects.select_for_update().filter(status=CreditPolicy.Status.IN_FORCE,
                                                                  effective_from__lte=policy.effective_from):
        older.supersede()
        _save(older)
        audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=older, verb="supersede",
                     before={"status": "in_force"}, after={"status": older.status, "by_version": policy.version})
    _transition(policy, "activate")
    policy.activated_by = actor
    policy.activated_at = timezone.now()
    _save(policy)
    audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=policy, verb="activate",
                 before={"status": "draft"}, after={"status": policy.status})
    return policy


# --- Authority matrix -------------------------------------------------------------------------

def _check_matrix_monotonic(proposed=None):
    """A higher level may approve at least the amount of the level below it. ``proposed``: (pk or None, number,
    max_amount) of a level as a proposal would leave it, checked against the rest of the matrix in force."""
    levels = {level.pk: (level.number, level.max_amount) for level in AuthorityLevel.objects.all()}
    if proposed is not None:
        pk, number, cap = proposed
        levels[pk if pk is not None else "new"] = (number, cap)
    previous = None
    for index, (_number, cap) in enumerate(sorted(levels.values(), key=lambda item: item[0])):
        if index and cap is not None and (previous is None or cap < previous):
            raise ValidationFailed(_("A higher level must be allowed at least the amount of the level below it."),
                                   field_errors={"max_amount": _("Check the amounts of the levels.")})
        previous = cap


def _changes(values: dict, in_force: dict, unchanged_message) -> tuple[dict, dict]:
    """The proposed values that differ from those in force, and the values they replace; nothing: refused."""
    values = {k: v for k, v in values.items() if v != in_force[k]}
    if not values:
        raise ValidationFailed(unchanged_message)
    return values, {k: in_force[k] for k in values}


def _money_json(value):
    return None if value is None else format(to_decimal(value), "f")


def _level_values(level) -> dict:
    return {"number": level.number, "name": level.name, "name_en": level.name_en,
            "max_amount": _money_json(level.max_amount),
            "weakest_grade": level.weakest_grade or ""}


@transaction.atomic
def authority_level_propose(*, actor, level=None, number, name, max_amount=None, weakest_grade="", name_en=""):
    """Propose a new level of the authority matrix (``level=None``) or a change of one (amount cap, weakest
    grade). Four-eyes: it applies when another risk administrator approves it."""
    access.require(actor, "credit.change_authoritylevel" if level else "credit.add_authoritylevel")
    if max_amount is not None:
        max_amount = _positive(max_amount, "max_amount")
    if weakest_grade and weakest_grade not in rules.DEFAULT_GRADES:
        raise ValidationFailed(_("Unknown grade."), field_errors={"weakest_grade": _("Unknown grade.")})
    taken = AuthorityLevel.objects.filter(number=number).exclude(pk=getattr(level, "pk", None))
    if taken.exists():
        raise ValidationFailed(_("This level exists already."), field_errors={"number": _("Taken.")})
    if level is not None:
        level = _locked(AuthorityLevel, level.pk)
    _check_matrix_monotonic((getattr(level, "pk", None), number, max_amount))
    values = {"number": number, "name": name, "name_en": name_en or "", "max_amount": _money_json(max_amount),
              "weakest_grade": weakest_grade or ""}
    previous = {}
    if level is not None:
        values, previous = _changes(values, _level_values(level),
                                    _("This is the level in force; nothing to change."))
    return proposals.proposal_propose(
        actor=actor, kind=AUTHORITY_LEVEL_KIND, key=f"level-{level.pk}" if level else f"level-new-{number}",
        object_id=getattr(level, "pk", None), values=values, previous=previous,
        summary=_("Authority level %(number)s") % {"number": number})


def _apply_authority_level(actor, change) -> AuthorityLevel:
    level = _locked(AuthorityLevel, change.object_id) if change.object_id else None
    if level is not None and any(_level_values(level)[k] != v for k, v in change.previous.items()):
        raise Conflict(_("The authority matrix was changed after this proposal; reject it and propose again."))
    values = {**(_level_values(level) if level else {}), **change.values}
    cap = None if values["max_amount"] is None else to_decimal(values["max_amount"])
    _check_matrix_monotonic((getattr(level, "pk", None), values["number"], cap))
    before = snapshot(level) if level else None
    level = level or AuthorityLevel()
    level.number, level.name, level.max_amount, level.weakest_grade = (
        values["number"], values["name"], cap, values["weakest_grade"])
    level.name_en = values.get("name_en", level.name_en) or ""
    try:
        with transaction.atomic():
            level.save()
    except IntegrityError as exc:
        raise Conflict(_("This level exists already.")) from exc
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE if before else AuditEvent.Action.CREATE, obj=level,
                 before=before, after=snapshot(level))
    change.object_id = level.pk
    return level


def _authority_values(row) -> dict:
    return {"level": row.level.number, "level_id": row.level_id, "active": row.active}


@transaction.atomic
def approver_authority_propose(*, actor, user, level, active=True):
    """Propose ``user``'s approver level (or its deactivation). Four-eyes: it applies when another risk
    administrator approves it; nobody sets their own level."""
    existing = ApproverAuthority.objects.select_for_update().select_related("level").filter(user=user).first()
    access.require(actor, "credit.change_approverauthority" if existing else "credit.add_approverauthority")
    access.require_not_self(actor, user, _("Segregation of duties: you cannot set your own approver level."))
    if not access.has_role(user, access.APPROVER):
        raise ValidationFailed(_("Only users of the approver group can be given an authority level."),
                               field_errors={"user": _("Not an approver.")})
    values = {"level": level.number, "level_id": level.pk, "active": bool(active)}
    previous = _authority_values(existing) if existing else {}
    if previous == values:
        raise ValidationFailed(_("This is the approver's level in force; nothing to change."))
    return proposals.proposal_propose(
        actor=actor, kind=APPROVER_AUTHORITY_KIND, key=f"approver-{user.pk}", subject=user, values=values,
        previous=previous, summary=f"{user.username} → {level}")


def _apply_approver_authority(actor, change) -> ApproverAuthority:
    user = User.objects.get(pk=change.subject_id)
    existing = ApproverAuthority.objects.select_for_update().select_related("level").filter(user=user).first()
    if (_authority_values(existing) if existing else {}) != change.previous:
        raise Conflict(_("The approver's level was changed after this proposal; reject it and propose again."))
    if not access.has_role(user, access.APPROVER):
        raise Conflict(_("Only users of the approver group can be given an authority level."))
    level = AuthorityLevel.objects.get(pk=change.values["level_id"])
    before = snapshot(existing) if existing else None
    row = existing or ApproverAuthority(user=user, level=level)
    row.level, row.active = level, change.values["active"]
    row.save()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE if existing else AuditEvent.Action.CREATE, obj=row,
                 before=before, after=snapshot(row))
    return row


def _delegation_needs_four_eyes(level) -> bool:
    threshold = to_decimal(str(settings.DELEGATION_FOUR_EYES_ABOVE))
    return level.max_amount is None or level.max_amount > threshold


def _check_delegation(delegator, delegate, level, start_date, end_date, reason):
    own = ApproverAuthority.objects.filter(user=delegator, active=True).select_related("level").first()
    if own is None:
        raise ValidationFailed(_("The delegator has no authority to delegate."),
                               field_errors={"delegator": _("No authority level.")})
    level = level or own.level
    if level.number > own.level.number:
        raise ValidationFailed(_("A delegation cannot exceed the delegator's own authority."),
                               field_errors={"level": _("Above the delegator's level.")})
    if delegate.pk == delegator.pk:
        raise ValidationFailed(_("Delegate to someone else."), field_errors={"delegate": _("Choose another person.")})
    if not (delegate.is_active and access.has_role(delegate, access.APPROVER)):
        raise ValidationFailed(_("The stand-in must be an active user of the approver group."),
                               field_errors={"delegate": _("Not an approver.")})
    dates.require_plausible(start_date, "start_date")
    dates.require_plausible(end_date, "end_date")
    if end_date < start_date:
        raise ValidationFailed(_("The period ends before it starts."), field_errors={"end_date": _("Before the start.")})
    if not reason:
        raise ValidationFailed(_("Give a reason for the delegation."), field_errors={"reason": _("Required.")})
    return level


@transaction.atomic
def delegation_create(*, actor, delegator, delegate, start_date, end_date, reason, level=None):
    """Lend ``delegator``'s authority (or a lower level) to ``delegate`` from ``start_date`` to ``end_date``.
    A delegated level above ``settings.DELEGATION_FOUR_EYES_ABOVE`` (or without a cap) is proposed instead and
    returned as the ``Proposal``: it applies when a risk administrator other than the proposer, the delegator
    and the stand-in approves it. Nobody delegates to themself."""
    access.require(actor, "credit.add_delegation")
    if actor.pk != delegator.pk:
        access.require(actor, "credit.change_delegation",
                       _("Only the approver themself or a risk admin can delegate an approver's authority."))
    access.require_not_self(actor, delegate, _("Segregation of duties: you cannot delegate authority to yourself."))
    level = _check_delegation(delegator, delegate, level, start_date, end_date, reason)
    if _delegation_needs_four_eyes(level):
        return proposals.proposal_propose(
            actor=actor, kind=DELEGATION_KIND, key=f"delegation-{delegator.pk}-{delegate.pk}", subject=delegate,
            values={"delegator_id": delegator.pk, "delegate_id": delegate.pk, "level_id": level.pk,
                    "level": level.number, "start_date": start_date.isoformat(), "end_date": end_date.isoformat(),
                    "reason": reason},
            summary=f"{delegator.username} → {delegate.username} ({level})")
    delegation = Delegation.objects.create(delegator=delegator, delegate=delegate, level=level, start_date=start_date,
                                           end_date=end_date, reason=reason, created_by=actor)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=delegation, after=snapshot(delegation))
    return delegation


def _apply_delegation(actor, change) -> Delegation:
    values = change.values
    delegator, delegate = User.objects.get(pk=values["delegator_id"]), User.objects.get(pk=values["delegate_id"])
    start, end = dt.date.fromisoformat(values["start_date"]), dt.date.fromisoformat(values["end_date"])
    level = _check_delegation(delegator, delegate, AuthorityLevel.objects.get(pk=values["level_id"]), start, end,
                              values["reason"])
    delegation = Delegation.objects.create(delegator=delegator, delegate=delegate, level=level, start_date=start,
                                           end_date=end, reason=values["reason"], created_by=change.proposed_by)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=delegation, after=snapshot(delegation))
    change.object_id = delegation.pk
    return delegation


@transaction.atomic
def delegation_revoke(*, actor, delegation) -> Delegation:
    delegation = _locked(Delegation, delegation.pk)
    if actor.pk != delegation.delegator_id:
        access.require(actor, "credit.change_delegation")
    else:
        access.require(actor, "credit.add_delegation")
    return audited_update(actor, delegation, verb="revoke", revoked=True)


def _group_limit_values(row) -> dict:
    return {"limit": _money_json(row.limit), "currency": row.currency,
            "expiry_date": row.expiry_date.isoformat() if row.expiry_date else None, "active": row.active}


@transaction.atomic
def group_limit_propose(*, actor, group, limit, currency, expiry_date=None, active=True):
    """Propose a group's overall limit (setting or changing it). Four-eyes: it applies when another risk
    administrator approves it."""
    existing = GroupLimit.objects.select_for_update().filter(group=group).first()
    access.require(actor, "credit.change_grouplimit" if existing else "credit.add_grouplimit")
    limit = to_decimal(limit)
    if limit < 0:
        raise ValidationFailed(_("The amount must be positive."), field_errors={"limit": _("Must be positive.")})
    values = {"limit": _money_json(limit), "currency": _currency(currency),
              "expiry_date": expiry_date.isoformat() if expiry_date else None, "active": bool(active)}
    previous = {}
    if existing is not None:
        values, previous = _changes(values, _group_limit_values(existing),
                                    _("This is the group limit in force; nothing to change."))
    return proposals.proposal_propose(actor=actor, kind=GROUP_LIMIT_KIND, key=f"group-{group.pk}",
                                      object_id=group.pk, values=values, previous=previous, summary=group.name)


def _apply_group_limit(actor, change) -> GroupLimit:
    existing = GroupLimit.objects.select_for_update().filter(group_id=change.object_id).first()
    if (existing is None) != (not change.previous) or (
            existing is not None and any(_group_limit_values(existing)[k] != v for k, v in change.previous.items())):
        raise Conflict(_("The group limit was changed after this proposal; reject it and propose again."))
    values = {**(_group_limit_values(existing) if existing else {}), **change.values}
    before = snapshot(existing) if existing else None
    row = existing or GroupLimit(group_id=change.object_id)
    row.limit, row.currency, row.active = to_decimal(values["limit"]), values["currency"], values["active"]
    row.expiry_date = dt.date.fromisoformat(values["expiry_date"]) if values["expiry_date"] else None
    row.save()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE if existing else AuditEvent.Action.CREATE, obj=row,
                 before=before, after=snapshot(row))
    return row


def _field_rows(model, change, display=None):
    display = display or (lambda field, value: value)
    rows = []
    for field in dict.fromkeys([*change.previous, *change.values]):
        if field.endswith("_id"):
            continue
        try:
            label = str(model._meta.get_field(field).verbose_name)
        except Exception:  # a value that is not a model field (the level's number)
            label = field
        rows.append({"field": field, "label": label,
                     "before": display(field, change.previous[field]) if field in change.previous else None,
                     "after": display(field, change.values[field]) if field in change.values else None})
    return rows


def _group_name(change) -> str:
    from customers.models import CustomerGroup

    return CustomerGroup.objects.filter(pk=change.object_id).values_list("name", flat=True).first() or "?"


AUTHORITY_LEVEL_KIND = "credit.authority_level"
APPROVER_AUTHORITY_KIND = "credit.approver_authority"
DELEGATION_KIND = "credit.delegation"
GROUP_LIMIT_KIND = "credit.group_limit"

proposals_registry.register(proposals_registry.ChangeKind(
    slug=AUTHORITY_LEVEL_KIND, model=Proposal, apply=_apply_authority_level,
    permission=lambda change: "credit.change_authoritylevel" if change.object_id else "credit.add_authoritylevel",
    title=lambda change: (_("Change of authority level %(number)s") if change.object_id
                          else _("New authority level %(number)s")) % {
        "number": change.values.get("number", change.previous.get("number", ""))},
    rows=lambda change: _field_rows(AuthorityLevel, change),
    messages={"open": gettext_lazy("A change of this authority level is already waiting for approval.")}))
proposals_registry.register(proposals_registry.ChangeKind(
    slug=APPROVER_AUTHORITY_KIND, model=Proposal, apply=_apply_approver_authority,
    permission="credit.change_approverauthority",
    title=lambda change: _("Approver level of %(user)s") % {"user": change.subject.username},
    rows=lambda change: _field_rows(ApproverAuthority, change),
    subjects=lambda change: [change.subject_id],
    messages={"open": gettext_lazy("A change of this approver's level is already waiting for approval.")}))
proposals_registry.register(proposals_registry.ChangeKind(
    slug=DELEGATION_KIND, model=Proposal, apply=_apply_delegation, permission="credit.change_delegation",
    propose_permission="credit.add_delegation",
    title=lambda change: _("Delegation %(summary)s") % {"summary": change.summary},
    rows=lambda change: _field_rows(Delegation, change),
    subjects=lambda change: [change.subject_id, change.values.get("delegator_id")],
    proposer_subjects=lambda change: [change.subject_id],
    messages={"open": gettext_lazy("A delegation between these approvers is already waiting for approval.")}))
proposals_registry.register(proposals_registry.ChangeKind(
    slug=GROUP_LIMIT_KIND, model=Proposal, apply=_apply_group_limit, permission=lambda change: (
        "credit.change_grouplimit" if change.previous else "credit.add_grouplimit"),
    title=lambda change: _("Group limit of %(group)s") % {"group": _group_name(change)},
    rows=lambda change: _field_rows(GroupLimit, change),
    messages={"open": gettext_lazy("A change of this group's limit is already waiting for approval.")}))
