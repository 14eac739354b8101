"""The authority matrix: levels, approvers, delegations, group limits."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from creditportal.core.formatting import money
from creditportal.core.modelbase import StaffTable, user_field
from creditportal.core.money import AmountField, CurrencyField
from creditportal.core.naming import LocalizedNameMixin, english_field
from creditportal.core.querysets import StaffQuerySet

from .. import rules
from .policy import GRADE_CHOICES


# --- Authority matrix -------------------------------------------------------------------------

class AuthorityLevel(LocalizedNameMixin, models.Model):
    number = models.PositiveSmallIntegerField(_("level"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = english_field(max_length=100)
    max_amount = AmountField(_("maximum amount (reporting currency)"), null=True, blank=True,
                             help_text=_("Empty: no upper limit."))
    weakest_grade = models.CharField(_("weakest grade it may approve"), max_length=4, choices=GRADE_CHOICES,
                                     blank=True)

    objects = StaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("authority level")
        verbose_name_plural = _("authority levels")
        ordering = ["number"]

    def __str__(self):
        return f"{self.number} · {self.localized_name}"

    def as_level(self) -> rules.Level:
        return rules.Level(self.number, self.max_amount, self.weakest_grade)


class ApproverAuthority(StaffTable):
    """The authority level of one approver (a user of the ``approver`` group)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("approver"), on_delete=models.PROTECT,
                                related_name="credit_authority")
    level = models.ForeignKey(AuthorityLevel, verbose_name=_("level"), on_delete=models.PROTECT,
                              related_name="approvers")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("approver authority")
        verbose_name_plural = _("approver authorities")
        ordering = ["level__number", "user__username"]

    def __str__(self):
        return f"{self.user} → {self.level}"


class DelegationQuerySet(StaffQuerySet):
    def active_on(self, on_date):
        return self.filter(revoked=False, start_date__lte=on_date, end_date__gte=on_date)


class Delegation(models.Model):
    """An approver's authority lent to a stand-in for a period: capped at the delegator's own level,
    expiring by itself after ``end_date`` (authority is computed by date, no job needed)."""

    delegator = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("delegator"), on_delete=models.PROTECT,
                                  related_name="credit_delegations_given")
    delegate = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("stand-in"), on_delete=models.PROTECT,
                                 related_name="credit_delegations_received")
    level = models.ForeignKey(AuthorityLevel, verbose_name=_("delegated level"), on_delete=models.PROTECT,
                              related_name="+")
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until (inclusive)"))
    reason = models.CharField(_("reason"), max_length=300)
    revoked = models.BooleanField(_("revoked"), default=False)
    created_by = user_field(_("created by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = DelegationQuerySet.as_manager()

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")),
                                   name="credit_delegation_period_order"),
            models.CheckConstraint(condition=~models.Q(delegator=models.F("delegate")),
                                   name="credit_delegation_other_person"),
        ]

    def __str__(self):
        return f"{self.delegator} → {self.delegate} ({self.start_date}–{self.end_date})"


class GroupLimit(StaffTable):
    """集团统一授信: one overall limit for a group of related companies, drawn on by its members' facilities."""

    group = models.OneToOneField("customers.CustomerGroup", verbose_name=_("group of related companies"),
                                 on_delete=models.PROTECT, related_name="credit_limit")
    limit = AmountField(_("group limit"))
    currency = CurrencyField()
    expiry_date = models.DateField(_("expiry"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("group limit")
        verbose_name_plural = _("group limits")
        ordering = ["group__name"]

    def __str__(self):
        return f"{self.group} {money(self.limit, self.currency)}"
