"""Configuration: scales, models, factors, policy."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from audit.models import AuditEvent
from audit.services import audit_changes, audit_record, audited_transition, snapshot
from creditportal.core import access
from creditportal.core.canonical import jsonable
from creditportal.core.errors import Conflict, ValidationFailed
from creditportal.core.money import to_decimal

from .. import selectors
from ..engine.scale import Scale, ScaleError
from ..engine.scorecard import EngineError, Factor, ModelDefinition
from ..models import RatingFactor, RatingModel, RatingModelState, RatingScale, RatingsPolicy, ScaleGrade


def _check_scale(grades: list[dict], score_min, score_max) -> list[dict]:
    rows = [{"code": str(g["code"]).strip(), "letter": str(g["letter"]).strip(), "min_score": str(g["min_score"]),
             "max_score": str(g["max_score"]), "pd": str(g["pd"]), "meaning": str(g.get("meaning") or "").strip(),
             "meaning_en": str(g.get("meaning_en") or "").strip()}
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
                 is_master=False, name_en="") -> RatingScale:
    access.require(actor, "ratings.add_ratingscale")
    rows = _check_scale(grades, score_min, score_max)
    if RatingScale.objects.filter(code=code).exists():
        raise ValidationFailed(_("A scale with this code exists."), field_errors={"code": _("This code is taken.")})
    if is_master:
        RatingScale.objects.filter(is_master=True).update(is_master=False)
    scale = RatingScale.objects.create(code=code, name=name, name_en=name_en or "", score_min=score_min,
                                       score_max=score_max,
                                       is_master=is_master)
    ScaleGrade.objects.bulk_create([ScaleGrade(scale=scale, position=i, **row) for i, row in enumerate(rows, 1)])
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=scale, after=_scale_state(scale))
    return scale


@transaction.atomic
def scale_update(*, actor, scale: RatingScale, name: str, grades: list[dict], name_en: str | None = None
                 ) -> RatingScale:
    """Change a scale's grades; refused while an active model uses it (make a new scale and model version)."""
    access.require(actor, "ratings.change_ratingscale")
    scale = RatingScale.objects.select_for_update().get(pk=scale.pk)
    if scale.models.filter(state=RatingModelState.ACTIVE).exists():
        raise Conflict(_("An active rating model uses this scale; create a new scale and a new model version."))
    rows = _check_scale(grades, scale.score_min, scale.score_max)
    before = _scale_state(scale)
    scale.name = name
    if name_en is not None:
        scale.name_en = name_en
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
            value = to_decimal(value) if name == "min_completeness" else int(value)
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
                 caps=(), name_en="", **settings) -> RatingModel:
    access.require(actor, "ratings.add_ratingmodel")
    if RatingModel.objects.filter(code=code).exists():
        raise ValidationFailed(_("A model with this code exists; create a new version of it instead."),
                               field_errors={"code": _("This code is taken.")})
    model = RatingModel.objects.create(code=code, version=1, name=name, name_en=name_en or "", description=description,
                                       scale=scale,
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
                 caps=None, name_en: str | None = None, **settings) -> RatingModel:
    access.require(actor, "ratings.change_ratingmodel")
    model = RatingModel.objects.select_for_update().get(pk=model.pk)
    _require_draft(model)
    before = snapshot(model)
    for field_name, value in _check_settings(settings).items():
        setattr(model, field_name, value)
    model.name, model.description = name, description
    if name_en is not None:
        model.name_en = name_en
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
    copy = RatingModel.objects.create(code=model.code, version=latest.version + 1, name=model.name, name_en=model.name_en,
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
        audited_transition(actor, old, "retire", retired_at=timezone.now())
    return audited_transition(actor, model, "activate", activated_by=actor, activated_at=timezone.now())


@transaction.atomic
def model_retire(*, actor, model: RatingModel) -> RatingModel:
    access.require(actor, "ratings.approve_ratingmodel")
    model = RatingModel.objects.select_for_update().get(pk=model.pk)
    _require_transition_model(model, "retire")
    return audited_transition(actor, model, "retire", retired_at=timezone.now())


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
