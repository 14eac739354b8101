"""Every write and business rule of ratings. Services are ``<entity>_<action>(*, actor, ...)``, run in one
transaction, check permissions with ``access.require`` (four-eyes with ``access.require_other_person``),
lock rows before transitions and write the audit trail in the same transaction.

Events (``creditportal.core.events``, delivered on commit):
    ratings.rating_approved     rating_id, customer_id
    ratings.downgrades_proposed  rating_ids, customer_ids   (one event per batch chunk / re-check)
"""
from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from accounts.system import system_user
from audit.models import AuditEvent
from audit.services import audit_changes, audit_record, snapshot
from creditportal.core import access, clock
from creditportal.core.canonical import jsonable, sha256_of
from creditportal.core.errors import Conflict, NotAllowed, ValidationFailed
from creditportal.core.events import publish_on_commit
from creditportal.core.formatting import shipped_text
from creditportal.core.i18n import Message
from creditportal.core.tasks import enqueue, enqueue_many
from customers.models import Customer
from customers.services import require_visible

from . import providers, selectors
from .providers import behaviour_facts_for
from .engine import evaluate
from .engine.behaviour import BehaviourFacts
from .engine.scale import Scale, ScaleError
from .engine.scorecard import EngineError, Factor, ModelDefinition, grade_of
from .models import (BatchStatus, BehaviourInput, CompetitorShare, ExpertScore, FactorKind, Rating, RatingBatch,
                     RatingBatchChunk,
                     RatingFactor, RatingModel, RatingModelState, RatingScale, RatingsPolicy, RatingState,
                     ScaleGrade)

log = logging.getLogger(__name__)

RATING_AUDIT_FIELDS = ["state", "score", "model_grade", "grade", "letter", "pd", "override_grade", "override_reason",
                       "overridden_by", "submitted_by", "approved_by", "approved_on", "review_due", "decision_note",
                       "completeness_override_reason", "inputs_sha256"]


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


# --- Computing a rating -----------------------------------------------------------------------

def _evaluate(definition: dict, inputs: dict) -> dict:
    try:
        return evaluate(definition, inputs).as_dict()
    except (EngineError, ScaleError) as exc:
        raise ValidationFailed(_("The rating model cannot rate these inputs: %(error)s") % {"error": exc}) from exc


def _apply_result(rating: Rating, result: dict, scale: Scale):
    rating.result = result
    rating.score = Decimal(result["score"])
    rating.model_grade = result["grade"]
    final = rating.override_grade or result["grade"]
    grade = scale.get(final)
    rating.grade, rating.letter, rating.pd = grade.code, grade.letter, grade.pd


def _recompute(rating: Rating, *, expert_scores: dict | None = None):
    inputs = dict(rating.inputs)
    if expert_scores is not None:
        inputs["expert_scores"] = {k: [str(s) for s in v] for k, v in sorted(expert_scores.items())}
    rating.inputs = jsonable(inputs)
    rating.inputs_sha256 = sha256_of(rating.inputs)
    rating.quantitative_sha256 = selectors.quantitative_hash(rating.inputs)
    _apply_result(rating, _evaluate(rating.model_definition, rating.inputs),
                  Scale.from_dict(rating.model_definition["scale"]))


def reproduce(rating: Rating) -> dict:
    """Re-run the engine on the rating's stored snapshot under the engine version that made it (identical to
    ``rating.result``; a rating stored before versions were recorded is version 1)."""
    version = (rating.result or {}).get("engine_version") or "1"
    return evaluate(rating.model_definition, rating.inputs, engine_version=version).as_dict()


def _require_behaviour_readable(inputs: dict):
    error = (inputs.get("behaviour") or {}).get("error")
    if error:
        raise ValidationFailed(_("The payment behaviour cannot be computed: %(error)s") % {"error": error})


@transaction.atomic
def rating_start(*, actor, customer: Customer) -> Rating:
    """An analyst starts a rating: computes the inputs and a first result with the applicable model."""
    access.require(actor, "ratings.add_rating")
    require_visible(actor, customer)
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    if Rating.objects.filter(customer=customer).open().exists():
        raise Conflict(_("This customer already has a rating in progress; continue that one."))
    model = selectors.model_for(customer)
    if model is None:
        raise ValidationFailed(_("No active rating model applies to this customer."))
    definition = selectors.definition_of(model)
    inputs = selectors.gather_inputs([customer], settings_by_customer={customer.pk: definition["settings"]})[
        customer.pk]
    _require_behaviour_readable(inputs)
    previous = selectors.current_rating(customer)
    expert = {}
    if previous is not None:  # carry the experts' last view forward; they can change it
        codes = set(selectors.qualitative_codes(definition))
        expert = {k: v for k, v in (previous.inputs.get("expert_scores") or {}).items() if k in codes}
    inputs = {**inputs, "as_of": clock.today().isoformat(), "expert_scores": {}}
    rating = Rating(customer=customer, model=model, model_definition=jsonable(definition), inputs=inputs,
                    created_by=actor, origin="manual")
    _recompute(rating, expert_scores={})
    rating.save()
    if expert and previous is not None:
        _copy_expert_scores(previous, rating)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=rating, after=_rating_state(rating))
    return rating


def _copy_expert_scores(source: Rating, target: Rating):
    codes = set(selectors.qualitative_codes(target.model_definition))
    rows = [ExpertScore(rating=target, factor_code=s.factor_code, expert_id=s.expert_id, score=s.score,
                        comment=s.comment) for s in source.expert_scores.all() if s.factor_code in codes]
    ExpertScore.objects.bulk_create(rows)
    _recompute(target, expert_scores=selectors.expert_scores_by_factor(target))
    target.save()


@transaction.atomic
def rating_refresh_inputs(*, actor, rating: Rating) -> Rating:
    """Re-read the customer's inputs for an open draft (after statements or behaviour changed)."""
    access.require(actor, "ratings.change_rating")
    require_visible(actor, rating.customer)
    rating = _lock(rating)
    _require_editable(rating)
    before = _rating_state(rating)
    fresh = selectors.gather_inputs([rating.customer], settings_by_customer={
        rating.customer_id: rating.model_definition.get("settings") or {}})[rating.customer_id]
    _require_behaviour_readable(fresh)
    rating.inputs = {**fresh, "as_of": clock.today().isoformat(), "expert_scores": rating.inputs.get("expert_scores", {})}
    _recompute(rating)
    rating.save()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=rating, verb="refresh_inputs", before=before,
                 after=_rating_state(rating))
    return rating


