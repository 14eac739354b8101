"""A rating's life: start, inputs, expert scores, override, submit, and the checker's approve / return /
reject."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import AuditEvent
from audit.services import audit_changes, audit_record, snapshot
from creditportal.core import access, clock
from creditportal.core.canonical import jsonable
from creditportal.core.errors import Conflict, ValidationFailed
from creditportal.core.events import publish_on_commit
from creditportal.core.formatting import shipped_text
from creditportal.core.i18n import Message
from customers.models import Customer
from customers.services import require_visible

from .. import providers, selectors
from ..engine.scale import Scale, ScaleError
from ..models import ExpertScore, FactorKind, Rating, RatingsPolicy, RatingState
from ._common import (_rating_state, _transition, _notify, _notify_decided, _lock, _require_transition,
                      _require_editable, _reason)
from .computing import _apply_result, _recompute, _require_behaviour_readable


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
def expert_scores_set(*, actor, rating: Rating, scores: dict) -> list[ExpertScore]:
    """One expert scores several qualitative factors at once (``{factor_code: (score, comment)}``): each through
    :func:`expert_score_set`, all or nothing (one refusal saves none)."""
    if not scores:
        raise ValidationFailed(_("Score at least one factor."))
    return [expert_score_set(actor=actor, rating=rating, factor_code=code, score=score, comment=comment)
            for code, (score, comment) in scores.items()]


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


RATIONALE_MAX_LENGTH = 4000


@transaction.atomic
def rating_submit(*, actor, rating: Rating, rationale: str | None = None) -> Rating:
    """Submit for approval; refused on stale inputs, without every qualitative factor scored and without the
    analyst's written rationale (``rationale``, or the one the rating already holds)."""
    access.require(actor, "ratings.submit_rating")
    require_visible(actor, rating.customer)
    if rationale is not None:
        rationale = str(rationale).strip()
        if "\x00" in rationale or len(rationale) > RATIONALE_MAX_LENGTH:
            message = _("Write the rationale in at most %(n)s characters of text.") % {"n": RATIONALE_MAX_LENGTH}
            raise ValidationFailed(message, field_errors={"rationale": [message]})
    rating = _lock(rating)
    _require_transition(rating, "submit")
    before = _rating_state(rating)
    if rationale:
        rating.rationale = rationale
    problems = list(selectors.stale_inputs_for([rating.customer_id]).get(rating.customer_id, []))
    missing_rationale = [] if (rating.rationale or "").strip() else [
        _("Write the rationale of the grade: why this grade, the main risks and mitigants.")]
    scored = rating.inputs.get("expert_scores") or {}
    minimum = selectors.min_experts(rating.model_definition)
    missing = [shipped_text(f["name"]) for f in rating.model_definition["factors"]
               if f["kind"] == FactorKind.QUALITATIVE and len(scored.get(f["code"]) or []) < minimum]
    if missing:
        problems.append(_("Each qualitative factor needs the scores of at least %(count)s experts (Delphi); too "
                          "few for: %(factors)s.") % {"count": minimum, "factors": ", ".join(missing)})
    if problems or missing_rationale:
        field_errors = {"__all__": problems} if problems else {}
        if missing_rationale:
            field_errors["rationale"] = missing_rationale
        raise ValidationFailed(_("The rating cannot be submitted: %(problems)s")
                               % {"problems": " ".join(problems + missing_rationale)}, field_errors=field_errors)
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
