"""Ratings: scales, versioned rating models and factors, ratings and their workflow, expert scores,
behaviour inputs, the ratings policy and the re-rating batches.

State machines (django-fsm, ``FSMField(protected=True)``; transitions are called only by services,
which check permissions, lock the row and write the audit trail):

    RatingModel   draft → active → retired
    Rating        proposed (nightly batch, system user) ┐
                  draft ───────────────────────────────┴→ submitted → approved → superseded
                                                          submitted → draft (returned) | rejected
                  proposed → rejected (dismissed)
"""
from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition

from creditportal.core import clock
from creditportal.core.jsonfields import SnapshotJSONField
from creditportal.core.querysets import CustomerScopedQuerySet, StaffQuerySet
from customers.models import Customer

LETTERS = [("A", "A"), ("B", "B"), ("C", "C"), ("D", "D")]


# --- Scale ------------------------------------------------------------------------------------

class RatingScale(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    score_min = models.DecimalField(_("lowest score"), max_digits=7, decimal_places=2, default=Decimal("0"))
    score_max = models.DecimalField(_("highest score"), max_digits=7, decimal_places=2, default=Decimal("100"))
    is_master = models.BooleanField(_("master scale"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = StaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("rating scale")
        verbose_name_plural = _("rating scales")
        ordering = ["-is_master", "code"]

    def __str__(self):
        return self.name

    def as_engine_dict(self, grades=None) -> dict:
        grades = grades if grades is not None else list(self.grades.all())
        return {
            "score_min": str(self.score_min), "score_max": str(self.score_max), "letters": ["A", "B", "C", "D"],
            "grades": [{"code": g.code, "letter": g.letter, "min_score": str(g.min_score),
                        "max_score": str(g.max_score), "pd": str(g.pd), "meaning": g.meaning}
                       for g in sorted(grades, key=lambda g: g.position)],
        }


class ScaleGrade(models.Model):
    scale = models.ForeignKey(RatingScale, verbose_name=_("scale"), on_delete=models.CASCADE, related_name="grades")
    position = models.PositiveSmallIntegerField(pgettext_lazy("sort order", "position"), help_text=_("1 for the best grade."))
    code = models.CharField(_("grade"), max_length=8)
    letter = models.CharField(_("letter"), max_length=1, choices=LETTERS)
    min_score = models.DecimalField(_("score from"), max_digits=7, decimal_places=2)
    max_score = models.DecimalField(_("score below"), max_digits=7, decimal_places=2)
    pd = models.DecimalField(_("probability of default"), max_digits=7, decimal_places=6)
    meaning = models.TextField(_("meaning"), blank=True,
                               help_text=_("What a customer of this grade is (shown on ratings and their reports)."))

    class Meta:
        verbose_name = _("scale grade")
        verbose_name_plural = _("scale grades")
        ordering = ["scale", "position"]
        constraints = [
            models.UniqueConstraint(fields=["scale", "code"], name="scalegrade_unique_code"),
            models.UniqueConstraint(fields=["scale", "position"], name="scalegrade_unique_position"),
        ]

    def __str__(self):
        return self.code


# --- Models and factors -----------------------------------------------------------------------

class RatingModelState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", pgettext_lazy("rating model state", "Active")
    RETIRED = "retired", _("Retired")


class RatingModel(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """One version of a scorecard. Active and retired versions are immutable; a new version is a copy."""

    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    scale = models.ForeignKey(RatingScale, verbose_name=_("scale"), on_delete=models.PROTECT, related_name="models")
    industries = models.JSONField(_("industries"), default=list, blank=True,
                                  help_text=_("Industry sections (GB/T 4754); empty means every industry."))
    sizes = models.JSONField(_("sizes"), default=list, blank=True, help_text=_("Customer sizes; empty means every size."))
    caps = models.JSONField(_("caps and vetoes"), default=list, blank=True)
    behaviour_window_months = models.PositiveSmallIntegerField(
        _("behaviour window (months)"), default=12, validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Invoices falling due in this many months up to the rating date less the grace count."))
    behaviour_grace_days = models.PositiveSmallIntegerField(
        _("behaviour grace (days)"), default=30, validators=[MaxValueValidator(365)],
        help_text=_("The window ends this many days before the rating date."))
    min_completeness = models.DecimalField(
        _("minimum data completeness (%)"), max_digits=5, decimal_places=2, default=Decimal("70"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("Below this share of weight with data a rating needs an approver's override."))
    min_experts = models.PositiveSmallIntegerField(
        _("minimum experts per qualitative factor"), default=2, validators=[MinValueValidator(1)])
    state = FSMField(_("state"), default=RatingModelState.DRAFT, choices=RatingModelState.choices, protected=True,
                     db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("made by"), on_delete=models.PROTECT,
                                   related_name="+")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("last changed by"),
                                   on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    activated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("activated by"),
                                     on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)
    previous = models.ForeignKey("self", verbose_name=_("copied from"), on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = StaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("rating model")
        verbose_name_plural = _("rating models")
        ordering = ["code", "-version"]
        permissions = [("approve_ratingmodel", "Can activate a rating model version (four-eyes)")]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="ratingmodel_unique_version")]

    def __str__(self):
        return f"{self.name} v{self.version}"

    @property
    def is_editable(self) -> bool:
        return self.state == RatingModelState.DRAFT

    @property
    def specificity(self) -> int:
        return (1 if self.industries else 0) + (1 if self.sizes else 0)

    def applies_to(self, customer) -> bool:
        return ((not self.industries or customer.industry_section in self.industries)
                and (not self.sizes or customer.size in self.sizes))

    def definition(self, factors=None, grades=None) -> dict:
        """The plain-data definition the engine runs (and a rating snapshots)."""
        factors = factors if factors is not None else list(self.factors.all())
        return {
            "code": self.code, "version": self.version,
            "scale": self.scale.as_engine_dict(grades),
            "factors": [f.as_engine_dict() for f in sorted(factors, key=lambda f: (f.position, f.code))],
            "caps": list(self.caps or []),
            "settings": self.settings(),
        }

    def settings(self) -> dict:
        """The model's settings as its definition (and a rating's snapshot) carries them."""
        return {"behaviour_window_months": int(self.behaviour_window_months),
                "behaviour_grace_days": int(self.behaviour_grace_days),
                "min_completeness": str(self.min_completeness), "min_experts": int(self.min_experts)}

    @transition(field=state, source=RatingModelState.DRAFT, target=RatingModelState.ACTIVE,
                permission="ratings.approve_ratingmodel")
    def activate(self):
        pass

    @transition(field=state, source=RatingModelState.ACTIVE, target=RatingModelState.RETIRED)
    def retire(self):
        pass


class FactorKind(models.TextChoices):
    QUANTITATIVE = "quantitative", _("Quantitative")
    QUALITATIVE = "qualitative", _("Qualitative (experts 1–5)")
    CATEGORICAL = "categorical", _("Category (e.g. behaviour result)")


class FactorMethod(models.TextChoices):
    THRESHOLDS = "thresholds", _("Thresholds")
    LINEAR = "linear", _("Linear band")


class FactorDirection(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class RatingFactor(models.Model):
    model = models.ForeignKey(RatingModel, verbose_name=_("model"), on_delete=models.CASCADE, related_name="factors")
    position = models.PositiveSmallIntegerField(pgettext_lazy("sort order", "position"), default=0)
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    group = models.CharField(pgettext_lazy("factor group", "group"), max_length=40, blank=True, help_text=_("e.g. capacity, capital, character."))
    kind = models.CharField(_("kind"), max_length=16, choices=FactorKind.choices, default=FactorKind.QUANTITATIVE)
    source = models.CharField(_("input"), max_length=80, blank=True,
                              help_text=_("e.g. ratios.current_ratio or behaviour.result; experts for qualitative."))
    weight = models.DecimalField(_("weight (%)"), max_digits=5, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))])
    method = models.CharField(_("method"), max_length=12, choices=FactorMethod.choices, blank=True,
                              default=FactorMethod.THRESHOLDS)
    direction = models.CharField(_("direction"), max_length=8, choices=FactorDirection.choices,
                                 default=FactorDirection.HIGHER)
    thresholds = models.JSONField(_("thresholds"), default=list, blank=True, help_text=_("[[bound, points], …]"))
    low = models.DecimalField(_("band low"), max_digits=14, decimal_places=4, null=True, blank=True)
    high = models.DecimalField(_("band high"), max_digits=14, decimal_places=4, null=True, blank=True)
    points = models.JSONField(_("points per category"), default=dict, blank=True)
    missing_points = models.DecimalField(
        _("points when missing"), max_digits=5, decimal_places=2, null=True, blank=True, default=None,
        help_text=_("Empty: a missing input takes no weight (its weight is spread over the other factors)."))

    class Meta:
        verbose_name = _("rating factor")
        verbose_name_plural = _("rating factors")
        ordering = ["model", "position", "code"]
        constraints = [models.UniqueConstraint(fields=["model", "code"], name="ratingfactor_unique_code")]

    def __str__(self):
        return self.name

    def as_engine_dict(self) -> dict:
        data = {"code": self.code, "name": self.name, "kind": self.kind, "weight": str(self.weight),
                "missing_points": None if self.missing_points is None else str(self.missing_points)}
        if self.kind == FactorKind.QUALITATIVE:
            data["source"] = f"expert_scores.{self.code}"
        else:
            data["source"] = self.source
        if self.kind == FactorKind.QUANTITATIVE:
            data.update(method=self.method, direction=self.direction)
            if self.method == FactorMethod.LINEAR:
                data.update(low=None if self.low is None else str(self.low),
                            high=None if self.high is None else str(self.high))
            else:
                data["thresholds"] = [[str(b), str(p)] for b, p in (self.thresholds or [])]
        if self.kind == FactorKind.CATEGORICAL:
            data["points"] = {str(k): str(v) for k, v in (self.points or {}).items()}
        return data


# --- Policy and behaviour input ---------------------------------------------------------------

class RatingsPolicy(models.Model):
    """The ratings policy (one row): review frequency by letter, stale inputs, override limit. The behaviour
    window is a setting of each rating model (``RatingModel.behaviour_window_months`` and ``_grace_days``)."""

    review_months_a = models.PositiveSmallIntegerField(_("review after (months), letter A"), default=12)
    review_months_b = models.PositiveSmallIntegerField(_("review after (months), letter B"), default=6)
    review_months_c = models.PositiveSmallIntegerField(_("review after (months), letter C"), default=3)
    review_months_d = models.PositiveSmallIntegerField(_("review after (months), letter D"), default=1)
    review_notice_days = models.PositiveSmallIntegerField(_("list reviews this many days before they fall due"),
                                                          default=30)
    stale_statement_months = models.PositiveSmallIntegerField(_("statements are stale after (months)"), default=18)
    block_on_expired_documents = models.BooleanField(_("expired documents block a rating"), default=True)
    max_override_notches = models.PositiveSmallIntegerField(_("largest override (notches)"), default=2)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("changed by"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = StaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("ratings policy")
        verbose_name_plural = _("ratings policies")

    def __str__(self):
        return str(_("Ratings policy"))

    @classmethod
    def current(cls) -> RatingsPolicy:
        policy = cls.objects.order_by("pk").first()
        return policy or cls()

    def review_months(self, letter: str) -> int:
        return {"A": self.review_months_a, "B": self.review_months_b, "C": self.review_months_c}.get(
            letter, self.review_months_d)


class CompetitorShare(models.TextChoices):
    OURS_ONLY = "ours_only", _("Our products only")
    OURS_MAIN = "ours_main", _("Ours main, competitors secondary")
    HALF = "half", _("Half and half")
    COMPETITORS_MAIN = "competitors_main", _("Competitors' products main")


class BehaviourInputQuerySet(CustomerScopedQuerySet):
    pass


class BehaviourInput(models.Model):
    """The relationship manager's answer on the share of competitors' products in the customer's business."""

    customer = models.OneToOneField(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                    related_name="behaviour_input")
    competitor_share = models.CharField(_("share of competitors' products"), max_length=20,
                                        choices=CompetitorShare.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("entered by"), on_delete=models.PROTECT,
                                   related_name="+")
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = BehaviourInputQuerySet.as_manager()

    class Meta:
        verbose_name = _("behaviour input")
        verbose_name_plural = _("behaviour inputs")

    def __str__(self):
        return f"{self.customer_id}: {self.competitor_share}"


# --- Batches ----------------------------------------------------------------------------------

class BatchStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")
    FAILED = "failed", _("Failed")


class RatingBatch(models.Model):
    kind = models.CharField(_("kind"), max_length=10, default="nightly",
                            choices=[("nightly", _("nightly")), ("manual", _("started by hand"))])
    business_date = models.DateField(_("business date"))
    status = models.CharField(_("status"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.QUEUED)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    total = models.PositiveIntegerField(pgettext_lazy("count", "customers"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    changed = models.PositiveIntegerField(_("inputs changed"), default=0)
    proposed = models.PositiveIntegerField(_("proposed ratings"), default=0)
    downgrades = models.PositiveIntegerField(_("downgrades"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(_("error details"), default=list, blank=True)
    chunk_count = models.PositiveIntegerField(_("chunks"), default=0)
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)
    # Progress heartbeat: set when the batch is recorded, split, resumed and whenever a chunk finishes. A batch
    # queued or running with no heartbeat for RATING_BATCH_STALL_SECONDS has stalled (a killed worker):
    # ``services.batch_check_stalled`` sends its missing chunks again, or fails it after
    # RATING_BATCH_MAX_RESUMES resumes without progress (``stall_resumes``, back to 0 on progress).
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    stall_resumes = models.PositiveIntegerField(_("resumed after stalling"), default=0)

    objects = StaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("rating batch")
        verbose_name_plural = _("rating batches")
        ordering = ["-created_at", "-id"]
        permissions = [("run_rating_batch", "Can start a re-rating batch")]

    def __str__(self):
        return f"{self.business_date} #{self.pk}"

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.status == BatchStatus.FINISHED else 0
        return min(100, int(self.processed * 100 / self.total))

    @property
    def is_done(self) -> bool:
        return self.status in (BatchStatus.FINISHED, BatchStatus.FAILED)


class RatingBatchChunk(models.Model):
    """One slice of a batch's customers, run as its own Celery task. ``done_at`` is set in the same transaction
    as the chunk's proposals and its share of the batch's counters, so a chunk delivered twice counts once."""
    batch = models.ForeignKey(RatingBatch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField(_("chunk"))
    customer_ids = SnapshotJSONField(_("customers"), default=list)
    # The payment behaviour of the chunk's customers, read for the whole portfolio in one pass when the batch
    # was split ({customer id: facts}); a re-delivered chunk uses the same facts.
    behaviour = SnapshotJSONField(_("payment behaviour"), default=dict, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("rating batch chunk")
        verbose_name_plural = _("rating batch chunks")
        ordering = ["batch", "index"]
        constraints = [models.UniqueConstraint(fields=["batch", "index"], name="ratingbatchchunk_unique_index")]

    def __str__(self):
        return f"{self.batch_id}/{self.index}"


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


class Rating(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="ratings")
    model = models.ForeignKey(RatingModel, verbose_name=_("rating model"), on_delete=models.PROTECT,
                              related_name="ratings")
    state = FSMField(_("state"), default=RatingState.DRAFT, choices=RatingState.choices, protected=True,
                     db_index=True)
    origin = models.CharField(_("origin"), max_length=10, default="manual",
                              choices=[("manual", _("by an analyst")), ("batch", _("nightly batch"))])
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
    overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("overridden by"),
                                      on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("made by"), on_delete=models.PROTECT,
                                   related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("submitted by"),
                                     on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"),
                                    on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_on = models.DateField(_("approval date"), null=True, blank=True)
    review_due = models.DateField(_("next review"), null=True, blank=True, db_index=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    completeness_override_reason = models.TextField(
        _("reason for approving below the minimum data completeness"), blank=True)
    returned_count = models.PositiveSmallIntegerField(_("times returned"), default=0)
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

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
        indexes = [models.Index(fields=["customer", "state"])]

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
    @transition(field=state, source=[RatingState.DRAFT, RatingState.PROPOSED], target=RatingState.SUBMITTED,
                permission="ratings.submit_rating")
    def submit(self):
        pass

    @transition(field=state, source=RatingState.SUBMITTED, target=RatingState.APPROVED,
                permission="ratings.approve_rating")
    def approve(self):
        pass

    @transition(field=state, source=RatingState.SUBMITTED, target=RatingState.DRAFT,
                permission="ratings.approve_rating")
    def return_to_maker(self):
        pass

    @transition(field=state, source=[RatingState.SUBMITTED, RatingState.PROPOSED], target=RatingState.REJECTED)
    def reject(self):
        pass

    @transition(field=state, source=RatingState.APPROVED, target=RatingState.SUPERSEDED)
    def supersede(self):
        pass


class ExpertScoreQuerySet(CustomerScopedQuerySet):
    customer_path = "rating__customer"


class ExpertScore(models.Model):
    rating = models.ForeignKey(Rating, verbose_name=_("rating"), on_delete=models.CASCADE, related_name="expert_scores")
    factor_code = models.SlugField(_("factor"), max_length=40)
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("expert"), on_delete=models.PROTECT,
                               related_name="+")
    score = models.PositiveSmallIntegerField(_("score (1–5)"),
                                             validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

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