@transaction.atomic
def expert_score_set(*, actor, rating: Rating, factor_code: str, score, comment: str = "") -> ExpertScore:
    """An analyst scores a qualitative factor 1–5 (one score per analyst and factor; scoring again replaces it)."""
    access.require(actor, "ratings.add_expertscore")
    require_visible(actor, rating.customer)
    rating = _lock(rating)
    _require_editable(rating)
    if factor_code not in selectors.qualitative_codes(rating.model_definition):
        raise ValidationFailed(_("This factor is not scored by experts."),
                               field_errors={"factor_code": _("Choose a qualitative factor of the model.")})
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise ValidationFailed(_("An expert score is a whole number from 1 to 5."),
                               field_errors={"score": _("Enter 1, 2, 3, 4 or 5.")})
    existing = ExpertScore.objects.filter(rating=rating, factor_code=factor_code, expert=actor).first()
    before_rating = _rating_state(rating)
    if existing:
        before = snapshot(existing)
        existing.score, existing.comment = score, (comment or "").strip()
        existing.save(update_fields=["score", "comment", "updated_at"])
        audit_changes(actor=actor, obj=existing, before=before)
        expert_score = existing
    else:
        expert_score = ExpertScore.objects.create(rating=rating, factor_code=factor_code, expert=actor, score=score,
                                                  comment=(comment or "").strip())
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=expert_score, after=snapshot(expert_score))
    _recompute(rating, expert_scores=selectors.expert_scores_by_factor(rating))
    rating.save()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=rating, verb="expert_score",
                 before=before_rating, after=_rating_state(rating))
    return expert_score


@transaction.atomic
def rating_override(*, actor, rating: Rating, grade: str, reason: str) -> Rating:
    """Override the model's grade (reason required, at most the policy's number of notches).

    An empty ``grade`` (or the model's own grade) removes the override.
    """
    access.require(actor, "ratings.override_rating")
    require_visible(actor, rating.customer)
    rating = _lock(rating)
    _require_editable(rating)
    scale = Scale.from_dict(rating.model_definition["scale"])
    before = _rating_state(rating)
    grade = (grade or "").strip()
    if not grade or grade == rating.model_grade:
        rating.override_grade, rating.override_reason, rating.overridden_by = "", "", None
    else:
        try:
            scale.get(grade)
        except ScaleError as exc:
            raise ValidationFailed(_("Unknown grade."), field_errors={"grade": _("Choose a grade of the scale.")}) from exc
        reason = _reason(reason)
        limit = RatingsPolicy.current().max_override_notches
        notches = abs(scale.notches_between(rating.model_grade, grade))
        if notches > limit:
            raise ValidationFailed(
                _("An override may move the grade at most %(limit)s notch(es); this one moves it %(notches)s.")
                % {"limit": limit, "notches": notches}, field_errors={"grade": _("Too far from the model's grade.")})
        rating.override_grade, rating.override_reason, rating.overridden_by = grade, reason, actor
    _apply_result(rating, rating.result, scale)
    rating.save()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=rating, verb="override", before=before,
                 after=_rating_state(rating))
    return rating


@transaction.atomic
def rating_submit(*, actor, rating: Rating) -> Rating:
    """Submit for approval; refused on stale inputs and without every qualitative factor scored."""
    access.require(actor, "ratings.submit_rating")
    require_visible(actor, rating.customer)
    rating = _lock(rating)
    _require_transition(rating, "submit")
    problems = list(selectors.stale_inputs_for([rating.customer_id]).get(rating.customer_id, []))
    scored = rating.inputs.get("expert_scores") or {}
    minimum = selectors.min_experts(rating.model_definition)
    missing = [shipped_text(f["name"]) for f in rating.model_definition["factors"]
               if f["kind"] == FactorKind.QUALITATIVE and len(scored.get(f["code"]) or []) < minimum]
    if missing:
        problems.append(_("Each qualitative factor needs the scores of at least %(count)s experts (Delphi); too "
                          "few for: %(factors)s.") % {"count": minimum, "factors": ", ".join(missing)})
    if problems:
        raise ValidationFailed(_("The rating cannot be submitted: %(problems)s") % {"problems": " ".join(problems)},
                               field_errors={"__all__": problems})
    before = _rating_state(rating)
    rating.submit()
    rating.submitted_by, rating.submitted_at = actor, timezone.now()
    rating.save()
    _transition(actor, rating, "submit", before)
    from django.contrib.auth import get_user_model

    # Those who may approve it: another analyst, or for an overridden grade the approver group.
    checkers = (access.APPROVER if rating.is_overridden or rating.below_minimum_completeness
                else access.CREDIT_ANALYST)
    recipients = (get_user_model().objects.filter(groups__name=checkers)
                  .exclude(pk__in=rating.makers()).values_list("pk", flat=True))
    _notify(recipients, Message(gettext_lazy("Rating of %(customer)s awaits your approval"), customer=rating.customer),
            rating)
    return rating


def _require_checker(actor, rating: Rating):
    """Four-eyes: none of the rating's makers (its maker, submitter, overrider and experts) decides on it."""
    message = _("Four-eyes rule: you made, submitted, overrode or scored this rating as an expert, so someone "
                "else must decide on it.")
    for maker in sorted(rating.makers()):
        access.require_other_person(actor, maker, message)


