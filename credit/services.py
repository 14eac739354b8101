"""Every write and business rule of the credit app.

Services are ``<entity>_<action>(*, actor, ...)``, run in one transaction, check the actor's permission
(``access.require``) and the object scope (``visible_to``), lock the row before a transition
(``select_for_update``) and re-check the state — and for approvals the level — after the lock, write the
audit trail in the same transaction and publish events on commit:

    credit.facility_changed      facility_id             (opened, limit changed, suspended, resumed, ...)
    credit.covenant_breached     breach_id, covenant_id, customer_id, application_id

Public entry points used by other apps: ``facility_suspend(*, actor, facility, reason)`` and
``facility_resume(*, actor, facility, reason)`` (collection's dunning, acting as the system user),
``limit_check`` / ``order_record`` / ``order_release``.
"""
from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from audit.models import AuditEvent
from audit.services import audit_record, snapshot
from creditportal.core import access, clock, dates
from creditportal.core.canonical import jsonable
from creditportal.core.errors import Conflict, NotAllowed, ValidationFailed
from creditportal.core.events import publish_on_commit
from creditportal.core.formatting import LazyMoney
from creditportal.core.i18n import Message
from creditportal.core.money import CURRENCY_CODES, MissingRate, RateTable, to_decimal
from customers.models import Customer
from proposals import registry as proposals_registry
from proposals import services as proposals
from proposals.models import Proposal

from . import rules, selectors
from .models import (
    ApproverAuthority,
    AuthorityLevel,
    Collateral,
    Covenant,
    CovenantBreach,
    CreditApplication,
    CreditPolicy,
    Decision,
    Delegation,
    Facility,
    GroupLimit,
    Guarantor,
    Order,
    PolicyGradeRule,
)

S = CreditApplication.Status
ZERO = Decimal("0")

VIOLATION_LABELS = {
    "grade_not_eligible": gettext_lazy("The policy does not lend to this grade."),
    "max_limit": gettext_lazy("The customer's exposure after this amount exceeds the policy's maximum limit for "
                              "the grade."),
    "max_equity_share": gettext_lazy("The customer's exposure after this amount exceeds the policy's share of "
                                     "equity."),
    "max_revenue_share": gettext_lazy("The customer's exposure after this amount exceeds the policy's share of "
                                      "revenue."),
    "equity_unknown": gettext_lazy("No statement with equity: the equity cap cannot be checked."),
    "revenue_unknown": gettext_lazy("No statement with revenue: the revenue cap cannot be checked."),
    "max_term": gettext_lazy("The term exceeds the policy's maximum term."),
    "min_coverage": gettext_lazy("Collateral and guarantees cover less than the policy requires."),
    "group_limit": gettext_lazy("The group's exposure after this amount exceeds the group limit: refused until "
                                "the group limit is raised."),
    "no_policy": gettext_lazy("No credit policy is in force."),
}

LIMIT_REASON_LABELS = {
    "suspended": gettext_lazy("The facility is suspended."),
    "closed": gettext_lazy("The facility is closed."),
    "expired": gettext_lazy("The facility has expired."),
    "not_started": gettext_lazy("The facility has not started yet."),
    "rating_expired": gettext_lazy("The customer has no approved, current rating."),
    "customer_suspended": gettext_lazy("The customer is suspended or closed."),
    "over_free_limit": gettext_lazy("The amount exceeds the free limit."),
    "over_group_limit": gettext_lazy("The amount exceeds the free group limit."),
    "amount_not_positive": gettext_lazy("The amount must be positive."),
    "missing_fx_rate": gettext_lazy("No FX rate for this currency."),
}


def violation_text(code: str) -> str:
    return str(VIOLATION_LABELS.get(code, code))


def limit_reason_text(code: str) -> str:
    return str(LIMIT_REASON_LABELS.get(code, code))


# --- helpers ----------------------------------------------------------------------------------

def _locked(model, pk):
    return model.objects.select_for_update().get(pk=pk)


def _transition(obj, method_name: str):
    try:
        getattr(obj, method_name)()
    except TransitionNotAllowed as exc:
        raise Conflict(_("This action is not allowed in the object's current state (%(state)s).")
                       % {"state": obj.get_status_display()}) from exc


def _save(obj, **kwargs):
    try:
        obj.save(**kwargs)
    except ConcurrentTransition as exc:
        raise Conflict(_("Someone else changed this object at the same time; reload and try again.")) from exc


def _positive(value, field: str) -> Decimal:
    try:
        amount = to_decimal(value)
    except ValueError as exc:
        raise ValidationFailed(_("Enter a number."), field_errors={field: _("Enter a number.")}) from exc
    if amount <= 0:
        raise ValidationFailed(_("The amount must be positive."), field_errors={field: _("Must be positive.")})
    return amount


def _currency(value, field="currency") -> str:
    if value not in CURRENCY_CODES:
        raise ValidationFailed(_("Unknown currency."), field_errors={field: _("Unknown currency.")})
    return value


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _require_visible_customer(actor, customer):
    if not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
        raise NotAllowed(_("This customer is not in your portfolio."))


def _require_visible(actor, queryset, obj):
    if not queryset.visible_to(actor).filter(pk=obj.pk).exists():
        raise NotAllowed(_("You may not act on this object."))


# --- Credit policy ----------------------------------------------------------------------------

RULE_FIELDS = ["grade", "eligible", "max_limit", "max_limit_hard", "max_equity_share", "max_revenue_share",
               "share_hard", "max_term_months", "term_hard", "min_coverage", "coverage_hard", "pricing_spread_bps",
               "review_months"]


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
        PolicyGradeRule.objects.create(policy=policy, **data)


