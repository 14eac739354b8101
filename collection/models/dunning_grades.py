"""Dunning by grade (issue 23): which dunning policy duns the customers of a rating letter (a D customer earlier
and harder); customers of a letter without one, and unrated customers, are dunned by the active (default) policy."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from creditportal.core.modelbase import StaffConfiguration

from .dunning import DunningPolicy

DUNNING_LETTERS = [("A", "A"), ("B", "B"), ("C", "C"), ("D", "D")]


class DunningGradePolicy(StaffConfiguration):
    """The dunning policy of one rating letter (configuration: changed four-eyes through ``proposals``, kind
    ``collection.dunning_grade``)."""

    letter = models.CharField(_("rating letter"), max_length=1, choices=DUNNING_LETTERS, unique=True)
    policy = models.ForeignKey(DunningPolicy, verbose_name=_("dunning policy"), on_delete=models.PROTECT,
                               related_name="grade_assignments")

    class Meta:
        verbose_name = _("dunning policy by grade")
        verbose_name_plural = _("dunning policies by grade")
        ordering = ["letter"]

    def __str__(self):
        return f"{self.letter} → {self.policy}"