@transaction.atomic
def rating_approve(*, actor, rating: Rating, note: str = "") -> Rating:
    """Approve: becomes the customer's current rating, supersedes the previous one, sets the review date.

    Below the model's minimum data completeness only an approver may approve, overriding the rule with a
    reason (the note), which the rating keeps (DESIGN §3 Missing data)."""
    access.require(actor, "ratings.approve_rating")
    require_visible(actor, rating.customer)
    rating = _lock(rating)
    _require_transition(rating, "approve")
    _require_checker(actor, rating)
    if rating.is_overridden:
        access.require(actor, "ratings.approve_override",
                       _("A rating with an overridden grade is approved by the approver group."))
        providers.require_override_authority(actor, rating.customer_id)  # the authority matrix's one rule
    override_reason = ""
    if rating.below_minimum_completeness:
        completeness = rating.completeness
        access.require(actor, "ratings.approve_override",
                       _("Only %(percent)s%% of the model's weight had data (minimum %(minimum)s%%): an approver "
                         "must approve it with a reason.") % {"percent": completeness["percent"],
                                                             "minimum": completeness["minimum"]})
        reason = (note or "").strip()
        if not reason:
            raise ValidationFailed(
                _("Give the reason for approving a rating below the minimum data completeness."),
                field_errors={"note": _("A reason is required.")})
        override_reason = reason
    before = _rating_state(rating)
    rating.completeness_override_reason = override_reason
    previous = (Rating.objects.select_for_update().filter(customer_id=rating.customer_id, state=RatingState.APPROVED)
                .exclude(pk=rating.pk).first())
    if previous is not None:
        previous_before = _rating_state(previous)
        previous.supersede()
        previous.superseded_at = timezone.now()
        previous.save()
        _transition(actor, previous, "supersede", previous_before)
    today = clock.today()
    rating.approve()
    rating.approved_by, rating.approved_at, rating.approved_on = actor, timezone.now(), today
    rating.review_due = selectors.months_after(today, RatingsPolicy.current().review_months(rating.letter))
    rating.decision_note = (note or "").strip()
    rating.save()
    _transition(actor, rating, "approve", before)
    _notify_decided(actor, rating, Message(gettext_lazy("Your rating of %(customer)s is approved")))
    publish_on_commit("ratings.rating_approved", rating_id=rating.pk, customer_id=rating.customer_id)
    return rating


@transaction.atomic
def rating_return(*, actor, rating: Rating, reason: str) -> Rating:
    """Send a submitted rating back to its maker (it becomes a draft again)."""
    access.require(actor, "ratings.approve_rating")
    require_visible(actor, rating.customer)
    reason = _reason(reason)
    rating = _lock(rating)
    _require_transition(rating, "return_to_maker")
    _require_checker(actor, rating)
    before = _rating_state(rating)
    rating.return_to_maker()
    rating.decision_note = reason
    rating.returned_count += 1
    rating.save()
    _transition(actor, rating, "return", before)
    _notify_decided(actor, rating, Message(gettext_lazy("Your rating of %(customer)s is returned to you")))
    return rating


@transaction.atomic
def rating_reject(*, actor, rating: Rating, reason: str) -> Rating:
    """Reject a submitted rating (a checker) or dismiss a proposed one (an analyst)."""
    if not access.has(actor, "ratings.add_rating"):
        access.require(actor, "ratings.approve_rating")
    require_visible(actor, rating.customer)
    reason = _reason(reason)
    rating = _lock(rating)
    _require_transition(rating, "reject")
    if rating.state == RatingState.PROPOSED:
        access.require(actor, "ratings.add_rating")
    else:
        access.require(actor, "ratings.approve_rating")
        _require_checker(actor, rating)
    before = _rating_state(rating)
    rating.reject()
    rating.decision_note = reason
    rating.save()
    _transition(actor, rating, "reject", before)
    _notify_decided(actor, rating, Message(gettext_lazy("Your rating of %(customer)s is rejected")))
    return rating


# --- Behaviour input --------------------------------------------------------------------------

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


# --- Configuration: scales, models, factors, policy -------------------------------------------

def _check_scale(grades: list[dict], score_min, score_max) -> list[dict]:
    rows = [{"code": str(g["code"]).strip(), "letter": str(g["letter"]).strip(), "min_score": str(g["min_score"]),
             "max_score": str(g["max_score"]), "pd": str(g["pd"]), "meaning": str(g.get("meaning") or "").strip()}
            for g in grades]
    try:
        Scale(rows, str(score_min), str(score_max))
    except (ScaleError, ArithmeticError, ValueError) as exc:
        raise ValidationFailed(_("The scale is not valid: %(error)s") % {"error": exc},
                               field_errors={"grades": str(exc)}) from exc
    return rows


def _scale_state(scale):
    return {**snapshot(scale), "grades": scale.as_engine_dict()["grades"]}


@transaction.atomic
def scale_create(*, actor, code: str, name: str, grades: list[dict], score_min="0", score_max="100",
                 is_master=False) -> RatingScale:
    access.require(actor, "ratings.add_ratingscale")
    rows = _check_scale(grades, score_min, score_max)
    if RatingScale.objects.filter(code=code).exists():
        raise ValidationFailed(_("A scale with this code exists."), field_errors={"code": _("This code is taken.")})
    if is_master:
        RatingScale.objects.filter(is_master=True).update(is_master=False)
    scale = RatingScale.objects.create(code=code, name=name, score_min=score_min, score_max=score_max,
                                       is_master=is_master)
    ScaleGrade.objects.bulk_create([ScaleGrade(scale=scale, position=i, **row) for i, row in enumerate(rows, 1)])
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=scale, after=_scale_state(scale))
    return scale


@transaction.atomic
def scale_update(*, actor, scale: RatingScale, name: str, grades: list[dict]) -> RatingScale:
    """Change a scale's grades; refused while an active model uses it (make a new scale and model version)."""
    access.require(actor, "ratings.change_ratingscale")
    scale = RatingScale.objects.select_for_update().get(pk=scale.pk)
    if scale.models.filter(state=RatingModelState.ACTIVE).exists():
        raise Conflict(_("An active rating model uses this scale; create a new scale and a new model version."))
    rows = _check_scale(grades, scale.score_min, scale.score_max)
    before = _scale_state(scale)
    scale.name = name
    scale.save()
    scale.grades.all().delete()
    ScaleGrade.objects.bulk_create([ScaleGrade(scale=scale, position=i, **row) for i, row in enumerate(rows, 1)])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=scale, before=before, after=_scale_state(scale))
    return scale


def _model_state(model: RatingModel) -> dict:
    return {**snapshot(model), "definition": selectors.definition_of(model)}


def _require_draft(model: RatingModel):
    if not model.is_editable:
        raise Conflict(_("Version %(version)s is %(state)s and cannot be changed; create a new version.")
                       % {"version": model.version, "state": model.get_state_display()})


MODEL_SETTINGS = ["behaviour_window_months", "behaviour_grace_days", "min_completeness", "min_experts"]


