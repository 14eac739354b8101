"""The application workflow: submit, review, recommend, approve (opening the facility), reject,
return, withdraw, and the actions a user may take now (``available_actions``)."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import AuditEvent
from audit.services import audit_record, snapshot
from creditportal.core import access, clock
from creditportal.core.errors import Conflict, NotAllowed, ValidationFailed
from creditportal.core.events import publish_on_commit
from creditportal.core.formatting import LazyMoney
from creditportal.core.i18n import Message

from .. import providers, rules, selectors
from ..models import CreditApplication, Decision, Facility
from ._common import S, _locked, _require_visible, _save, _transition, add_months, violation_text
from .applications import CHANGE_TYPES, _policy_result_json, analyse


# --- Applications: workflow --------------------------------------------------------------------

def _decide(app, actor, action, *, level=None, comment="", on_behalf_of=None, acknowledged=()):
    return Decision.objects.create(application=app, action=action, actor=actor, level=level, comment=comment,
                                   on_behalf_of=on_behalf_of, acknowledged_warnings=list(acknowledged))


def _require_acknowledged(app, acknowledged_warnings, comment) -> list[dict]:
    """The warnings about the customer (``credit.providers.decision_warnings``) must each be acknowledged, with
    a comment, before an approval; returns what was acknowledged, to be kept in the decision and the memo."""
    warnings = providers.decision_warnings(app.customer)
    if not warnings:
        return []
    chosen = {str(code) for code in (acknowledged_warnings or [])}
    missing = [w for w in warnings if w["code"] not in chosen]
    if missing:
        message = _("Acknowledge each warning before approving: %(warnings)s") % {
            "warnings": " ".join(str(w["text"]) for w in missing)}
        raise ValidationFailed(message, code="warnings_unacknowledged",
                               field_errors={"acknowledged_warnings": message})
    if not (comment or "").strip():
        message = _("Say in the comment why you approve despite the warnings.")
        raise ValidationFailed(message, code="comment_required", field_errors={"comment": message})
    return [{"code": w["code"], "text": str(w["text"]), "params": w.get("params", {})} for w in warnings]


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
def application_approve(*, actor, application, comment="", expected_level=None,
                        acknowledged_warnings=()) -> CreditApplication:
    """Approve the current level k of n: k+1 only after k; the last level approves and opens the facility.

    ``expected_level`` (optional) is the level the approver saw: a different level after the lock is 409.
    ``acknowledged_warnings``: the codes of the warnings about the customer the approver acknowledges; every
    warning must be among them, with a comment (``_require_acknowledged``), and the decision keeps them.
    """
    access.require(actor, "credit.approve_creditapplication")
    _require_visible(actor, CreditApplication.objects, application)
    app = _lock_application(application, [S.PENDING_APPROVAL])
    _require_expected_level(app, expected_level)
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
    acknowledged = _require_acknowledged(app, acknowledged_warnings, comment)
    _decide(app, actor, Decision.Action.APPROVE, level=level, comment=comment, on_behalf_of=on_behalf_of,
            acknowledged=acknowledged)
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


def _require_expected_level(app, expected_level):
    """The level the caller saw (optional): another level after the lock is 409."""
    if expected_level is not None and int(expected_level) != app.current_level:
        raise Conflict(_("The application is now at level %(level)s; reload and try again.")
                       % {"level": app.current_level})


def _lock_for_reviewer_or_approver(actor, application, states, expected_level):
    """Reject/return: the permission, the scope, the lock, the level the caller saw (else 409) and who may act;
    returns the locked application and the approval level decided on (``None`` before approval)."""
    if not access.has(actor, "credit.approve_creditapplication"):
        access.require(actor, "credit.review_creditapplication")
    _require_visible(actor, CreditApplication.objects, application)
    app = _lock_application(application, states)
    _require_expected_level(app, expected_level)
    return app, _reviewer_or_approver(actor, app)


@transaction.atomic
def application_reject(*, actor, application, comment, expected_level=None) -> CreditApplication:
    app, level = _lock_for_reviewer_or_approver(actor, application, [S.UNDER_REVIEW, S.RECOMMENDED,
                                                                     S.PENDING_APPROVAL], expected_level)
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
    app, level = _lock_for_reviewer_or_approver(
        actor, application, [S.SUBMITTED, S.UNDER_REVIEW, S.RECOMMENDED, S.PENDING_APPROVAL], expected_level)
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
