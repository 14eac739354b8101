"""Rating scales and their grades."""
from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from creditportal.core.modelbase import Timestamped
from creditportal.core.naming import LocalizedNameMixin, english_field
from creditportal.core.querysets import StaffQuerySet


LETTERS = [("A", "A"), ("B", "B"), ("C", "C"), ("D", "D")]


# --- Scale ------------------------------------------------------------------------------------

class RatingScale(LocalizedNameMixin, Timestamped):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = english_field(max_length=100)
    score_min = models.DecimalField(_("lowest score"), max_digits=7, decimal_places=2, default=Decimal("0"))
    score_max = models.DecimalField(_("highest score"), max_digits=7, decimal_places=2, default=Decimal("100"))
    is_master = models.BooleanField(_("master scale"), default=False)

    objects = StaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("rating scale")
        verbose_name_plural = _("rating scales")
        ordering = ["-is_master", "code"]

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
    meaning_en = english_field(text=True, verbose_name=_("meaning (English)"))

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