def _check_settings(settings: dict) -> dict:
    """The model's settings (DESIGN §3): behaviour window and grace, minimum completeness, minimum experts."""
    unknown = set(settings) - set(MODEL_SETTINGS)
    if unknown:
        raise ValidationFailed(_("Unknown model settings: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    checked = {}
    limits = {"behaviour_window_months": (1, 60), "behaviour_grace_days": (0, 365), "min_experts": (1, 20)}
    for name, value in settings.items():
        if value is None:
            continue
        try:
            value = Decimal(str(value)) if name == "min_completeness" else int(value)
        except (ArithmeticError, TypeError, ValueError):
            raise ValidationFailed(_("Enter a number."), field_errors={name: _("Enter a number.")}) from None
        low, high = limits.get(name, (0, 100))
        if not low <= value <= high:
            raise ValidationFailed(_("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high},
                                   field_errors={name: _("Enter a number from %(low)s to %(high)s.")
                                                 % {"low": low, "high": high}})
        checked[name] = value
    return checked


@transaction.atomic
def model_create(*, actor, code: str, name: str, scale: RatingScale, description="", industries=(), sizes=(),
                 caps=(), **settings) -> RatingModel:
    access.require(actor, "ratings.add_ratingmodel")
    if RatingModel.objects.filter(code=code).exists():
        raise ValidationFailed(_("A model with this code exists; create a new version of it instead."),
                               field_errors={"code": _("This code is taken.")})
    model = RatingModel.objects.create(code=code, version=1, name=name, description=description, scale=scale,
                                       industries=sorted(industries), sizes=sorted(sizes),
                                       caps=_check_caps(list(caps), scale), created_by=actor, changed_by=actor,
                                       **_check_settings(settings))
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=model, after=_model_state(model))
    return model


def _check_caps(caps: list, scale: RatingScale) -> list:
    try:
        ModelDefinition({"scale": scale.as_engine_dict(), "caps": caps,
                         "factors": [{"code": "x", "kind": "qualitative", "weight": "100"}]})
    except (EngineError, ScaleError, KeyError, TypeError) as exc:
        raise ValidationFailed(_("Caps and vetoes are not valid: %(error)s") % {"error": exc},
                               field_errors={"caps": str(exc)}) from exc
    return jsonable(caps)


@transaction.atomic
def model_update(*, actor, model: RatingModel, name: str, description: str = "", industries=(), sizes=(),
                 caps=None, **settings) -> RatingModel:
    access.require(actor, "ratings.change_ratingmodel")
    model = RatingModel.objects.select_for_update().get(pk=model.pk)
    _require_draft(model)
    before = snapshot(model)
    for field_name, value in _check_settings(settings).items():
        setattr(model, field_name, value)
    model.name, model.description = name, description
    model.industries, model.sizes = sorted(industries), sorted(sizes)
    if caps is not None:
        model.caps = _check_caps(list(caps), model.scale)
    model.changed_by = actor
    model.save()
    audit_changes(actor=actor, obj=model, before=before)
    return model


@transaction.atomic
def model_new_version(*, actor, model: RatingModel) -> RatingModel:
    """A new draft version: a copy of ``model`` with its factors."""
    access.require(actor, "ratings.add_ratingmodel")
    latest = RatingModel.objects.filter(code=model.code).order_by("-version").first()
    copy = RatingModel.objects.create(code=model.code, version=latest.version + 1, name=model.name,
                                      description=model.description, scale=model.scale, industries=model.industries,
                                      sizes=model.sizes, caps=model.caps, created_by=actor, changed_by=actor,
                                      previous=model, **{name: getattr(model, name) for name in MODEL_SETTINGS})
    RatingFactor.objects.bulk_create([
        RatingFactor(model=copy, **{field.attname: getattr(factor, field.attname)
                                    for field in RatingFactor._meta.concrete_fields if field.name not in ("id", "model")})
        for factor in model.factors.all()])
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=copy, verb="new_version",
                 after=_model_state(copy))
    return copy


FACTOR_FIELDS = ["position", "code", "name", "group", "kind", "source", "weight", "method", "direction", "thresholds",
                 "low", "high", "points", "missing_points"]


def _check_factor(factor: RatingFactor):
    try:
        Factor.from_dict(factor.as_engine_dict())
    except (EngineError, TypeError, ValueError, ArithmeticError) as exc:
        raise ValidationFailed(_("The factor is not valid: %(error)s") % {"error": exc}) from exc


@transaction.atomic
def factor_save(*, actor, model: RatingModel, factor: RatingFactor | None = None, **fields) -> RatingFactor:
    """Add or change a factor of a draft model (weights are checked when the model is activated)."""
    access.require(actor, "ratings.change_ratingfactor" if factor else "ratings.add_ratingfactor")
    model = RatingModel.objects.select_for_update().get(pk=model.pk)
    _require_draft(model)
    unknown = set(fields) - set(FACTOR_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown factor fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    before = snapshot(factor) if factor else None
    target = factor or RatingFactor(model=model)
    for name, value in fields.items():
        setattr(target, name, value)
    _check_factor(target)
    if model.factors.filter(code=target.code).exclude(pk=target.pk).exists():
        raise ValidationFailed(_("The model has a factor with this code."), field_errors={"code": _("This code is taken.")})
    target.save()
    model.changed_by = actor
    model.save(update_fields=["changed_by", "updated_at"])
    if before is None:
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=target, after=snapshot(target))
    else:
        audit_changes(actor=actor, obj=target, before=before)
    return target


@transaction.atomic
def factor_delete(*, actor, factor: RatingFactor) -> None:
    access.require(actor, "ratings.delete_ratingfactor")
    model = RatingModel.objects.select_for_update().get(pk=factor.model_id)
    _require_draft(model)
    before = snapshot(factor)
    audit_record(actor=actor, action=AuditEvent.Action.DELETE, obj=factor, before=before)
    factor.delete()
    model.changed_by = actor
    model.save(update_fields=["changed_by", "updated_at"])


@transaction.atomic
def model_activate(*, actor, model: RatingModel) -> RatingModel:
    """Activate a draft version (a second person in the approver group); retires the active one of the code."""
    access.require(actor, "ratings.approve_ratingmodel",
                   _("A rating model version is activated by the approver group."))
    model = RatingModel.objects.select_for_update().get(pk=model.pk)
    _require_transition_model(model, "activate")
    message = _("Four-eyes rule: someone who did not make or change this version must activate it.")
    access.require_other_person(actor, model.created_by_id, message)
    access.require_other_person(actor, model.changed_by_id, message)
    try:
        ModelDefinition(selectors.definition_of(model))
    except (EngineError, ScaleError) as exc:
        raise ValidationFailed(_("The model cannot be activated: %(error)s") % {"error": exc}) from exc
    for old in RatingModel.objects.select_for_update().filter(code=model.code, state=RatingModelState.ACTIVE):
        before = snapshot(old)
        old.retire()
        old.retired_at = timezone.now()
        old.save()
        audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=old, verb="retire", before=before,
                     after=snapshot(old))
    before = snapshot(model)
    model.activate()
    model.activated_by, model.activated_at = actor, timezone.now()
    model.save()
    audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=model, verb="activate", before=before,
                 after=snapshot(model))
    return model


