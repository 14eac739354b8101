"""Ratings, their workflow and the expert scores."""
from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField

from creditportal.core import clock
from creditportal.core.jsonfields import SnapshotJSONField
from creditportal.core.modelbase import StateMachine, Timestamped, state_change, user_field
from creditportal.core.querysets import CustomerScopedQuerySet
from customers.models import customer_field

from .batches import RatingBatch
from .definitions import RatingModel
from .scales import LETTERS


# --- Ratings ----------------------------------------------------------------------------------

class RatingState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Superseded")


OPEN_STATES = [RatingState.PROPOSED, RatingState.DRAFT, RatingState.SUBMITTED]
EDITABLE_STATES = [RatingState.PROPOSED, RatingState.DRAFT]


class RatingQuerySet(CustomerScopedQuerySet):
    def current(self):
        return self.filter(state=RatingState.APPROVED)

    def open(self):
        return self.filter(state__in=OPEN_STATES)


class Rating(StateMachine, Timestamped):
    customer = customer_field("ratings")
    model = models.ForeignKey(RatingModel, verbose_name=_("rating model"), on_delete=models.PROTECT,
                              related_name="ratings")
    state = FSMField(_("state"), default=RatingState.DRAFT, choices=RatingState.choices, protected=True,
                     db_index=True)
    origin = models.CharField(_("origin"), max_length=10, default="manual",
                              choices=[("manual", _("By an analyst")), ("batch", _("Nightly batch"))])
    batch = models.ForeignKey(RatingBatch, verbose_name=_("batch"), on_delete=models.PROTECT, null=True, blank=True,
                              related_name="ratings")
    model_definition = SnapshotJSONField(_("model definition"))
    inputs = SnapshotJSONField(_("input snapshot"))
    inputs_sha256 = models.CharField(_("input snapshot SHA-256"), max_length=64)
    quantitative_sha256 = models.CharField(_("quantitative inputs SHA-256"), max_length=64, db_index=True)
    result = SnapshotJSONField(_("result"))
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2)
    model_grade = models.CharField(_("model grade"), max_length=8)
    grade = models.CharField(_("grade"), max_length=8)
    letter = models.CharField(_("letter"), max_length=1, choices=LETTERS)
    pd = models.DecimalField(_("probability of default"), max_digits=7, decimal_places=6)
    override_grade = models.CharField(_("overridden grade"), max_length=8, blank=True)
    override_reason = models.TextField(_("override reason"), blank=True)
    rationale = models.TextField(_("rationale"), blank=True,
                                 help_text=_("The analyst's written reasons for the grade; required on submit."))
    overridden_by = user_field(_("overridden by"), optional=True)
    created_by = user_field(_("made by"))
    submitted_by = user_field(_("submitted by"), optional=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = user_field(_("approved by"), optional=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_on = models.DateField(_("approval date"), null=True, blank=True)
    review_due = models.DateField(_("next review"), null=True, blank=True, db_index=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    completeness_override_reason = models.TextField(
        _("reason for approving below the minimum data completeness"), blank=True)
    returned_count = models.PositiveSmallIntegerField(_("times returned"), default=0)
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)

    objects = RatingQuerySet.as_manager()

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("submit_rating", "Can submit a rating for approval"),
            ("approve_rating", "Can approve another person's rating"),
            ("override_rating", "Can override a rating's grade"),
            ("approve_override", "Can approve a rating with an overridden grade"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=models.Q(state="approved"),
                                    name="rating_one_current_per_customer"),
            models.UniqueConstraint(fields=["batch", "customer"], condition=models.Q(batch__isnull=False),
                                    name="rating_one_per_batch_and_customer"),
        ]
        indexes = [
            models.Index(fields=["customer", "state"]),
            # the lists newest first (every rating; the approved and superseded ones for the reports): their first
            # page read from the index, not a sort of every rating (0.76 s → 11 ms at 150k ratings)
            models.Index(fields=["-created_at", "-id"], name="rating_newest_first"),
            models.Index(fields=["-approved_on", "-id"], condition=models.Q(state__in=["approved", "superseded"]),
                         name="rating_approved_newest_first"),
            # the reviews falling due (the analyst's home): the first five and their count from the index
            models.Index(fields=["review_due", "id"], condition=models.Q(state="approved"), name="rating_reviews_due"),
        ]

    def __str__(self):
        return f"{self.customer} {self.grade} ({self.get_state_display()})"

    # Read helpers used by other apps ------------------------------------------------------------
    @property
    def is_expired(self) -> bool:
        return self.review_due is not None and self.review_due < clock.today()

    @property
    def is_overridden(self) -> bool:
        return bool(self.override_grade)

    @property
    def is_current(self) -> bool:
        return self.state == RatingState.APPROVED

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def behaviour(self) -> dict:
        return (self.inputs or {}).get("behaviour") or {}

    @property
    def completeness(self) -> dict | None:
        """``{"percent", "minimum", "sufficient"}`` of the result (engine 2); for an engine-1 rating the share of
        weight whose factors had data, with no minimum."""
        result = self.result or {}
        if result.get("completeness"):
            data = result["completeness"]
            return {"percent": Decimal(data["percent"]), "minimum": Decimal(data["minimum"]),
                    "sufficient": bool(data["sufficient"])}
        factors = result.get("factors") or []
        if not factors:
            return None
        total = sum((Decimal(f["weight"]) for f in factors), Decimal(0))
        with_data = sum((Decimal(f["weight"]) for f in factors if f.get("available")), Decimal(0))
        percent = (with_data * 100 / total).quantize(Decimal("0.01")) if total else Decimal(0)
        return {"percent": percent, "minimum": None, "sufficient": True}

    @property
    def below_minimum_completeness(self) -> bool:
        data = self.completeness
        return data is not None and not data["sufficient"]

    def makers(self) -> set[int]:
        """Everyone who made this rating or its override, and the experts who scored it (DESIGN §2, §3
        Delphi): none of them may approve it. One query for the experts."""
        experts = set(self.expert_scores.values_list("expert_id", flat=True)) if self.pk else set()
        return {pk for pk in (self.created_by_id, self.submitted_by_id, self.overridden_by_id) if pk} | experts

    # Transitions (called only by ratings.services) ---------------------------------------------
    submit = state_change(state, [RatingState.DRAFT, RatingState.PROPOSED], RatingState.SUBMITTED,
                          permission="ratings.submit_rating")
    approve = state_change(state, RatingState.SUBMITTED, RatingState.APPROVED, permission="ratings.approve_rating")
    return_to_maker = state_change(state, RatingState.SUBMITTED, RatingState.DRAFT, permission="ratings.approve_rating")
    reject = state_change(state, [RatingState.SUBMITTED, RatingState.PROPOSED], RatingState.REJECTED)
    supersede = state_change(state, RatingState.APPROVED, RatingState.SUPERSEDED)


class ExpertScoreQuerySet(CustomerScopedQuerySet):
    customer_path = "rating__customer"


class ExpertScore(Timestamped):
    rating = models.ForeignKey(Rating, verbose_name=_("rating"), on_delete=models.CASCADE, related_name="expert_scores")
    factor_code = models.SlugField(_("factor"), max_length=40)
    expert = user_field(_("expert"))
    score = models.PositiveSmallIntegerField(_("score (1–5)"),
                                             validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("expert score")
        verbose_name_plural = _("expert scores")
        ordering = ["rating", "factor_code", "expert_id"]
        constraints = [
            models.UniqueConstraint(fields=["rating", "factor_code", "expert"], name="expertscore_one_per_expert"),
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="expertscore_1_to_5"),
        ]

    objects = ExpertScoreQuerySet.as_manager()

    def __str__(self):
        return f"{self.factor_code}: {self.score}"