@transaction.atomic
def policy_create(*, actor, name, effective_from, rules=(), notes="") -> CreditPolicy:
    access.require(actor, "credit.add_creditpolicy")
    last = CreditPolicy.objects.select_for_update().order_by("-version").first()
    policy = CreditPolicy.objects.create(name=name, effective_from=effective_from, notes=notes, created_by=actor,
                                         version=(last.version + 1) if last else 1)
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
    for name in ("name", "effective_from", "notes"):
        if name in fields:
            setattr(policy, name, fields[name])
    policy.save(update_fields=["name", "effective_from", "notes"])
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


def _money_json(value):
    return None if value is None else format(Decimal(value), "f")


def _level_values(level) -> dict:
    return {"number": level.number, "name": level.name, "max_amount": _money_json(level.max_amount),
            "weakest_grade": level.weakest_grade or ""}


@transaction.atomic
def authority_level_propose(*, actor, level=None, number, name, max_amount=None, weakest_grade=""):
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
    values = {"number": number, "name": name, "max_amount": _money_json(max_amount),
              "weakest_grade": weakest_grade or ""}
    previous = _level_values(level) if level else {}
    if level is not None:
        values = {k: v for k, v in values.items() if v != previous[k]}
        if not values:
            raise ValidationFailed(_("This is the level in force; nothing to change."))
        previous = {k: previous[k] for k in values}
    return proposals.proposal_propose(
        actor=actor, kind=AUTHORITY_LEVEL_KIND, key=f"level-{level.pk}" if level else f"level-new-{number}",
        object_id=getattr(level, "pk", None), values=values, previous=previous,
        summary=_("Authority level %(number)s") % {"number": number})


def _apply_authority_level(actor, change) -> AuthorityLevel:
    level = _locked(AuthorityLevel, change.object_id) if change.object_id else None
    if level is not None and any(_level_values(level)[k] != v for k, v in change.previous.items()):
        raise Conflict(_("The authority matrix was changed after this proposal; reject it and propose again."))
    values = {**(_level_values(level) if level else {}), **change.values}
    cap = None if values["max_amount"] is None else Decimal(values["max_amount"])
    _check_matrix_monotonic((getattr(level, "pk", None), values["number"], cap))
    before = snapshot(level) if level else None
    level = level or AuthorityLevel()
    level.number, level.name, level.max_amount, level.weakest_grade = (
        values["number"], values["name"], cap, values["weakest_grade"])
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
    threshold = Decimal(str(settings.DELEGATION_FOUR_EYES_ABOVE))
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
    before = snapshot(delegation)
    delegation.revoked = True
    delegation.save(update_fields=["revoked"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=delegation, verb="revoke", before=before,
                 after=snapshot(delegation))
    return delegation


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
    previous = _group_limit_values(existing) if existing else {}
    if existing is not None:
        values = {k: v for k, v in values.items() if v != previous[k]}
        if not values:
            raise ValidationFailed(_("This is the group limit in force; nothing to change."))
        previous = {k: previous[k] for k in values}
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
    row.limit, row.currency, row.active = Decimal(values["limit"]), values["currency"], values["active"]
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


# --- Applications: data -----------------------------------------------------------------------

CHANGE_TYPES = {CreditApplication.Type.INCREASE, CreditApplication.Type.RENEWAL, CreditApplication.Type.DECREASE}


def _application_state(app) -> dict:
    return {
        **snapshot(app),
        "collaterals": [snapshot(c) for c in app.collaterals.all()],
        "guarantors": [snapshot(g) for g in app.guarantors.all()],
        "covenants": [snapshot(c) for c in app.covenants.all()],
    }


def _set_collaterals(app, items):
    app.collaterals.all().delete()
    for data in items:
        market_value = _positive(data.get("market_value"), "collaterals")
        haircut = to_decimal(data.get("haircut", "0"))
        if haircut < 0 or haircut > 1:
            raise ValidationFailed(_("A haircut is a fraction between 0 and 1."),
                                   field_errors={"collaterals": _("Check the haircut.")})
        valuation_date = data.get("valuation_date") or clock.today()
        if isinstance(valuation_date, str):
            valuation_date = dt.date.fromisoformat(valuation_date)
        due = data.get("revaluation_due") or add_months(valuation_date, 12)
        if isinstance(due, str):
            due = dt.date.fromisoformat(due)
        if data.get("kind") not in Collateral.Kind.values:
            raise ValidationFailed(_("Unknown collateral type."), field_errors={"collaterals": _("Unknown type.")})
        Collateral.objects.create(application=app, kind=data["kind"], description=data.get("description", ""),
                                  market_value=market_value, currency=_currency(data.get("currency", app.currency)),
                                  haircut=haircut, valuation_date=valuation_date, revaluation_due=due)


def _set_guarantors(app, items, actor):
    """A guarantor customer is named among the customers ``actor`` can see (one already on the application
    may stay): another portfolio's customer is refused exactly as a missing one, so its name never shows."""
    kept = set(app.guarantors.exclude(customer=None).values_list("customer_id", flat=True))
    app.guarantors.all().delete()
    visible = Customer.objects.visible_to(actor)
    for data in items:
        customer = data.get("customer")
        if customer is not None:
            pk = getattr(customer, "pk", customer)
            customer = (Customer.objects if pk in kept else visible).filter(pk=pk).first() \
                if isinstance(pk, int) else None
            if customer is None:
                raise ValidationFailed(_("This guarantor is not a customer you can name."),
                                       field_errors={"guarantors": _("Unknown customer.")})
        name = data.get("outside_name", "") or ""
        if customer is None and not name:
            raise ValidationFailed(_("A guarantor is a customer or a named outside party."),
                                   field_errors={"guarantors": _("Name the guarantor.")})
        if customer is not None and customer.pk == app.customer_id:
            raise ValidationFailed(_("A customer cannot guarantee itself."), field_errors={"guarantors": _("Same customer.")})
        Guarantor.objects.create(application=app, customer=customer, outside_name=name,
                                 amount=_positive(data.get("amount"), "guarantors"),
                                 currency=_currency(data.get("currency", app.currency)))


def _set_covenants(app, items):
    app.covenants.all().delete()
    for data in items:
        if data.get("ratio") not in Covenant.Ratio.values or data.get("comparison") not in Covenant.Comparison.values:
            raise ValidationFailed(_("Choose a ratio and a comparison."), field_errors={"covenants": _("Check the covenant.")})
        Covenant.objects.create(application=app, ratio=data["ratio"], comparison=data["comparison"],
                                threshold=to_decimal(data.get("threshold")),
                                frequency=data.get("frequency") or Covenant.Frequency.EACH_STATEMENT)


def _validate_application(app):
    if app.application_type in CHANGE_TYPES:
        if app.facility_id is None:
            raise ValidationFailed(_("An increase, renewal or decrease names the facility it changes."),
                                   field_errors={"facility": _("Choose the facility.")})
        if app.facility.customer_id != app.customer_id:
            raise ValidationFailed(_("The facility belongs to another customer."),
                                   field_errors={"facility": _("Another customer's facility.")})
        if app.facility.currency != app.currency:
            raise ValidationFailed(_("Use the facility's currency."), field_errors={"currency": app.facility.currency})
        if app.application_type == CreditApplication.Type.DECREASE and app.amount >= app.facility.limit:
            raise ValidationFailed(_("A decrease asks for less than the current limit."),
                                   field_errors={"amount": _("Not below the current limit.")})
        if app.application_type == CreditApplication.Type.INCREASE and app.amount <= app.facility.limit:
            raise ValidationFailed(_("An increase asks for more than the current limit."),
                                   field_errors={"amount": _("Not above the current limit.")})
    elif app.facility_id is not None:
        app.facility = None
    if not (app.purpose or "").strip():
        raise ValidationFailed(_("State the purpose."), field_errors={"purpose": _("Required.")})
    if app.term_months < 1 or app.term_months > 600:
        raise ValidationFailed(_("The term is in months, 1 to 600."), field_errors={"term_months": _("1 to 600.")})


APPLICATION_FIELDS = ["application_type", "facility", "amount", "currency", "term_months", "product", "purpose",
                      "conditions"]


@transaction.atomic
def application_create(*, actor, customer, amount, currency, term_months, purpose,
                       application_type=CreditApplication.Type.NEW, product=CreditApplication.Product.TRADE_CREDIT,
                       facility=None, conditions="", collaterals=(), guarantors=(), covenants=()) -> CreditApplication:
    access.require(actor, "credit.add_creditapplication")
    _require_visible_customer(actor, customer)
    app = CreditApplication(customer=customer, application_type=application_type, facility=facility,
                            amount=_positive(amount, "amount"), currency=_currency(currency),
                            term_months=int(term_months), product=product, purpose=purpose, conditions=conditions,
                            created_by=actor, status_changed_at=timezone.now())
    _validate_application(app)
    app.save()
    _set_collaterals(app, collaterals)
    _set_guarantors(app, guarantors, actor)
    _set_covenants(app, covenants)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=app, after=_application_state(app))
    return app