@transaction.atomic
def model_retire(*, actor, model: RatingModel) -> RatingModel:
    access.require(actor, "ratings.approve_ratingmodel")
    model = RatingModel.objects.select_for_update().get(pk=model.pk)
    _require_transition_model(model, "retire")
    before = snapshot(model)
    model.retire()
    model.retired_at = timezone.now()
    model.save()
    audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=model, verb="retire", before=before,
                 after=snapshot(model))
    return model


def _require_transition_model(model, name):
    if not can_proceed(getattr(model, name)):
        raise Conflict(_("Version %(version)s is %(state)s: the action is not allowed in this state.")
                       % {"version": model.version, "state": model.get_state_display()})


POLICY_FIELDS = ["review_months_a", "review_months_b", "review_months_c", "review_months_d", "review_notice_days",
                 "stale_statement_months", "block_on_expired_documents", "max_override_notches"]


@transaction.atomic
def policy_update(*, actor, **fields) -> RatingsPolicy:
    access.require(actor, "ratings.change_ratingspolicy")
    policy = RatingsPolicy.objects.select_for_update().order_by("pk").first() or RatingsPolicy()
    before = snapshot(policy) if policy.pk else None
    for name, value in fields.items():
        if name not in POLICY_FIELDS:
            raise ValidationFailed(_("Unknown policy field %(name)s.") % {"name": name})
        setattr(policy, name, value)
    for name in POLICY_FIELDS[:4] + ["stale_statement_months"]:
        if int(getattr(policy, name)) < 1:
            raise ValidationFailed(_("Months must be at least 1."), field_errors={name: _("At least 1.")})
    policy.updated_by = actor
    policy.save()
    if before is None:
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=policy, after=snapshot(policy))
    else:
        audit_changes(actor=actor, obj=policy, before=before)
    return policy


# --- The re-rating batch ----------------------------------------------------------------------
#
# ``batch_start`` records the batch; ``batch_run`` (task ``ratings.run_rating_batch``) splits the customers
# into chunks (``RatingBatchChunk`` rows, made once) and sends one task per chunk
# (``ratings.run_rating_chunk``), so every worker process takes its share. ``batch_chunk_run`` rates one chunk
# in one transaction: its proposals, their audit events, ``done_at`` and the batch's counters (``F()``
# updates) commit together, so a chunk delivered twice (a worker killed before the acknowledgement) does
# nothing the second time. The transaction that completes the last chunk finishes the batch, exactly once.

BATCH_START_LOCK = 7_301_001  # pg_advisory_xact_lock key: one re-rating batch start at a time
MAX_BATCH_ERRORS = 200  # error details kept on the batch (the count is complete)


@transaction.atomic
def batch_start(*, actor, kind: str = "manual", in_worker: bool = True) -> RatingBatch:
    """Record a batch and run it in the worker (after commit); ``in_worker=False``: the caller runs it."""
    access.require(actor, "ratings.run_rating_batch")
    if connection.vendor == "postgresql":
        # select_for_update below locks nothing when no batch exists: two starts at once would both pass and
        # both propose a rating per customer. A transaction-scoped advisory lock makes the starts take turns.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [BATCH_START_LOCK])
    running = RatingBatch.objects.select_for_update().filter(status__in=[BatchStatus.QUEUED, BatchStatus.RUNNING]).first()
    if running is not None:
        raise Conflict(_("A re-rating batch is already queued or running (started %(when)s).")
                       % {"when": running.created_at.strftime("%Y-%m-%d %H:%M")})
    batch = RatingBatch.objects.create(kind=kind, business_date=clock.today(), started_by=actor,
                                       heartbeat_at=clock.instant())
    audit_record(actor=actor, action=AuditEvent.Action.RUN, obj=batch, verb="batch_start", after=snapshot(batch))
    if in_worker:
        from .tasks import run_rating_batch

        enqueue(run_rating_batch, batch.pk)
    return batch


class BatchContext:
    """What every chunk of a batch shares: the active models, each definition as a snapshot dict (stored on the
    proposals) and parsed once (``ModelDefinition``, for the engine), and the ratings policy."""

    def __init__(self):
        self.models = selectors.active_models()
        self.definitions = {m.pk: jsonable(selectors.definition_of(m)) for m in self.models}
        self.parsed = {}
        self.broken = {}
        for pk, definition in self.definitions.items():
            try:
                self.parsed[pk] = ModelDefinition(definition)
            except (EngineError, ScaleError) as exc:
                self.broken[pk] = str(exc)
        self.policy = RatingsPolicy.current()


