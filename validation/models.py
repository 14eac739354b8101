"""Model validation and policy simulation: the default definition, imported historical outcomes, stored
validation (backtest) runs and dry-run simulations of a draft rating model or a draft credit policy.

Nothing here changes a rating, a model, a policy or a facility: runs and simulations only read and store
their own results. Activation of a version stays in ``ratings.services.model_activate`` and
``credit.services.policy_activate`` (four-eyes there).
"""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from creditportal.core.modelbase import StaffConfiguration, user_field
from creditportal.core.querysets import StaffQuerySet
from customers.models import customer_field


class DefaultDefinition(StaffConfiguration):
    """What counts as a default when a model is backtested (one row; defaults from the issue)."""

    default_grades = models.JSONField(_("grades that count as default"), default=list, blank=True,
                                      help_text=_("A later approved rating in one of these grades is a default."))
    days_past_due = models.PositiveIntegerField(_("more than this many days past due is a default"), default=90)
    horizon_months = models.PositiveSmallIntegerField(_("within this many months of the rating"), default=12)
    updated_by = user_field(_("changed by"), optional=True)

    class Meta:
        verbose_name = _("default definition")
        verbose_name_plural = _("default definitions")

    def __str__(self):
        return str(_("Default definition"))

    @classmethod
    def current(cls) -> DefaultDefinition:
        row = cls.objects.order_by("pk").first()
        return row or cls(default_grades=["D"])

    def as_dict(self) -> dict:
        return {"default_grades": list(self.default_grades or ["D"]), "days_past_due": self.days_past_due,
                "horizon_months": self.horizon_months}


class OutcomeImport(models.Model):
    """One CSV file of historical outcomes (all its rows imported, or none)."""

    file_name = models.CharField(_("file"), max_length=200)
    label = models.CharField(_("label"), max_length=200, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    default_count = models.PositiveIntegerField(_("defaults"), default=0)
    sha256 = models.CharField(_("file SHA-256"), max_length=64)
    created_by = user_field(_("imported by"))
    created_at = models.DateTimeField(pgettext_lazy("import time", "imported"), auto_now_add=True)

    objects = StaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("outcome import")
        verbose_name_plural = _("outcome imports")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.label or self.file_name


class HistoricalOutcome(models.Model):
    """A rating date and what happened afterwards, for a portal customer or an outside name."""

    source = models.ForeignKey(OutcomeImport, verbose_name=_("import"), on_delete=models.CASCADE,
                               related_name="outcomes")
    customer = customer_field(optional=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    rating_date = models.DateField(_("rating date"))
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2, null=True, blank=True)
    grade = models.CharField(_("grade"), max_length=8, blank=True)
    inputs = models.JSONField(_("inputs"), null=True, blank=True)
    defaulted = models.BooleanField(_("defaulted"))

    class Meta:
        verbose_name = _("historical outcome")
        verbose_name_plural = _("historical outcomes")
        ordering = ["source_id", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(customer=None) | ~models.Q(external_id=""),
                                   name="validation_outcome_identified"),
        ]

    def __str__(self):
        return f"{self.customer_id or self.external_id} {self.rating_date}"


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    FINISHED = "finished", pgettext_lazy("run status", "Finished")
    FAILED = "failed", _("Failed")


class BackgroundRun(models.Model):
    """Work a person starts and a worker does (a backtest, a simulation): queued, running, then finished with its
    results or failed with the error; staff holding the view permission read the runs, newest first."""

    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED,
                              db_index=True)
    results = models.JSONField(_("results"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = user_field(_("started by"))
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = StaffQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @property
    def is_done(self) -> bool:
        return self.status in (RunStatus.FINISHED, RunStatus.FAILED)


class ValidationRun(BackgroundRun):
    """A backtest of one rating model version over a period, with its stored results."""

    class Source(models.TextChoices):
        PORTAL = "portal", _("Ratings in the portal")
        IMPORT = "import", _("Imported outcomes")

    model = models.ForeignKey("ratings.RatingModel", verbose_name=_("rating model version"),
                              on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("data"), max_length=10, choices=Source.choices, default=Source.PORTAL)
    outcome_import = models.ForeignKey(OutcomeImport, verbose_name=_("imported outcomes"), on_delete=models.PROTECT,
                                       null=True, blank=True, related_name="runs")
    period_start = models.DateField(_("ratings from"))
    period_end = models.DateField(_("ratings until"))
    psi_base_date = models.DateField(_("stability: base date"), null=True, blank=True)
    psi_compare_date = models.DateField(_("stability: compared date"), null=True, blank=True)
    definition = models.JSONField(_("default definition used"), default=dict)
    sample_size = models.PositiveIntegerField(_("ratings"), default=0)
    default_count = models.PositiveIntegerField(_("defaults"), default=0)
    auc = models.FloatField(_("AUC"), null=True, blank=True)
    gini = models.FloatField(_("Gini"), null=True, blank=True)
    ks = models.FloatField(_("KS"), null=True, blank=True)
    psi = models.FloatField(_("PSI"), null=True, blank=True)

    class Meta(BackgroundRun.Meta):
        verbose_name = _("validation run")
        verbose_name_plural = _("validation runs")
        permissions = [("run_validation", "Can run a model validation (backtest)")]
        constraints = [models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")),
                                              name="validation_run_period_order")]

    def __str__(self):
        return f"#{self.pk} {self.model_id} {self.period_start}–{self.period_end}"


class Simulation(BackgroundRun):
    """A dry run of a draft rating model version or a draft credit policy over the whole portfolio."""

    class Kind(models.TextChoices):
        RATING_MODEL = "rating_model", _("Draft rating model")
        CREDIT_POLICY = "credit_policy", _("Draft credit policy")

    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    rating_model = models.ForeignKey("ratings.RatingModel", verbose_name=_("rating model version"),
                                     on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    credit_policy = models.ForeignKey("credit.CreditPolicy", verbose_name=_("credit policy"),
                                      on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    business_date = models.DateField(_("business date"))
    total = models.PositiveIntegerField(_("to process"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    started_at = models.DateTimeField(_("running since"), null=True, blank=True)

    class Meta(BackgroundRun.Meta):
        verbose_name = _("simulation")
        verbose_name_plural = _("simulations")
        permissions = [("run_simulation", "Can run a dry-run simulation of a draft model or policy")]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="rating_model", rating_model__isnull=False, credit_policy__isnull=True)
                           | models.Q(kind="credit_policy", credit_policy__isnull=False, rating_model__isnull=True)),
                name="validation_simulation_subject"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()}"

    @property
    def subject(self):
        return self.rating_model if self.kind == self.Kind.RATING_MODEL else self.credit_policy

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.status == RunStatus.FINISHED else 0
        return min(100, int(self.processed * 100 / self.total))