@transaction.atomic
def application_update(*, actor, application, collaterals=None, guarantors=None, covenants=None,
                       **fields) -> CreditApplication:
    access.require(actor, "credit.change_creditapplication")
    _require_visible(actor, CreditApplication.objects, application)
    app = _locked(CreditApplication, application.pk)
    if app.status not in (S.DRAFT, S.RETURNED):
        raise Conflict(_("Only a draft or returned application can be changed."))
    before = _application_state(app)
    for name in APPLICATION_FIELDS:
        if name in fields:
            value = fields[name]
            if name == "amount":
                value = _positive(value, "amount")
            elif name == "currency":
                value = _currency(value)
            elif name == "term_months":
                value = int(value)
            setattr(app, name, value)
    _validate_application(app)
    _save(app)
    if collaterals is not None:
        _set_collaterals(app, collaterals)
    if guarantors is not None:
        _set_guarantors(app, guarantors, actor)
    if covenants is not None:
        _set_covenants(app, covenants)
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=app, before=before, after=_application_state(app))
    return app


# --- Applications: analysis (policy check, coverage, required levels) -----------------------

def secured_amount(app, table: RateTable) -> Decimal:
    """Lendable collateral value plus guarantees (``rules.secured_value``), in the application's currency."""
    collateral = [table.convert(c.lendable_value, c.currency, app.currency) for c in app.collaterals.all()]
    guarantees = [table.convert(g.amount, g.currency, app.currency) for g in app.guarantors.all()]
    return rules.secured_value(collateral, guarantees)


def latest_statement_figures(customer, table: RateTable):
    """(equity, revenue) of the customer's latest statement, in the reporting currency (None if missing)."""
    statement = customer.statements.order_by("-period_end", "-consolidated").first()
    if statement is None:
        return None, None
    values = statement.values_in_yuan()
    equity = values.get("equity")
    revenue = values.get("revenue")
    if statement.period_type != "annual" and revenue is not None:
        revenue = None  # a revenue cap is about a year's revenue
    convert = lambda v: None if v is None else table.convert(v, statement.currency)  # noqa: E731
    return convert(equity), convert(revenue)


