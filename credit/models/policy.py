"""Credit policy: the policy versions in force and their per-grade limits."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField

from creditportal.core.modelbase import StateMachine, state_change, user_field
from creditportal.core.money import AmountField
from creditportal.core.naming import LocalizedNameMixin, english_field
from creditportal.core.querysets import StaffQuerySet

from .. import rules


GRADE_CHOICES = [(g, g) for g in rules.DEFAULT_GRADES]
SIZING_CHOICES = [
    ("", _("No proposal")),
    (rules.SIZING_SALES_DAYS, _("Sales × (payment term + days late) / 30")),
    (rules.SIZING_EQUITY, _("Share of net worth")),
    (rules.SIZING_REVENUE, _("Share of revenue")),
]


# --- Credit policy ----------------------------------------------------------------------------

class CreditPolicy(LocalizedNameMixin, StateMachine):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_FORCE = "in_force", pgettext_lazy("state", "In force")
        SUPERSEDED = "superseded", _("Superseded")

    name = models.CharField(_("name"), max_length=200)
    name_en = english_field(max_length=200)
    version = models.PositiveIntegerField(_("version"), unique=True)
    effective_from = models.DateField(_("effective from"))
    status = FSMField(_("status"), default=Status.DRAFT, choices=Status.choices, protected=True, db_index=True)
    notes = models.TextField(_("notes"), blank=True)
    overdue_tolerance_days = models.PositiveIntegerField(
        _("overdue tolerance (days)"), null=True, blank=True,
        help_text=_("Deliveries are held, and decisions warned, when a customer is more days past due than this "
                    "(empty: the portal's default)."))
    created_by = user_field(_("created by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    activated_by = user_field(_("activated by"), optional=True)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)

    objects = StaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("credit policy")
        verbose_name_plural = _("credit policies")
        ordering = ["-effective_from", "-version"]
        permissions = [("approve_creditpolicy", "Can put a credit policy in force (four-eyes)")]

    def __str__(self):
        return f"{self.localized_name} v{self.version}"

    activate = state_change(status, Status.DRAFT, Status.IN_FORCE)
    supersede = state_change(status, Status.IN_FORCE, Status.SUPERSEDED)


class PolicyGradeRule(models.Model):
    """What a policy allows for one grade; each rule is hard (blocks) or soft (needs an exception)."""

    policy = models.ForeignKey(CreditPolicy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="rules")
    grade = models.CharField(_("grade"), max_length=4, choices=GRADE_CHOICES)
    eligible = models.BooleanField(_("eligible for credit"), default=True)
    max_limit = AmountField(_("maximum limit (reporting currency)"), null=True, blank=True)
    max_limit_hard = models.BooleanField(_("maximum limit is a hard rule"), default=True)
    max_equity_share = models.DecimalField(_("maximum limit as a share of equity"), max_digits=6, decimal_places=4,
                                           null=True, blank=True)
    max_revenue_share = models.DecimalField(_("maximum limit as a share of revenue"), max_digits=6,
                                            decimal_places=4, null=True, blank=True)
    share_hard = models.BooleanField(_("share caps are hard rules"), default=False)
    max_term_months = models.PositiveIntegerField(_("maximum term (months)"), null=True, blank=True)
    term_hard = models.BooleanField(_("maximum term is a hard rule"), default=False)
    min_coverage = models.DecimalField(_("required collateral/guarantee coverage"), max_digits=6, decimal_places=4,
                                       null=True, blank=True, help_text=_("A fraction of the amount: 0.5 is half of it."))
    coverage_hard = models.BooleanField(_("coverage is a hard rule"), default=False)
    pricing_spread_bps = models.PositiveIntegerField(_("pricing spread (basis points)"), default=0)
    review_months = models.PositiveIntegerField(_("review frequency (months)"), default=12)
    # Trade credit (issue 23): payment terms, deposit and limit sizing by grade
    max_payment_term_days = models.PositiveIntegerField(_("longest payment term (days)"), null=True, blank=True)
    payment_term_hard = models.BooleanField(_("payment term is a hard rule"), default=False)
    deposit_percent = models.DecimalField(_("deposit or prepayment required (%)"), max_digits=5, decimal_places=2,
                                          null=True, blank=True,
                                          help_text=_("A percentage of each order paid in advance: 30 is 30%."))
    sizing_method = models.CharField(_("limit sizing method"), max_length=16, blank=True,
                                     choices=SIZING_CHOICES, default="")
    sizing_share = models.DecimalField(_("sizing share"), max_digits=6, decimal_places=4, null=True, blank=True,
                                       help_text=_("For sizing by a share of net worth or revenue: a fraction, "
                                                   "0.2 is a fifth."))

    class Meta:
        verbose_name = _("policy rule")
        verbose_name_plural = _("policy rules")
        ordering = ["policy_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "grade"], name="credit_policy_rule_unique_grade"),
            models.CheckConstraint(condition=models.Q(deposit_percent__gte=0) & models.Q(deposit_percent__lte=100),
                                   name="credit_policy_rule_deposit_percent"),
        ]

    def __str__(self):
        return f"{self.policy_id} {self.grade}"

    def as_rule(self) -> rules.GradeRule:
        return rules.GradeRule(
            grade=self.grade, eligible=self.eligible, max_limit=self.max_limit, max_limit_hard=self.max_limit_hard,
            max_equity_share=self.max_equity_share, max_revenue_share=self.max_revenue_share,
            share_hard=self.share_hard, max_term_months=self.max_term_months, term_hard=self.term_hard,
            min_coverage=self.min_coverage, coverage_hard=self.coverage_hard,
            max_payment_term_days=self.max_payment_term_days, payment_term_hard=self.payment_term_hard,
            deposit_percent=self.deposit_percent, sizing_method=self.sizing_method, sizing_share=self.sizing_share,
        )