def batch_run(*, batch_id: int, chunk_size: int | None = None, in_worker: bool = False) -> RatingBatch:
    """Run a recorded batch as the system user: for customers with a current rating whose quantitative
    inputs changed, re-compute the rating; where the model's grade would change, create a proposed rating.

    The first call splits the customers into chunks; every call (a re-delivered task too) sends the chunks
    not done yet to the workers (``in_worker``) or runs them here. Set-wise: each chunk costs a fixed
    number of queries whatever its size. Idempotent: one rating per batch and customer, each chunk counted
    once, and no customer gets a second proposal for the same inputs.
    """
    actor = system_user()
    access.require(actor, "ratings.run_rating_batch")
    with transaction.atomic():
        batch = RatingBatch.objects.select_for_update().get(pk=batch_id)
        if batch.is_done:
            return batch
        if batch.status == BatchStatus.QUEUED:
            customer_ids = selectors.customers_for_batch()
            size = max(1, chunk_size or selectors.BATCH_CHUNK)
            # Payment behaviour for the whole portfolio in one pass per behaviour window of the active models
            # (usually one: hash joins over invoices, allocations and payments), handed to each chunk: per chunk
            # it would cost one index probe per invoice.
            if connection.vendor == "postgresql" and customer_ids:
                with connection.cursor() as cursor:  # the portfolio's groupings as in-memory hash aggregates
                    cursor.execute("SET LOCAL work_mem = '128MB'")
                    cursor.execute("SET LOCAL jit = off")
            facts = _portfolio_behaviour(batch.business_date) if customer_ids else {}
            chunks = []
            for n, start in enumerate(range(0, len(customer_ids), size)):
                ids = customer_ids[start:start + size]
                chunks.append(RatingBatchChunk(batch=batch, index=n, customer_ids=ids, behaviour={
                    key: {str(i): _facts_json(by_customer[i]) for i in ids if i in by_customer}
                    for key, by_customer in facts.items()}))
            RatingBatchChunk.objects.bulk_create(chunks)
            batch.status, batch.started_at, batch.total = BatchStatus.RUNNING, timezone.now(), len(customer_ids)
            batch.heartbeat_at = clock.instant()
            batch.chunk_count, batch.chunks_done = len(chunks), 0
            batch.processed = batch.changed = batch.proposed = batch.downgrades = batch.error_count = 0
            batch.errors = []
            batch.save()
            if not chunks:
                _batch_finish(batch.pk, actor)
        pending = list(RatingBatchChunk.objects.filter(batch_id=batch.pk, done_at__isnull=True)
                       .order_by("index").values_list("index", flat=True))
        if in_worker and pending:
            _send_chunks(batch.pk, pending)
    if not in_worker:
        context = BatchContext()
        for index in pending:
            batch_chunk_run(batch_id=batch.pk, index=index, context=context)
    return RatingBatch.objects.get(pk=batch.pk)


def _carry_experts(proposals, codes_of):
    """A proposal reuses the experts' scores of the rating it would replace: those experts are among its
    makers, so their score rows come with it (two queries for all the proposals)."""
    previous = {p.previous_rating_id: p for p in proposals if getattr(p, "previous_rating_id", None)}
    if not previous:
        return
    rows = []
    for rating_id, factor_code, expert_id, score, comment in ExpertScore.objects.filter(
            rating_id__in=list(previous)).values_list("rating_id", "factor_code", "expert_id", "score", "comment"):
        proposal = previous[rating_id]
        if factor_code in codes_of.get(proposal.model_id, ()):
            rows.append(ExpertScore(rating=proposal, factor_code=factor_code, expert_id=expert_id, score=score,
                                    comment=comment))
    ExpertScore.objects.bulk_create(rows, ignore_conflicts=True)


def _portfolio_behaviour(on_date) -> dict[str, dict]:
    """``{window key: {customer_id: facts}}`` for every customer, one provider pass per distinct window of the
    active models' settings (the default window when no model is active)."""
    windows = {}
    for model in selectors.active_models() or [None]:
        window = selectors.behaviour_window(on_date, model.settings() if model is not None else None)
        windows.setdefault(selectors.window_key(window), window)
    return {key: behaviour_facts_for(None, window) for key, window in windows.items()}


def _facts_json(facts):
    return facts if isinstance(facts, dict) else facts.as_dict()


def _facts_parse(facts):
    return facts if isinstance(facts, dict) and "error" in facts else BehaviourFacts.from_any(facts)


def _send_chunks(batch_id, indexes):
    """One ``run_rating_chunk`` per chunk, written to the outbox in the caller's transaction (sent on commit)."""
    from .tasks import run_rating_chunk

    enqueue_many(run_rating_chunk, [((batch_id, index), {}) for index in indexes])


def batch_chunk_run(*, batch_id: int, index: int, context: BatchContext | None = None) -> bool:
    """Rate one chunk of a running batch (False: already done, or the batch is no longer running)."""
    actor = system_user()
    access.require(actor, "ratings.run_rating_batch")
    try:
        with transaction.atomic():
            chunk = (RatingBatchChunk.objects.select_for_update(of=("self",)).select_related("batch")
                     .filter(batch_id=batch_id, index=index).first())
            if chunk is None or chunk.done_at is not None or chunk.batch.status != BatchStatus.RUNNING:
                return False
            behaviour = {key: {int(k): _facts_parse(v) for k, v in by_customer.items()}
                         for key, by_customer in (chunk.behaviour or {}).items()}
            outcome = _rate_customers(chunk.customer_ids, actor, chunk.batch, context or BatchContext(),
                                      behaviour=behaviour)
            chunk.done_at = timezone.now()
            chunk.save(update_fields=["done_at"])
            counters = {"processed": len(chunk.customer_ids), "changed": outcome["changed"],
                        "proposed": len(outcome["created"]), "downgrades": len(outcome["downgrades"]),
                        "error_count": len(outcome["errors"]), "chunks_done": 1}
            RatingBatch.objects.filter(pk=batch_id).update(**{k: F(k) + v for k, v in counters.items()},
                                                           heartbeat_at=clock.instant(), stall_resumes=0)
            if outcome["errors"]:
                batch = RatingBatch.objects.select_for_update().only("errors").get(pk=batch_id)
                kept = list(batch.errors or [])
                batch.errors = kept + outcome["errors"][: max(0, MAX_BATCH_ERRORS - len(kept))]
                batch.save(update_fields=["errors"])
            _batch_finish(batch_id, actor)
    except OperationalError:
        raise  # the task retries (a lost connection, a deadlock): nothing of the chunk was kept
    except Exception as exc:  # noqa: BLE001 - recorded on the batch, then re-raised for the worker's log
        RatingBatch.objects.filter(pk=batch_id, status=BatchStatus.RUNNING).update(
            status=BatchStatus.FAILED, finished_at=timezone.now(),
            errors=[{"chunk": index, "error": str(exc)[:500]}])
        raise
    return True


def _batch_finish(batch_id, actor):
    """Finish the batch when its last chunk is done (inside that chunk's transaction: exactly once)."""
    finished = (RatingBatch.objects.filter(pk=batch_id, status=BatchStatus.RUNNING, chunks_done=F("chunk_count"))
                .update(status=BatchStatus.FINISHED, finished_at=timezone.now()))
    if finished:
        batch = RatingBatch.objects.get(pk=batch_id)
        audit_record(actor=actor, action=AuditEvent.Action.RUN, obj=batch, verb="batch_finished",
                     after=snapshot(batch))