def analyse(app, *, grade: str | None, on_date=None) -> dict:
    """The policy check, coverage, exposure and required levels for ``app`` (nothing saved).

    Caps apply to exposure (design brief §3): the customer's exposure after the amount applied for — its
    facilities at max(limit, usage), its other pending applications, the amount — and the group's (the
    members' sum) against a hard group limit. All in the reporting currency through the FX table.
    """
    on_date = on_date or clock.today()
    table = RateTable(on_date)
    decrease = app.application_type == CreditApplication.Type.DECREASE
    replaced = app.facility if app.facility_id and app.application_type in CHANGE_TYPES else None
    try:
        amount_reporting = table.convert(app.amount, app.currency)
        secured = secured_amount(app, table)
        exposures = selectors.customer_exposures(
            selectors.group_member_ids(app.customer), table=table,
            exclude_facility_ids=[replaced.pk] if replaced else [], exclude_application_ids=[app.pk] if app.pk else [])
        replaced_usage = ZERO
        if replaced is not None:
            replaced_usage = table.convert(selectors.utilisation([replaced], table=table)[replaced.pk],
                                           replaced.currency)
        group_limit = selectors.group_limit_in_force(app.customer, on_date)
        group_limit_amount = table.convert(group_limit.limit, group_limit.currency) if group_limit else None
    except MissingRate as exc:
        raise ValidationFailed(_("No FX rate for the currency: %(error)s") % {"error": exc}) from exc
    coverage = rules.coverage_ratio(secured, app.amount)
    own_before = exposures.get(app.customer_id, ZERO)
    group_before = sum(exposures.values(), ZERO)
    exposure_after = rules.exposure_after(exposure=own_before, amount=amount_reporting, replaced_usage=replaced_usage)
    group_after = group_before - own_before + exposure_after
    policy = selectors.policy_in_force(on_date)
    if policy is None:
        result = rules.PolicyResult((rules.Violation("no_policy", rules.HARD),))
    else:
        rule_row = next((r for r in policy.rules.all() if r.grade == grade), None)
        equity, revenue = latest_statement_figures(app.customer, table)
        rule = rule_row.as_rule() if rule_row else None
        if rule is None:
            result = rules.PolicyResult((rules.Violation("grade_not_eligible", rules.HARD, "", grade or ""),))
        else:
            result = rules.policy_check(rule=rule, amount=amount_reporting, term_months=app.term_months,
                                        coverage=coverage, equity=equity, revenue=revenue, exposure=exposure_after,
                                        group_exposure=group_after, group_limit=group_limit_amount,
                                        decrease=decrease)
    needs = rules.required_levels(levels=selectors.matrix_levels(), amount=group_after - group_before,
                                  group_exposure=group_before, grade=grade,
                                  exception=bool(result.soft) and not decrease, decrease=decrease,
                                  grade_rank=selectors.grade_rank)
    return {
        "policy": policy,
        "policy_result": result,
        "coverage": coverage,
        "secured": secured,
        "amount_reporting": amount_reporting,
        "exposure": own_before,
        "exposure_after": exposure_after,
        "group_exposure": group_before,
        "group_exposure_after": group_after,
        "group_limit": group_limit_amount,
        "required": needs,
    }


def _policy_result_json(analysis) -> dict:
    result = analysis["policy_result"]
    return jsonable({
        "violations": [{**v.as_dict(), "message": violation_text(v.code)} for v in result.violations],
        "blocked": result.blocked,
        "needs_exception": result.needs_exception,
        "coverage": None if analysis["coverage"] is None else str(analysis["coverage"]),
        "exposure_after": analysis["exposure_after"],
        "group_exposure_after": analysis["group_exposure_after"],
        "group_limit": analysis["group_limit"],
        "policy_version": analysis["policy"].version if analysis["policy"] else None,
        "checked_on": clock.today(),
    })


# --- Applications: workflow --------------------------------------------------------------------

def _decide(app, actor, action, *, level=None, comment="", on_behalf_of=None):
    return Decision.objects.create(application=app, action=action, actor=actor, level=level, comment=comment,
                                   on_behalf_of=on_behalf_of)


def _audit_transition(actor, app, verb, before_status, **extra):
    audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=app, verb=verb,
                 before={"status": before_status},
                 after={"status": app.status, "current_level": app.current_level,
                        "required_levels": app.required_levels, **extra})


def _lock_application(application, expected_states) -> CreditApplication:
    """Lock the row, then re-check that it is still in the state (and level) the caller saw."""
    app = _locked(CreditApplication, application.pk)
    if app.status != application.status:
        raise Conflict(_("The application has changed in the meantime (now: %(state)s); reload and try again.")
                       % {"state": app.get_status_display()})
    if app.status not in expected_states:  # nobody changed it: the action does not apply in this state
        raise Conflict(_("The application is %(state)s: this action is not possible in that state.")
                       % {"state": app.get_status_display()})
    if app.current_level != application.current_level:
        raise Conflict(_("Another approver has acted on this level in the meantime; reload and try again."))
    return app


