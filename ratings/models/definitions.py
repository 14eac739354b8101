"""Versioned rating models and their factors."""
from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField

from creditportal.core.modelbase import StateMachine, Timestamped, state_change, user_field
from creditportal.core.naming import LocalizedNameMixin, english_field
from creditportal.core.querysets import StaffQuerySet

from .scales import RatingScale


# --- Models and factors -----------------------------------------------------------------------

class RatingModelState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", pgettext_lazy("rating model state", "Active")
    RETIRED = "retired", _("Retired")


class RatingModel(LocalizedNameMixin, StateMachine, Timestamped):
    """One version of a scorecard. Active and retired versions are immutable; a new version is a copy."""

    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=120)
    name_en = english_field(max_length=120)
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
    created_by = user_field(_("made by"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("last changed by"),
                                   on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    activated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("activated by"),
                                     on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)
    previous = models.ForeignKey("self", verbose_name=_("copied from"), on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+")

    objects = StaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("rating model")
        verbose_name_plural = _("rating models")
        ordering = ["code", "-version"]
        permissions = [("approve_ratingmodel", "Can activate a rating model version (four-eyes)")]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="ratingmodel_unique_version")]

    def __str__(self):
        return f"{self.localized_name} v{self.version}"

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

    activate = state_change(state, RatingModelState.DRAFT, RatingModelState.ACTIVE,
                            permission="ratings.approve_ratingmodel")
    retire = state_change(state, RatingModelState.ACTIVE, RatingModelState.RETIRED)


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