def _rate_customers(ids, actor, batch, context: BatchContext, behaviour: dict | None = None) -> dict:
    """Re-rate some customers (set-wise); with ``batch=None`` (a single customer's new data) the proposals
    belong to no batch. ``behaviour``: their payment facts, already read (see ``gather_inputs``).
    Returns ``{"created", "changed", "errors", "downgrades"}``; publishes one
    ``ratings.downgrades_proposed`` event for all the downgrades among the proposals."""
    on_date = batch.business_date if batch is not None else clock.today()
    customers = selectors.customers_by_id(ids)
    current = selectors.current_ratings_for_batch(ids)
    inputs_by_customer = selectors.gather_inputs(customers, on_date=on_date, models=context.models,
                                                 behaviour=behaviour)
    seen = set(Rating.objects.filter(customer_id__any=ids).values_list("customer_id", "quantitative_sha256"))
    open_ids = set(Rating.objects.filter(customer_id__any=ids, state__in=[RatingState.PROPOSED, RatingState.DRAFT,
                                                                         RatingState.SUBMITTED])
                   .values_list("customer_id", flat=True))
    already = (set(Rating.objects.filter(batch=batch, customer_id__any=ids).values_list("customer_id", flat=True))
               if batch is not None else set())
    new_ratings, errors, changed = [], [], 0
    as_of = on_date.isoformat()
    codes_of = {pk: set(selectors.qualitative_codes(d)) for pk, d in context.definitions.items()}
    for customer in customers:
        rating = current.get(customer.pk)
        if rating is None or customer.pk in already:
            continue
        try:
            model = selectors.model_for(customer, context.models)
            if model is None:
                raise ValidationFailed(_("No active rating model applies to this customer."))
            parsed = context.parsed.get(model.pk)
            if parsed is None:
                raise ValidationFailed(_("The rating model cannot rate these inputs: %(error)s")
                                       % {"error": context.broken.get(model.pk, "")})
            codes = codes_of[model.pk]
            _require_behaviour_readable(inputs_by_customer[customer.pk])
            inputs = {**inputs_by_customer[customer.pk], "as_of": as_of,
                      "expert_scores": {k: v for k, v in (rating.expert_scores_snapshot or {}).items()
                                        if k in codes}}
            qhash = selectors.quantitative_hash(inputs)
            if qhash == rating.quantitative_sha256 or (customer.pk, qhash) in seen:
                continue
            changed += 1
            if customer.pk in open_ids:
                continue
            try:  # the grade alone (no explanation) decides whether there is anything to propose
                grade = grade_of(parsed, inputs)
            except (EngineError, ScaleError) as exc:
                raise ValidationFailed(_("The rating model cannot rate these inputs: %(error)s")
                                       % {"error": exc}) from exc
            if grade == rating.model_grade and model.pk == rating.model_id:
                continue
            inputs = jsonable(inputs)
            proposal = Rating(customer=customer, model=model, model_definition=context.definitions[model.pk],
                              inputs=inputs, inputs_sha256=sha256_of(inputs), quantitative_sha256=qhash,
                              origin="batch", batch=batch, created_by=actor, state=RatingState.PROPOSED)
            _apply_result(proposal, _evaluate(parsed, inputs), parsed.scale)
            proposal.state_is_downgrade = selectors.grade_rank(proposal.grade) > selectors.grade_rank(rating.grade)
            proposal.previous_rating_id = rating.id
            new_ratings.append(proposal)
        except Exception as exc:  # noqa: BLE001 - one customer's failure must not stop the batch
            log.warning("rating batch %s: customer %s failed: %s", getattr(batch, "pk", None), customer.pk, exc)
            errors.append({"customer_id": customer.pk, "error": str(getattr(exc, "message", exc))[:300]})
    try:
        with transaction.atomic():
            created = Rating.objects.bulk_create(new_ratings)
    except IntegrityError:  # a concurrent run made some of them: keep the batch idempotent
        created = []
        for proposal in new_ratings:
            try:
                with transaction.atomic():
                    proposal.save()
                created.append(proposal)
            except IntegrityError:
                continue
    _carry_experts(created, codes_of)
    verb = "batch_proposal" if batch is not None else "new_data_proposal"
    AuditEvent.objects.bulk_create([
        AuditEvent(actor_id=actor.pk, actor_username=actor.username, action=AuditEvent.Action.CREATE, verb=verb,
                   object_type="ratings.rating", object_id=str(r.pk), object_repr=str(r)[:255],
                   after=jsonable(_rating_state(r)))
        for r in created])
    downgrades = [r for r in created if getattr(r, "state_is_downgrade", False)]
    if downgrades:
        publish_on_commit("ratings.downgrades_proposed", rating_ids=[r.pk for r in downgrades],
                          customer_ids=[r.customer_id for r in downgrades])
    return {"created": created, "changed": changed, "errors": errors, "downgrades": downgrades}


@transaction.atomic
def rating_recheck(*, customer_id: int) -> Rating | None:
    """New data for one customer (a statement, a payment): re-rate its quantitative part as the system user
    and propose a rating if the model's grade would change (the same rule as the nightly batch)."""
    actor = system_user()
    access.require(actor, "ratings.add_rating")
    if not Rating.objects.filter(customer_id=customer_id, state=RatingState.APPROVED).exists():
        return None
    created = _rate_customers([customer_id], actor, None, BatchContext())["created"]
    return created[0] if created else None


def nightly_batch_start() -> int | None:
    """The nightly batch (system user); nothing when today's nightly batch exists or a batch is running."""
    actor = system_user()
    batch_check_stalled(actor=actor)  # a stalled batch is resumed or failed first
    if RatingBatch.objects.filter(kind="nightly", business_date=clock.today()).exists():
        return None
    try:
        return batch_start(actor=actor, kind="nightly").pk
    except Conflict:
        return None


# --- Stalled batches ---------------------------------------------------------------------------
#
# A worker killed in the middle of a chunk leaves the batch "running": with Redis the chunk's task comes back
# only after the visibility timeout (2 h), and meanwhile no other batch may start. Every chunk that finishes
# beats the batch's heartbeat. A batch queued or running with no beat for RATING_BATCH_STALL_SECONDS, no chunk
# being worked on right now (a chunk's row is locked while it runs) and no task of it waiting in the outbox
# (then the broker is down, not the worker) has stalled: its missing chunks are sent again (idempotent: a
# chunk already done does nothing), or, after RATING_BATCH_MAX_RESUMES resumes without progress, it fails.
# Beat checks every minute; the run-now button checks first and says what it did.