def _notify(recipient_ids, title, app, exclude=()):
    """In-app notification (and e-mail) to each user in ``recipient_ids`` about ``app`` (same transaction)."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from accounts.services import notification_send

    ids = set(recipient_ids) - {pk for pk in exclude if pk}
    if not ids:
        return
    url = reverse("credit:application_detail", args=[app.pk])
    body = Message("%(customer)s · %(amount)s", customer=str(app.customer), amount=LazyMoney(app.amount, app.currency))
    for user in get_user_model().objects.filter(pk__in=ids, is_active=True).order_by("pk"):
        notification_send(recipient=user, title=title, url=url, body=body)


def _notify_queue(app):
    """Tell the people who may act next that ``app`` waits for them."""
    from django.contrib.auth import get_user_model

    if app.status == S.SUBMITTED:
        analysts = get_user_model().objects.filter(groups__name=access.CREDIT_ANALYST).values_list("pk", flat=True)
        _notify(analysts, Message(gettext_lazy("Credit application %(number)s awaits review"), number=app.pk), app,
                exclude=[app.created_by_id])
    elif app.status == S.PENDING_APPROVAL and app.current_level:
        level = app.current_level
        ids = selectors.approvers_for_level(level) - selectors.approvers_for_level(level + 1)
        if not ids:
            ids = selectors.approvers_for_level(level)
        done = Decision.objects.filter(application=app, action=Decision.Action.APPROVE, voided=False)
        excluded = [app.created_by_id, app.reviewer_id, *done.values_list("actor_id", flat=True)]
        _notify(ids, Message(gettext_lazy("Credit application %(number)s awaits your approval (level %(level)s)"),
                             number=app.pk, level=level), app, exclude=excluded)


def _notify_maker(app, title):
    _notify([app.created_by_id], title % {"number": app.pk}, app)


def _mark_waiting(app):
    app.status_changed_at = timezone.now()


@transaction.atomic
def application_submit(*, actor, application, exception_reason="") -> CreditApplication:
    access.require(actor, "credit.submit_creditapplication")
    _require_visible(actor, CreditApplication.objects, application)
    app = _lock_application(application, [S.DRAFT, S.RETURNED])
    rating = selectors.current_rating(app.customer)
    if rating is None or selectors.rating_is_expired(rating):
        raise ValidationFailed(_("The customer needs an approved, unexpired rating before credit can be applied for."),
                               code="rating_required")
    analysis = analyse(app, grade=rating.grade)
    result = analysis["policy_result"]
    app.policy_result = _policy_result_json(analysis)
    if result.blocked:
        messages = "; ".join(violation_text(v.code) for v in result.hard)
        raise ValidationFailed(_("The policy check blocks this application: %(list)s") % {"list": messages},
                               code="policy_violation",
                               field_errors={"policy": [violation_text(v.code) for v in result.violations]})
    if result.soft and not (exception_reason or "").strip():
        raise ValidationFailed(
            _("The application breaks soft policy rules and needs an exception: give the reason. %(list)s")
            % {"list": "; ".join(violation_text(v.code) for v in result.soft)},
            code="exception_required", field_errors={"exception_reason": _("Explain why an exception is justified.")})
    before = app.status
    _transition(app, "submit")
    app.policy = analysis["policy"]
    app.policy_exception = bool(result.soft)
    app.exception_reason = exception_reason if result.soft else ""
    app.rating_grade = rating.grade
    app.rating_id = getattr(rating, "pk", None)
    app.amount_reporting = analysis["amount_reporting"]
    app.group_exposure = analysis["group_exposure"]
    app.current_level = 0
    app.required_levels = analysis["required"].levels or 0
    app.return_reason = ""
    _mark_waiting(app)
    _save(app)
    _decide(app, actor, Decision.Action.SUBMIT, comment=exception_reason or "")
    _audit_transition(actor, app, "submit", before, policy_result=app.policy_result)
    _notify_queue(app)
    return app


def _refuse_if_blocked(analysis):
    """A hard rule that breaks now (the exposure or the group's grew since the submission) refuses the step."""
    result = analysis["policy_result"]
    if result.blocked:
        messages = "; ".join(violation_text(v.code) for v in result.hard)
        raise ValidationFailed(_("The policy check blocks this application: %(list)s") % {"list": messages},
                               code="policy_violation",
                               field_errors={"policy": [violation_text(v.code) for v in result.hard]})


def _require_not_maker(actor, app, message=None):
    access.require_other_person(actor, app.created_by_id,
                                message or _("Four-eyes rule: you cannot review or approve your own application."))


@transaction.atomic
def application_start_review(*, actor, application) -> CreditApplication:
    access.require(actor, "credit.review_creditapplication")
    _require_visible(actor, CreditApplication.objects, application)
    app = _lock_application(application, [S.SUBMITTED])
    _require_not_maker(actor, app)
    before = app.status
    _transition(app, "start_review")
    app.reviewer = actor
    _mark_waiting(app)
    _save(app)
    _decide(app, actor, Decision.Action.START_REVIEW)
    _audit_transition(actor, app, "start_review", before)
    return app


@transaction.atomic
def application_recommend(*, actor, application, opinion) -> CreditApplication:
    access.require(actor, "credit.review_creditapplication")
    _require_visible(actor, CreditApplication.objects, application)
    app = _lock_application(application, [S.UNDER_REVIEW])
    _require_not_maker(actor, app)
    if app.reviewer_id != actor.pk:
        raise NotAllowed(_("Only the analyst who reviews this application can recommend it."))
    if not (opinion or "").strip():
        raise ValidationFailed(_("The analyst's opinion is required."), field_errors={"opinion": _("Required.")})
    rating_grade = app.rating_grade or None
    analysis = analyse(app, grade=rating_grade)
    _refuse_if_blocked(analysis)
    needs = analysis["required"]
    exception = app.policy_exception or bool(analysis["policy_result"].soft)
    if exception and app.application_type != CreditApplication.Type.DECREASE:
        needs = rules.required_levels(levels=selectors.matrix_levels(),
                                      amount=analysis["group_exposure_after"] - analysis["group_exposure"],
                                      group_exposure=analysis["group_exposure"], grade=rating_grade, exception=True)
    if not needs.levels:
        raise ValidationFailed(_("No level of the authority matrix may approve this amount and grade."),
                               code="beyond_matrix")
    before = app.status
    _transition(app, "recommend")
    app.analyst_opinion = opinion
    _decide(app, actor, Decision.Action.RECOMMEND, comment=opinion)
    _transition(app, "route_to_approval")
    app.required_levels = needs.levels
    app.current_level = 1
    app.group_exposure = analysis["group_exposure"]
    app.amount_reporting = analysis["amount_reporting"]
    _mark_waiting(app)
    _save(app)
    _decide(app, actor, Decision.Action.ROUTE, comment=",".join(needs.reasons), level=needs.levels)
    _audit_transition(actor, app, "recommend", before, reasons=list(needs.reasons))
    _notify_queue(app)
    return app


def approval_refusal(actor, app, on_date=None):
    """Why ``actor`` may not approve/reject/return ``app`` at its current level now (None: they may)."""
    if not access.has(actor, "credit.approve_creditapplication"):
        return _("You do not have the permission to do this.")
    if app.created_by_id == actor.pk:
        return _("Four-eyes rule: you cannot review or approve your own application.")
    if app.reviewer_id == actor.pk:
        return _("Four-eyes rule: the analyst who recommended the application cannot approve it.")
    level, delegator = selectors.effective_authority(actor, on_date)
    if not level or level < app.current_level:
        return _("This needs level %(level)s authority; yours is %(yours)s.") % {
            "level": app.current_level, "yours": level or "-"}
    return None


def _approval_authority(actor, app):
    refusal = approval_refusal(actor, app)
    if refusal:
        raise NotAllowed(refusal)
    level, delegator = selectors.effective_authority(actor)
    own = selectors.own_level(actor)
    on_behalf_of = delegator if delegator is not None and (own or 0) < app.current_level else None
    return on_behalf_of


@transaction.atomic
def application_approve(*, actor, application, comment="", expected_level=None) -> CreditApplication:
    """Approve the current level k of n: k+1 only after k; the last level approves and opens the facility.

    ``expected_level`` (optional) is the level the approver saw: a different level after the lock is 409.
    """
    access.require(actor, "credit.approve_creditapplication")
    _require_visible(actor, CreditApplication.objects, application)
    app = _lock_application(application, [S.PENDING_APPROVAL])
    if expected_level is not None and int(expected_level) != app.current_level:
        raise Conflict(_("The application is now at level %(level)s; reload and try again.")
                       % {"level": app.current_level})
    on_behalf_of = _approval_authority(actor, app)
    if selectors.rating_is_expired(selectors.current_rating(app.customer)):
        raise ValidationFailed(_("The customer needs an approved, unexpired rating before credit can be applied for."),
                               code="rating_required")
    valid = Decision.objects.filter(application=app, action=Decision.Action.APPROVE, voided=False)
    if valid.filter(actor=actor).exists() or (on_behalf_of and valid.filter(actor=on_behalf_of).exists()) \
            or valid.filter(on_behalf_of=actor).exists():
        raise NotAllowed(_("Four-eyes rule: one person cannot approve two levels of one application."))
    before = app.status
    level = app.current_level
    if level >= app.required_levels:  # the last level: the limit is about to open
        _refuse_if_blocked(analyse(app, grade=app.rating_grade or None))
    _decide(app, actor, Decision.Action.APPROVE, level=level, comment=comment, on_behalf_of=on_behalf_of)
    if level < app.required_levels:
        _transition(app, "approve_level")
        app.current_level = level + 1
        _mark_waiting(app)
        _save(app)
        _audit_transition(actor, app, "approve", before, level=level)
        _notify_queue(app)
        return app
    _transition(app, "approve_final")
    app.decided_at = timezone.now()
    _mark_waiting(app)
    _save(app)
    _audit_transition(actor, app, "approve", before, level=level, final=True)
    _open_facility(actor, app)
    _notify_maker(app, Message(gettext_lazy("Credit application %(number)s is approved")))
    return app


def _open_facility(actor, app):
    today = clock.today()
    before = app.status
    if app.application_type in CHANGE_TYPES:
        facility = _locked(Facility, app.facility_id)
        facility_before = snapshot(facility)
        facility.limit = app.amount
        if app.application_type == CreditApplication.Type.RENEWAL:
            facility.expiry_date = add_months(today, app.term_months)
        facility.application = app
        _save(facility)
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=facility, verb=app.application_type,
                     before=facility_before, after=snapshot(facility))
    else:
        facility = Facility.objects.create(
            customer=app.customer, application=app, product=app.product, limit=app.amount, currency=app.currency,
            start_date=today, expiry_date=add_months(today, app.term_months),
            temporary=app.application_type == CreditApplication.Type.TEMPORARY)
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=facility, after=snapshot(facility))
    _transition(app, "open_facility")
    if app.facility_id is None:
        app.facility = facility
    _save(app)
    _decide(app, actor, Decision.Action.OPEN_FACILITY, comment=f"#{facility.pk}")
    _audit_transition(actor, app, "open_facility", before, facility_id=facility.pk)
    publish_on_commit("credit.facility_changed", facility_id=facility.pk)
    return facility


