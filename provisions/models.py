"""Expected credit loss (CAS 22 / IFRS 9 simplified approach), beside monitoring's five tiers.

* ``AgingSnapshot`` + ``AgingSnapshotLine``: the open receivables of one month end per customer and aging
  bucket (collection's buckets), with the month's write-offs, recoveries and flow into loss, the customer's
  industry, letter grade and tier of that date. Immutable once taken, hashed (``sha256``).
* ``ScenarioChange`` + ``ScenarioSet``: forward-looking macro scenarios (weights, factors) on the one four-eyes
  mechanism (``proposals``): a change proposed by one risk admin, put in force by another as a ``ScenarioSet``.
* ``ImpairedAssessment`` + ``AssessmentEvidence``: a credit-impaired customer assessed one by one for a month
  end, with its uploaded evidence (stored like the customer documents: server-chosen names, checked type and
  size).
* ``EclRun`` + ``EclLine``: the month-end ECL run, proposed → approved (another person) → locked; a
  locked run is never recomputed; a correction is a new run that names the run it corrects and why.
"""
from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField

from creditportal.core.modelbase import (
    MonthEndResult,
    StateMachine,
    StoredFile,
    customer_file_name,
    state_change,
    user_field,
)
from creditportal.core.money import AmountField, CurrencyField
from creditportal.core.querysets import CustomerScopedQuerySet, StaffQuerySet
from customers.models import customer_field
from proposals.models import ConfigChange

ZERO = Decimal("0")


class Immutable(Exception):
    pass