class StallOutcome:
    RESUMED = "resumed"
    FAILED = "failed"

    def __init__(self, outcome: str, batch: RatingBatch, chunks: list[int]):
        self.outcome, self.batch, self.chunks = outcome, batch, chunks

    def __repr__(self):
        return f"<StallOutcome {self.outcome} #{self.batch.pk} {self.chunks}>"


def _waits_for_the_broker(batch) -> bool:
    from creditportal.models import OutboxMessage

    from .tasks import run_rating_batch, run_rating_chunk

    return OutboxMessage.objects.filter(sent_at__isnull=True, task__in=[run_rating_batch.name, run_rating_chunk.name],
                                        args__0=batch.pk).exists()


@transaction.atomic
def batch_check_stalled(*, actor=None) -> list[StallOutcome]:
    """Resume or fail the batches that stopped progressing (see above); returns what was done."""
    from django.conf import settings
    from django.db.models.functions import Coalesce

    actor = actor or system_user()
    access.require(actor, "ratings.run_rating_batch")
    now = clock.instant()
    limit = now - dt.timedelta(seconds=settings.RATING_BATCH_STALL_SECONDS)
    # skip_locked: a batch being split right now holds its row and is not stalled.
    candidates = (RatingBatch.objects.select_for_update(skip_locked=True)
                  .annotate(last_beat=Coalesce("heartbeat_at", "started_at", "created_at"))
                  .filter(status__in=[BatchStatus.QUEUED, BatchStatus.RUNNING], last_beat__lt=limit).order_by("pk"))
    outcomes = []
    for batch in candidates:
        pending = list(RatingBatchChunk.objects.filter(batch_id=batch.pk, done_at__isnull=True)
                       .values_list("index", flat=True))
        free = list(RatingBatchChunk.objects.select_for_update(skip_locked=True)
                    .filter(batch_id=batch.pk, done_at__isnull=True).order_by("index").values_list("index", flat=True))
        if len(free) < len(pending) or _waits_for_the_broker(batch):
            continue  # a chunk is being rated right now, or its tasks wait for the broker: not stalled
        before = snapshot(batch)
        if batch.status == BatchStatus.RUNNING and not pending:
            _batch_finish(batch.pk, actor)  # every chunk done but the batch not closed: close it now
            batch.refresh_from_db()
            if batch.is_done:
                continue
        if batch.stall_resumes >= settings.RATING_BATCH_MAX_RESUMES:
            batch.status, batch.finished_at = BatchStatus.FAILED, timezone.now()
            batch.errors = list(batch.errors or []) + [{
                "error": "stalled: no progress since %s after %s resumes" % (
                    (batch.heartbeat_at or batch.created_at).isoformat(), batch.stall_resumes),
                "chunks": pending}]
            batch.save(update_fields=["status", "finished_at", "errors"])
            audit_record(actor=actor, action=AuditEvent.Action.RUN, obj=batch, verb="batch_stalled_failed",
                         before=before, after=snapshot(batch))
            log.warning("rating batch %s stalled and was failed (chunks left: %s)", batch.pk, pending)
            outcomes.append(StallOutcome(StallOutcome.FAILED, batch, pending))
            continue
        if batch.status == BatchStatus.QUEUED:
            from .tasks import run_rating_batch

            enqueue(run_rating_batch, batch.pk)
        else:
            _send_chunks(batch.pk, free)
        batch.stall_resumes += 1
        batch.heartbeat_at = now
        batch.save(update_fields=["stall_resumes", "heartbeat_at"])
        audit_record(actor=actor, action=AuditEvent.Action.RUN, obj=batch, verb="batch_resumed", before=before,
                     after={**snapshot(batch), "chunks_sent_again": free})
        log.warning("rating batch %s stalled; sent again: %s", batch.pk, free or "the batch task")
        outcomes.append(StallOutcome(StallOutcome.RESUMED, batch, free))
    return outcomes


class RunNowOutcome:
    STARTED = "started"
    RESUMED = "resumed"

    def __init__(self, outcome: str, batch: RatingBatch, failed: list[RatingBatch]):
        self.outcome, self.batch, self.failed = outcome, batch, failed

    def message(self) -> str:
        parts = [_("Batch #%(batch)s had stalled and was marked failed.") % {"batch": b.pk} for b in self.failed]
        if self.outcome == self.RESUMED:
            parts.append(_("Batch #%(batch)s had stalled (no progress for %(minutes)s minutes): resumed, its "
                           "unfinished chunks were sent again.")
                         % {"batch": self.batch.pk, "minutes": _stall_minutes()})
        else:
            parts.append(_("Started a new batch #%(batch)s.") % {"batch": self.batch.pk})
        return " ".join(str(p) for p in parts)


def _stall_minutes():
    from django.conf import settings

    return max(1, round(settings.RATING_BATCH_STALL_SECONDS / 60))


def batch_run_now(*, actor) -> RunNowOutcome:
    """The run-now button: resume a stalled batch if there is one (or fail it, then start a new one); else start
    a new batch (409 while a batch is queued or running and progressing)."""
    access.require(actor, "ratings.run_rating_batch")
    outcomes = batch_check_stalled(actor=actor)
    failed = [o.batch for o in outcomes if o.outcome == StallOutcome.FAILED]
    resumed = [o.batch for o in outcomes if o.outcome == StallOutcome.RESUMED]
    if resumed:
        return RunNowOutcome(RunNowOutcome.RESUMED, resumed[0], failed)
    try:
        batch = batch_start(actor=actor, kind="manual")
    except Conflict as error:
        running = RatingBatch.objects.filter(status__in=[BatchStatus.QUEUED, BatchStatus.RUNNING]).first()
        if running is None:
            raise
        beat = running.heartbeat_at or running.started_at or running.created_at
        raise Conflict(_("Batch #%(batch)s is %(status)s and progressing (last progress %(when)s, %(done)s of "
                         "%(chunks)s chunks done); a batch with no progress for %(minutes)s minutes is resumed "
                         "by pressing again.")
                       % {"batch": running.pk, "status": str(running.get_status_display()).lower(),
                          "when": timezone.localtime(beat).strftime("%Y-%m-%d %H:%M:%S"),
                          "done": running.chunks_done, "chunks": running.chunk_count,
                          "minutes": _stall_minutes()}, code=error.code) from error
    return RunNowOutcome(RunNowOutcome.STARTED, batch, failed)