def _reviewer_or_approver(actor, app):
    """Reject/return: the reviewing analyst before approval, an approver with authority during it."""
    if app.status == S.PENDING_APPROVAL:
        access.require(actor, "credit.approve_creditapplication")
        _approval_authority(actor, app)
        return app.current_level
    access.require(actor, "credit.review_creditapplication")
    _require_not_maker(actor, app)
    if app.status in (S.UNDER_REVIEW, S.RECOMMENDED) and app.reviewer_id not in (None, actor.pk):
        raise NotAllowed(_("Only the analyst who reviews this application can do this."))
    return None


@transaction.atomic
def application_reject(*, actor, application, comment, expected_level=None) -> CreditApplication:
    if not access.has(actor, "credit.approve_creditapplication"):
        access.require(actor, "credit.review_creditapplication")
    _require_visible(actor, CreditApplication.objects, application)
    app = _lock_application(application, [S.UNDER_REVIEW, S.RECOMMENDED, S.PENDING_APPROVAL])
    if expected_level is not None and int(expected_level) != app.current_level:
        raise Conflict(_("The application is now at level %(level)s; reload and try again.")
                       % {"level": app.current_level})
    level = _reviewer_or_approver(actor, app)
    if not (comment or "").strip():
        raise ValidationFailed(_("Give the reason for the rejection."), field_errors={"comment": _("Required.")})
    before = app.status
    _transition(app, "reject")
    app.decided_at = timezone.now()
    _mark_waiting(app)
    _save(app)
    _decide(app, actor, Decision.Action.REJECT, level=level, comment=comment)
    _audit_transition(actor, app, "reject", before, comment=comment)
    _notify_maker(app, Message(gettext_lazy("Credit application %(number)s is rejected")))
    return app