class AgingSnapshot(MonthEndResult):
    previous_period = models.DateField(_("previous month end"))
    totals = models.JSONField(_("totals by bucket"), default=dict)
    total_gross = AmountField(_("gross receivables"), default=ZERO)
    segment_totals = models.JSONField(
        _("totals by band and segment"), default=dict, blank=True,
        help_text=_("The roll-rate inputs of this month end, summed once when it is taken: the bands and the "
                    "month's flow into loss for the whole book, by industry and by letter grade."))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    taken_by = user_field(_("taken by"))
    taken_at = models.DateTimeField(_("taken at"), auto_now_add=True)

    class Meta(MonthEndResult.Meta):
        verbose_name = _("aging snapshot")
        verbose_name_plural = _("aging snapshots")
        permissions = [("take_agingsnapshot", "Can take a month-end aging snapshot")]

    def save(self, *args, **kwargs):
        if self.pk and not kwargs.pop("_allow_update", False):
            raise Immutable("an aging snapshot is never changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise Immutable("an aging snapshot is never deleted")


class SnapshotLineQuerySet(CustomerScopedQuerySet):
    pass


class AgingSnapshotLine(models.Model):
    snapshot = models.ForeignKey(AgingSnapshot, verbose_name=_("snapshot"), on_delete=models.PROTECT,
                                 related_name="lines")
    customer = customer_field()
    industry_section = models.CharField(_("industry"), max_length=2, blank=True)
    letter = models.CharField(_("letter grade"), max_length=1, blank=True)
    tier = models.CharField(_("tier"), max_length=20, blank=True)
    current = AmountField(_("current"), default=ZERO)
    d1_30 = AmountField("1–30", default=ZERO)
    d31_60 = AmountField("31–60", default=ZERO)
    d61_90 = AmountField("61–90", default=ZERO)
    d91_180 = AmountField("91–180", default=ZERO)
    d181_360 = AmountField("181–360", default=ZERO)
    over_360 = AmountField("> 360", default=ZERO)
    # 30-day slices of the wider buckets (``selectors.SPLIT_BANDS``), for the roll-rate chain
    d91_120 = AmountField("91–120", default=ZERO)
    d121_150 = AmountField("121–150", default=ZERO)
    d151_180 = AmountField("151–180", default=ZERO)
    d181_210 = AmountField("181–210", default=ZERO)
    d211_240 = AmountField("211–240", default=ZERO)
    d241_270 = AmountField("241–270", default=ZERO)
    d271_300 = AmountField("271–300", default=ZERO)
    d301_330 = AmountField("301–330", default=ZERO)
    d331_360 = AmountField("331–360", default=ZERO)
    gross = AmountField(_("gross"), default=ZERO)
    written_off = AmountField(_("written off in the month"), default=ZERO)
    recovered = AmountField(_("recovered in the month"), default=ZERO)
    new_loss = AmountField(_("rolled to loss in the month"), default=ZERO)

    objects = SnapshotLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("aging snapshot line")
        verbose_name_plural = _("aging snapshot lines")
        ordering = ["snapshot_id", "customer_id"]
        constraints = [models.UniqueConstraint(fields=["snapshot", "customer"], name="provisions_snapshot_line_once")]

    def __str__(self):
        return f"{self.snapshot_id} {self.customer_id}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise Immutable("an aging snapshot is never changed")
        super().save(*args, **kwargs)


class ScenarioState(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("scenario state", "In force")
    RETIRED = "retired", pgettext_lazy("scenario state", "Replaced")


class ScenarioChange(ConfigChange):
    """A proposed set of forward-looking scenarios (four-eyes, ``proposals``): one risk administrator proposes it
    with the reason, another puts it in force (a new ``ScenarioSet``; the set in force before is replaced).
    ``values``: {name, reason, scenarios: [{name, weight (percent), factor, bucket_factors}]}; ``previous``: the
    set in force when it was proposed ({id, name, scenarios}, empty when none). One open proposal at a time
    (``key``: ``scenarios``)."""

    change_slug = "provisions.scenarios"

    class Meta(ConfigChange.Meta):
        verbose_name = _("scenario change")
        verbose_name_plural = _("scenario changes")

    @property
    def name(self) -> str:
        return self.values.get("name", "")

    @property
    def scenarios(self) -> list:
        return self.values.get("scenarios", [])

    @property
    def reason(self) -> str:
        return self.values.get("reason", "")


class ScenarioSet(StateMachine):
    """Forward-looking scenarios put in force: ``scenarios`` = [{name, weight (percent), factor, bucket_factors}].
    Created only by the approval of a ``ScenarioChange`` (``change``; empty for sets approved before the
    proposals app decided them); replaced (``retired``) by the next approved change. Runs keep the set they used."""

    name = models.CharField(_("name"), max_length=100)
    scenarios = models.JSONField(_("scenarios"))
    reason = models.TextField(_("reason"))
    state = FSMField(_("state"), default=ScenarioState.ACTIVE, choices=ScenarioState.choices, protected=True)
    change = models.OneToOneField(ScenarioChange, verbose_name=_("proposal"), on_delete=models.PROTECT, null=True,
                                  blank=True, related_name="scenario_set")
    proposed_by = user_field(_("proposed by"))
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    decided_by = user_field(_("decided by"), optional=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = StaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("scenario set")
        verbose_name_plural = _("scenario sets")
        ordering = ["-id"]
        permissions = [("approve_scenarioset", "Can put forward-looking scenarios in force (four-eyes)")]
        constraints = [
            models.UniqueConstraint(fields=["state"], condition=Q(state="active"), name="provisions_one_active_scenarios"),
        ]

    def __str__(self):
        return self.name

    retire = state_change(state, ScenarioState.ACTIVE, ScenarioState.RETIRED)


class AssessmentQuerySet(CustomerScopedQuerySet):
    pass


class ImpairedAssessment(models.Model):
    """One credit-impaired customer at one month end: ECL = exposure − expected recoveries."""

    customer = customer_field()
    period = models.DateField(_("month end"), db_index=True)
    exposure = AmountField(_("exposure"))
    collateral_value = AmountField(_("collateral value"), default=ZERO)
    collateral_haircut = models.DecimalField(_("collateral haircut"), max_digits=5, decimal_places=4, default=ZERO,
                                             help_text=_("A fraction, e.g. 0.30 for 30%."))
    guarantees = AmountField(_("guarantees"), default=ZERO)
    insurance_cover = AmountField(_("credit insurance cover"), default=ZERO)
    expected_recoveries = AmountField(_("expected recoveries"), default=ZERO)
    ecl = AmountField(_("expected credit loss"), default=ZERO)
    reason = models.TextField(_("reason"))
    evidence = models.CharField(_("evidence"), max_length=300, blank=True,
                                help_text=_("Where the evidence is filed (document, valuation report, letter)."))
    created_by = user_field(_("assessed by"))
    created_at = models.DateTimeField(_("assessed at"), auto_now=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("impaired assessment")
        verbose_name_plural = _("impaired assessments")
        ordering = ["-period", "customer_id"]
        constraints = [models.UniqueConstraint(fields=["customer", "period"], name="provisions_assessment_once")]

    def __str__(self):
        return f"{self.customer} {self.period:%Y-%m}"


def evidence_upload_to(instance, filename):
    return customer_file_name("impaired_evidence", instance.customer_id, filename)


class EvidenceQuerySet(CustomerScopedQuerySet):
    pass


class AssessmentEvidence(StoredFile):
    """A file backing an impaired assessment (valuation report, insolvency notice, guarantee letter, insurer's
    cover note): checked and stored like the customer documents, downloaded through a permission-checked,
    audited view only."""

    assessment = models.ForeignKey(ImpairedAssessment, verbose_name=_("impaired assessment"),
                                   on_delete=models.PROTECT, related_name="evidence_files")
    customer = customer_field()
    file = models.FileField(_("file"), upload_to=evidence_upload_to, max_length=255)

    objects = EvidenceQuerySet.as_manager()

    class Meta(StoredFile.Meta):
        verbose_name = _("assessment evidence")
        verbose_name_plural = _("assessment evidence")


class RunState(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("ECL run state", "Proposed")
    APPROVED = "approved", pgettext_lazy("ECL run state", "Approved")
    LOCKED = "locked", pgettext_lazy("ECL run state", "Locked")
    REJECTED = "rejected", pgettext_lazy("ECL run state", "Rejected")


class SegmentBy(models.TextChoices):
    BOOK = "book", _("Whole book")
    INDUSTRY = "industry", _("Industry section")
    GRADE = "grade", _("Letter grade")


class Averaging(models.TextChoices):
    SIMPLE = "simple", _("Simple mean")
    WEIGHTED = "weighted", _("Amount-weighted")


class EclRun(StateMachine):
    period = models.DateField(_("month end"), db_index=True)
    snapshot = models.ForeignKey(AgingSnapshot, verbose_name=_("snapshot"), on_delete=models.PROTECT,
                                 related_name="runs")
    state = FSMField(_("state"), default=RunState.PROPOSED, choices=RunState.choices, protected=True, db_index=True)
    currency = CurrencyField(verbose_name=_("reporting currency"))
    lookback = models.PositiveSmallIntegerField(_("look-back (months)"), default=24)
    averaging = models.CharField(_("averaging"), max_length=10, choices=Averaging.choices, default=Averaging.SIMPLE)
    segment_by = models.CharField(_("segments"), max_length=10, choices=SegmentBy.choices, default=SegmentBy.BOOK)
    min_history = models.PositiveSmallIntegerField(
        _("history threshold (months)"), default=12,
        help_text=_("A segment with fewer months of balances in the look-back takes the whole book's rates."))
    scenario_set = models.ForeignKey(ScenarioSet, verbose_name=_("scenarios"), on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="runs")
    scenarios = models.JSONField(_("scenarios used"), default=list, blank=True)
    override = models.JSONField(_("override matrix"), default=dict, blank=True)
    override_reason = models.TextField(_("reason for the override"), blank=True)
    rates = models.JSONField(_("loss rates by segment"), default=dict)
    matrix = models.JSONField(_("provision matrix"), default=dict)
    movement = models.JSONField(_("movement of the allowance"), default=dict)
    comparison = models.JSONField(_("five-tier comparison"), default=dict)
    total_gross = AmountField(_("gross receivables"), default=ZERO)
    matrix_allowance = AmountField(_("allowance by the matrix"), default=ZERO)
    individual_allowance = AmountField(_("allowance assessed individually"), default=ZERO)
    total_allowance = AmountField(_("loss allowance"), default=ZERO)
    corrects = models.ForeignKey("self", verbose_name=_("corrects run"), on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="corrections")
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    proposed_by = user_field(_("proposed by"))
    proposed_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    approved_by = user_field(_("approved by"), optional=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    locked_by = user_field(_("locked by"), optional=True)
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    objects = StaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("ECL run")
        verbose_name_plural = _("ECL runs")
        ordering = ["-period", "-id"]
        permissions = [
            ("propose_eclrun", "Can propose a month-end ECL run"),
            ("approve_eclrun", "Can approve and lock an ECL run (four-eyes)"),
            ("assess_impaired", "Can assess credit-impaired customers"),
            ("export_disclosure", "Can download the ECL disclosure"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["period"], condition=Q(state__in=["proposed", "approved"]),
                                    name="provisions_one_open_run_per_month"),
        ]

    def __str__(self):
        return _("ECL %(period)s #%(id)s") % {"period": f"{self.period:%Y-%m}", "id": self.pk}

    approve = state_change(state, RunState.PROPOSED, RunState.APPROVED)
    reject = state_change(state, RunState.PROPOSED, RunState.REJECTED)
    lock = state_change(state, RunState.APPROVED, RunState.LOCKED)


class EclLineQuerySet(CustomerScopedQuerySet):
    pass


class EclLine(models.Model):
    """One customer and bucket of a run (an impaired customer: one line, ``bucket`` = ``individual``)."""

    # no index of its own on ``run``: the unique (run, customer, bucket) index serves every read by run (and by
    # run and customer); each index more is maintained for every one of a full run's ~70k lines
    run = models.ForeignKey(EclRun, verbose_name=pgettext_lazy("ECL run", "run"), on_delete=models.CASCADE,
                            related_name="lines", db_index=False)
    customer = customer_field()
    segment = models.CharField(_("segment"), max_length=20, blank=True)
    bucket = models.CharField(_("bucket"), max_length=12)
    gross = AmountField(_("gross"))
    rate = models.DecimalField(_("loss rate"), max_digits=9, decimal_places=6)
    allowance = AmountField(_("allowance"))
    impaired = models.BooleanField(_("credit-impaired"), default=False)

    objects = EclLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("ECL line")
        verbose_name_plural = _("ECL lines")
        ordering = ["run_id", "customer_id", "bucket"]
        constraints = [models.UniqueConstraint(fields=["run", "customer", "bucket"], name="provisions_line_once")]

    def __str__(self):
        return f"{self.run_id} {self.customer_id} {self.bucket}"
