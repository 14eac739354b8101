"""The tables that value security (issue 23): haircut and revaluation interval by collateral type, recovery
factor of a guarantee by the guarantor's grade. Both change through four-eyes (``proposals``): a risk
administrator proposes (``CollateralHaircutChange`` / ``RecoveryFactorChange``), another one approves."""
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from creditportal.core.modelbase import StaffConfiguration, fraction_check
from proposals.models import ConfigChange

from .applications import Collateral


class CollateralHaircut(StaffConfiguration):
    """The default haircut and revaluation interval of one collateral type (missing rows: the shipped
    ``credit.rules.DEFAULT_HAIRCUTS``)."""

    kind = models.CharField(_("type"), max_length=12, choices=Collateral.Kind.choices, unique=True)
    haircut = models.DecimalField(_("haircut"), max_digits=5, decimal_places=4,
                                  help_text=_("A fraction: 0.3 takes 30 per cent off the market value."))
    revaluation_months = models.PositiveSmallIntegerField(_("revaluation interval (months)"))

    class Meta:
        verbose_name = _("collateral haircut")
        verbose_name_plural = _("collateral haircuts")
        ordering = ["kind"]
        constraints = [
            fraction_check("haircut", "credit_haircut_table_fraction"),
            models.CheckConstraint(condition=Q(revaluation_months__gte=1) & Q(revaluation_months__lte=120),
                                   name="credit_haircut_table_interval"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.haircut}"


class CollateralHaircutChange(ConfigChange):
    """A change of the haircut table (``values``/``previous``: {kind: {"haircut": "0.3000",
    "revaluation_months": 12}} of the changed types). One open proposal at a time (``key``: ``haircuts``)."""

    change_slug = "credit.collateral_haircuts"

    class Meta(ConfigChange.Meta):
        verbose_name = _("haircut table change")
        verbose_name_plural = _("haircut table changes")


class RecoveryFactor(StaffConfiguration):
    """What a guarantee counts for, as a fraction of its face value, by the guarantor's grade (``unrated``: no
    usable grade); missing rows: the shipped ``credit.rules.DEFAULT_RECOVERY_FACTORS``."""

    grade = models.CharField(_("grade"), max_length=8, unique=True)
    factor = models.DecimalField(_("recovery factor"), max_digits=5, decimal_places=4,
                                 help_text=_("A fraction of the amount guaranteed, e.g. 0.8."))

    class Meta:
        verbose_name = _("guarantor recovery factor")
        verbose_name_plural = _("guarantor recovery factors")
        ordering = ["id"]
        constraints = [fraction_check("factor", "credit_recovery_factor_fraction")]

    def __str__(self):
        return f"{self.grade}: {self.factor}"


class RecoveryFactorChange(ConfigChange):
    """A change of the recovery factors (``values``/``previous``: {grade: "0.8000"}). One open proposal at a
    time (``key``: ``recovery-factors``)."""

    change_slug = "credit.recovery_factors"

    class Meta(ConfigChange.Meta):
        verbose_name = _("recovery factor change")
        verbose_name_plural = _("recovery factor changes")