@transaction.atomic
def application_return(*, actor, application, reason, expected_level=None) -> CreditApplication:
    """Back to the manager with a reason; approvals already given are voided."""
    if not access.has(actor, "credit.approve_creditapplication"):
        access.require(actor, "credit.review_creditapplication")
    _require_visible(actor, CreditApplication.objects, application)
    app = _lock_application(application, [S.SUBMITTED, S.UNDER_REVIEW, S.RECOMMENDED, S.PENDING_APPROVAL])
    if expected_level is not None and int(expected_level) != app.current_level:
        raise Conflict(_("The application is now at level %(level)s; reload and try again.")
                       % {"level": app.current_level})
    level = _reviewer_or_approver(actor, app)
    if not (reason or "").strip():
        raise ValidationFailed(_("Give the reason for the return."), field_errors={"reason": _("Required.")})
    before = app.status
    voided = Decision.objects.filter(application=app, action=Decision.Action.APPROVE, voided=False).update(voided=True)
    _transition(app, "return_to_manager")
    app.return_reason = reason
    app.current_level = 0
    app.reviewer = None
    _mark_waiting(app)
    _save(app)
    _decide(app, actor, Decision.Action.RETURN, level=level, comment=reason)
    _audit_transition(actor, app, "return", before, reason=reason, approvals_voided=voided)
    _notify_maker(app, Message(gettext_lazy("Credit application %(number)s is returned to you")))
    return app


@transaction.atomic
def application_withdraw(*, actor, application, comment="") -> CreditApplication:
    access.require(actor, "credit.withdraw_creditapplication")
    _require_visible(actor, CreditApplication.objects, application)
    app = _lock_application(application, CreditApplication.OPEN_STATES)
    if actor.pk not in (app.created_by_id, app.customer.relationship_manager_id):
        raise NotAllowed(_("Only the manager who filed the application can withdraw it."))
    before = app.status
    _transition(app, "withdraw")
    app.decided_at = timezone.now()
    _mark_waiting(app)
    _save(app)
    _decide(app, actor, Decision.Action.WITHDRAW, comment=comment)
    _audit_transition(actor, app, "withdraw", before)
    return app


ACTIONS = ["submit", "start_review", "recommend", "approve", "reject", "return", "withdraw"]


def available_actions(actor, app) -> list[str]:
    """The workflow actions ``actor`` may take on ``app`` now (pages and API show only these)."""
    result = []
    st = app.status
    if st in (S.DRAFT, S.RETURNED) and access.has(actor, "credit.submit_creditapplication"):
        result.append("submit")
    reviewer = access.has(actor, "credit.review_creditapplication") and app.created_by_id != actor.pk
    if st == S.SUBMITTED and reviewer:
        result.append("start_review")
    if st == S.UNDER_REVIEW and reviewer and app.reviewer_id == actor.pk:
        result += ["recommend", "reject", "return"]
    if st == S.SUBMITTED and reviewer:
        result.append("return")
    if st == S.PENDING_APPROVAL and approval_refusal(actor, app) is None and not app.decisions.filter(
            action=Decision.Action.APPROVE, voided=False, actor=actor).exists():
        result += ["approve", "reject", "return"]
    if st in CreditApplication.OPEN_STATES and access.has(actor, "credit.withdraw_creditapplication") and \
            actor.pk in (app.created_by_id, app.customer.relationship_manager_id):
        result.append("withdraw")
    return result


# --- Facilities -------------------------------------------------------------------------------

def _facility_transition(*, actor, facility, method, reason, permission, verb):
    access.require(actor, permission)
    _require_visible(actor, Facility.objects, facility)
    if not (reason or "").strip():
        raise ValidationFailed(_("Give a reason."), field_errors={"reason": _("Required.")})
    locked = _locked(Facility, facility.pk)
    before = locked.status
    _transition(locked, method)
    locked.status_reason = reason[:300]
    _save(locked)
    audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=locked, verb=verb,
                 before={"status": before}, after={"status": locked.status, "reason": reason})
    publish_on_commit("credit.facility_changed", facility_id=locked.pk)
    return locked


@transaction.atomic
def facility_suspend(*, actor, facility, reason) -> Facility:
    """Suspend deliveries (暂停交货): no new orders until resumed."""
    return _facility_transition(actor=actor, facility=facility, method="suspend", reason=reason,
                                permission="credit.suspend_facility", verb="suspend")


@transaction.atomic
def facility_resume(*, actor, facility, reason) -> Facility:
    """Lift a suspension: only the roles with ``credit.resume_facility`` (approvers), whoever imposed it;
    the reason is required and audited with the actor."""
    return _facility_transition(actor=actor, facility=facility, method="resume", reason=reason,
                                permission="credit.resume_facility", verb="resume")


@transaction.atomic
def facility_close(*, actor, facility, reason) -> Facility:
    return _facility_transition(actor=actor, facility=facility, method="close", reason=reason,
                                permission="credit.change_facility", verb="close")


@transaction.atomic
def facility_reduce_limit(*, actor, facility, new_limit, reason) -> Facility:
    access.require(actor, "credit.change_facility")
    _require_visible(actor, Facility.objects, facility)
    locked = _locked(Facility, facility.pk)
    new_limit = to_decimal(new_limit)
    if new_limit < 0 or new_limit >= locked.limit:
        raise ValidationFailed(_("The new limit must be lower than the current one and not negative."),
                               field_errors={"new_limit": _("Lower than %(limit)s.") % {"limit": locked.limit}})
    if locked.status not in (Facility.Status.ACTIVE, Facility.Status.SUSPENDED):
        raise Conflict(_("Only an active or suspended facility can be changed."))
    if not (reason or "").strip():
        raise ValidationFailed(_("Give a reason."), field_errors={"reason": _("Required.")})
    before = locked.limit
    locked.limit = new_limit
    locked.status_reason = reason[:300]
    _save(locked)
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=locked, verb="reduce_limit",
                 before={"limit": before}, after={"limit": new_limit, "reason": reason})
    publish_on_commit("credit.facility_changed", facility_id=locked.pk)
    return locked


