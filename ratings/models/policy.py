"""The ratings policy and the behaviour inputs."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from creditportal.core.modelbase import StaffConfiguration, user_field
from creditportal.core.querysets import CustomerScopedQuerySet
from customers.models import Customer


# --- Policy and behaviour input ---------------------------------------------------------------

class RatingsPolicy(StaffConfiguration):
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
    updated_by = user_field(_("changed by"), optional=True)

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
    updated_by = user_field(_("entered by"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = BehaviourInputQuerySet.as_manager()

    class Meta:
        verbose_name = _("behaviour input")
        verbose_name_plural = _("behaviour inputs")

    def __str__(self):
        return f"{self.customer_id}: {self.competitor_share}"
