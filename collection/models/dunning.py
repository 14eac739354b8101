"""Dunning: policies, levels, their four-eyes changes and the dunning actions."""
from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from creditportal.core.modelbase import StaffConfiguration
from creditportal.core.money import AmountField, CurrencyField
from creditportal.core.naming import LocalizedNameMixin, english_field
from creditportal.core.querysets import CustomerScopedQuerySet
from customers.models import customer_field
from proposals.models import ConfigChange


# --- Dunning ----------------------------------------------------------------------------------

class DunningActionKind(models.TextChoices):
    REMINDER_EMAIL = "reminder_email", _("Reminder e-mail")
    PHONE_CALL = "phone_call", _("Phone call task")
    FORMAL_LETTER = "formal_letter", _("Formal letter (PDF)")
    FINAL_NOTICE = "final_notice", _("Final notice")
    SUSPEND_DELIVERIES = "suspend_deliveries", _("Suspend deliveries")
    AGENCY = "agency", _("Hand to a collection agency")
    ARBITRATION = "arbitration", _("Arbitration")
    LITIGATION = "litigation", _("Litigation")


LETTER_KINDS = {DunningActionKind.REMINDER_EMAIL, DunningActionKind.FORMAL_LETTER, DunningActionKind.FINAL_NOTICE}
ESCALATION_KINDS = {DunningActionKind.AGENCY, DunningActionKind.ARBITRATION, DunningActionKind.LITIGATION}


class Language(models.TextChoices):
    ZH = "zh-hans", _("Chinese letter")
    EN = "en", _("English letter")


class DunningPolicy(LocalizedNameMixin, StaffConfiguration):
    """The dunning rules a risk admin configures; one policy is active at a time."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    name_en = english_field(max_length=100)
    is_active = models.BooleanField(_("active"), default=False)
    small_amount_tolerance = AmountField(
        _("small-amount tolerance"), default=Decimal("100.00"),
        help_text=_("A customer whose overdue total (reporting currency) is at or below this is not dunned."))
    late_fee_daily_rate = models.DecimalField(
        _("late fee daily rate"), max_digits=9, decimal_places=7, default=Decimal("0.0005"),
        help_text=_("Penalty interest per calendar day past due, e.g. 0.0005 = 0.05% a day."))
    case_open_order = models.PositiveSmallIntegerField(
        _("open a case at level"), null=True, blank=True,
        help_text=_("Reaching the level with this order opens a collection case (empty: never automatically)."))
    letter_language = models.CharField(_("letter language"), max_length=10, choices=Language.choices,
                                       default=Language.ZH)

    class Meta:
        verbose_name = _("dunning policy")
        verbose_name_plural = _("dunning policies")
        ordering = ["-is_active", "name"]
        permissions = [("run_dunning", "Can run the dunning job")]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="one_active_dunning_policy"),
            models.CheckConstraint(condition=Q(late_fee_daily_rate__gte=0) & Q(late_fee_daily_rate__lt=1),
                                   name="dunning_rate_range"),
        ]



class DunningLevel(LocalizedNameMixin, models.Model):
    policy = models.ForeignKey(DunningPolicy, verbose_name=_("policy"), on_delete=models.CASCADE,
                               related_name="levels")
    order = models.PositiveSmallIntegerField(pgettext_lazy("dunning level", "order"))
    name = models.CharField(_("name"), max_length=100)
    name_en = english_field(max_length=100)
    days_past_due = models.IntegerField(
        _("days past due"), help_text=_("Reached when the oldest open invoice is this many days past due; "
                                        "negative values remind before the due date."))
    action = models.CharField(_("action"), max_length=30, choices=DunningActionKind.choices)

    class Meta:
        verbose_name = _("dunning level")
        verbose_name_plural = _("dunning levels")
        ordering = ["policy", "order"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "order"], name="dunning_level_order_unique"),
            models.UniqueConstraint(fields=["policy", "days_past_due"], name="dunning_level_days_unique"),
        ]

    def __str__(self):
        return f"{self.order}. {self.localized_name}"


DUNNING_POLICY_FIELDS = ["name", "name_en", "is_active", "small_amount_tolerance", "late_fee_daily_rate", "case_open_order",
                         "letter_language"]
DUNNING_LEVEL_FIELDS = ["order", "name", "name_en", "days_past_due", "action"]


class DunningChangeKind(models.TextChoices):
    POLICY_CREATE = "policy_create", pgettext_lazy("dunning change", "New policy")
    POLICY_UPDATE = "policy_update", pgettext_lazy("dunning change", "Change of the policy")
    LEVEL_CREATE = "level_create", pgettext_lazy("dunning change", "New level")
    LEVEL_UPDATE = "level_update", pgettext_lazy("dunning change", "Change of a level")
    LEVEL_DELETE = "level_delete", pgettext_lazy("dunning change", "Removal of a level")


class DunningPolicyChange(ConfigChange):
    """A proposed change of the dunning configuration (four-eyes, ``proposals``): a new policy, a change of one
    (activating it included), a new, changed or removed level. One risk administrator proposes it, another
    approves it, and only then does it take effect. One open proposal per policy (``key``: ``policy-<id>``, or
    ``new-<name>`` for a new policy)."""

    change_slug = "collection.dunning"

    kind = models.CharField(_("kind"), max_length=20, choices=DunningChangeKind.choices)
    policy = models.ForeignKey(DunningPolicy, verbose_name=_("policy"), on_delete=models.PROTECT, null=True,
                               blank=True, related_name="changes")
    level = models.ForeignKey(DunningLevel, verbose_name=_("level"), on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")

    class Meta(ConfigChange.Meta):
        verbose_name = _("dunning policy change")
        verbose_name_plural = _("dunning policy changes")

    @property
    def is_level_change(self) -> bool:
        return self.kind.startswith("level_")


class DunningActionQuerySet(CustomerScopedQuerySet):
    def open(self):
        return self.filter(closed_on__isnull=True)


class DunningAction(models.Model):
    """One dunning step for one customer and level (never one per invoice).

    Open actions (``closed_on`` empty) are unique per customer and level; when the customer has nothing
    overdue any more (paid), the open actions are closed and a later delay starts a new cycle.
    """

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Failed")

    customer = customer_field("dunning_actions")
    level = models.ForeignKey(DunningLevel, verbose_name=_("level"), on_delete=models.PROTECT, related_name="actions")
    level_order = models.PositiveSmallIntegerField(_("level order"))
    action = models.CharField(_("action"), max_length=30, choices=DunningActionKind.choices)
    business_date = models.DateField(_("date"))
    max_days_past_due = models.IntegerField(_("days past due"))
    overdue_amount = AmountField(_("overdue amount"))
    currency = CurrencyField()
    invoice_ids = models.JSONField(_("invoices"), default=list)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    outcome_note = models.CharField(_("note"), max_length=300, blank=True)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="dunning_tasks")
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = DunningActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("dunning action")
        verbose_name_plural = _("dunning actions")
        ordering = ["-business_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "level"], condition=Q(closed_on__isnull=True),
                                    name="one_open_dunning_action_per_customer_level"),
        ]

    def __str__(self):
        return f"{self.customer_id} · {self.get_action_display()} ({self.business_date})"