def facilities_expire_due(*, actor, on_date=None) -> int:
    """Expire every open facility whose expiry date has passed (nightly; idempotent; chunks of 200)."""
    access.require(actor, "credit.change_facility")
    on_date = on_date or clock.today()
    count = 0
    while True:
        ids = list(Facility.objects.filter(status__in=selectors.OPEN_FACILITY_STATES, expiry_date__lt=on_date)
                   .order_by("pk").values_list("pk", flat=True)[:200])
        if not ids:
            return count
        with transaction.atomic():
            for facility in Facility.objects.select_for_update().filter(pk__in=ids):
                if facility.status not in selectors.OPEN_FACILITY_STATES:
                    continue
                before = facility.status
                facility.expire()
                facility.status_reason = _("expired on %(date)s") % {"date": facility.expiry_date}
                _save(facility)
                audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=facility, verb="expire",
                             before={"status": before}, after={"status": facility.status})
                publish_on_commit("credit.facility_changed", facility_id=facility.pk)
                count += 1


# --- Limit control ----------------------------------------------------------------------------

def limit_check(*, actor, facility, amount, currency) -> rules.LimitCheck:
    """May an order or drawdown of ``amount`` ``currency`` go on ``facility`` now, and if not, why not."""
    access.require(actor, "credit.view_facility")
    _require_visible(actor, Facility.objects, facility)
    amount = to_decimal(amount)
    return selectors.limit_check(facility, amount, _currency(currency))


@transaction.atomic
def order_record(*, actor, facility, amount, currency, reference) -> Order:
    """Record an order: reserves the limit. Locks the facility row (and the group limit row) so that
    concurrent orders never take the facility or the group above its limit."""
    access.require(actor, "credit.add_order")
    _require_visible(actor, Facility.objects, facility)
    amount = _positive(amount, "amount")
    currency = _currency(currency)
    if not (reference or "").strip():
        raise ValidationFailed(_("Give the order reference."), field_errors={"reference": _("Required.")})
    locked = Facility.objects.select_for_update().select_related("customer").get(pk=facility.pk)
    if locked.customer.group_id:
        list(GroupLimit.objects.select_for_update().filter(group_id=locked.customer.group_id))
    check = selectors.limit_check(locked, amount, currency)
    if not check.allowed:
        raise ValidationFailed(
            _("The order is refused: %(reasons)s") % {"reasons": " ".join(limit_reason_text(r) for r in check.reasons)},
            code="limit_refused", field_errors={"amount": [limit_reason_text(r) for r in check.reasons]})
    if Order.objects.filter(facility=locked, reference=reference).exists():
        raise ValidationFailed(_("This order reference is recorded already."),
                               field_errors={"reference": _("Already recorded.")})
    order = Order.objects.create(facility=locked, reference=reference, amount=amount, currency=currency,
                                 created_by=actor)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=order, after=snapshot(order))
    publish_on_commit("credit.facility_changed", facility_id=locked.pk)
    return order


@transaction.atomic
def order_release(*, actor, order, reason="", cancel=False) -> Order:
    """Release an order's reservation (invoiced: the invoice now counts) or cancel it."""
    access.require(actor, "credit.change_order")
    _require_visible(actor, Order.objects, order)
    locked = _locked(Order, order.pk)
    if locked.status != Order.Status.RESERVED:
        raise Conflict(_("The order is no longer reserved."))
    locked.status = Order.Status.CANCELLED if cancel else Order.Status.RELEASED
    locked.released_at = timezone.now()
    locked.save(update_fields=["status", "released_at"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=locked, verb="cancel" if cancel else "release",
                 before={"status": "reserved"}, after={"status": locked.status, "reason": reason})
    publish_on_commit("credit.facility_changed", facility_id=locked.facility_id)
    return locked


# --- Covenants --------------------------------------------------------------------------------

def covenants_test_statement(*, actor, statement_id) -> list[CovenantBreach]:
    """Test the covenants of the customer's opened facilities against a newly saved statement.

    ``each_statement``, ``quarterly`` and ``half_yearly`` covenants are tested on every statement,
    ``yearly`` ones on annual statements only. A breach is recorded once per covenant and statement
    (idempotent) and published as ``credit.covenant_breached``.
    """
    from customers.models import FinancialStatement

    access.require(actor, "credit.view_covenant")
    statement = FinancialStatement.objects.filter(pk=statement_id).first()
    if statement is None:
        return []
    from customers import rules as customer_rules
    from customers.selectors import ratios_for_statements

    values = statement.values_in_yuan()
    analysed = ratios_for_statements([statement.pk]).get(statement.pk) or {"ratios": {}}
    ratios = customer_rules.covenant_figures(values, analysed["ratios"])
    depleted = customer_rules.equity_depleted(values)
    covenants = Covenant.objects.filter(application__customer_id=statement.customer_id,
                                        application__status=S.FACILITY_OPENED).select_related("application")
    breaches = []
    today = clock.today()
    with transaction.atomic():
        for covenant in covenants.select_for_update(of=("self",)):
            if covenant.frequency == Covenant.Frequency.YEARLY and statement.period_type != "annual":
                continue
            value = ratios.get(covenant.ratio)
            holds = rules.covenant_holds(value, covenant.comparison, covenant.threshold, ratio=covenant.ratio,
                                         equity_depleted=depleted)
            covenant.last_tested_on = today
            covenant.save(update_fields=["last_tested_on"])
            if holds is not False:
                continue
            breach, created = CovenantBreach.objects.get_or_create(
                covenant=covenant, statement_id=statement.pk,
                defaults={"customer_id": statement.customer_id, "value": value, "tested_on": today})
            if created:
                audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=breach, after=snapshot(breach))
                publish_on_commit("credit.covenant_breached", breach_id=breach.pk, covenant_id=covenant.pk,
                                  customer_id=statement.customer_id, application_id=covenant.application_id)
                breaches.append(breach)
    return breaches


def system_actor():
    from accounts.system import system_user

    return system_user()


User = get_user_model()
