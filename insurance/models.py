"""Credit insurance (the sixth C, coverage): the insurer's policies, the buyer limits it grants per customer,
the notifications of overdue invoices sent to it and the claims filed with it.

Policies and the uninsured caps by grade are configuration (four-eyes through ``proposals``: the kinds
``insurance.policy`` and ``insurance.uninsured_caps`` on the shared ``Proposal`` table); buyer limits,
notifications and claims are facts from and to the insurer, recorded by the credit department and audited.
"""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField

from creditportal.core.modelbase import Recorded, StaffConfiguration, StateMachine, state_change, user_field
from creditportal.core.money import AmountField, CurrencyField
from creditportal.core.querysets import CustomerScopedQuerySet
from customers.models import customer_field

GRADES = ["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", "D"]


class InsurancePolicy(StaffConfiguration):
    """A credit insurance policy (e.g. 中国出口信用保险公司 Sinosure's short-term policy): the share of an insured
    loss the insurer pays, the longest credit period it covers, and its deadlines in days past due (notify an
    overdue invoice, file a claim). Created and changed only by an approved proposal (four-eyes)."""

    insurer = models.CharField(_("insurer"), max_length=200)
    policy_number = models.CharField(_("policy number"), max_length=60, unique=True)
    insured_share = models.DecimalField(_("insured share (%)"), max_digits=5, decimal_places=2,
                                        help_text=_("The share of an insured loss the insurer pays, in percent."))
    max_credit_days = models.PositiveIntegerField(_("maximum credit period (days)"))
    notification_days = models.PositiveIntegerField(
        _("notification deadline (days past due)"),
        help_text=_("An overdue invoice must be notified to the insurer within this many days past due."))
    claim_days = models.PositiveIntegerField(_("claim filing deadline (days past due)"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    currency = CurrencyField()
    notes = models.TextField(_("notes"), blank=True)
    updated_by = user_field(_("approved by"), optional=True)

    class Meta:
        verbose_name = _("insurance policy")
        verbose_name_plural = _("insurance policies")
        ordering = ["-valid_to", "policy_number"]
        constraints = [
            models.CheckConstraint(condition=Q(insured_share__gt=0, insured_share__lte=100),
                                   name="insurance_policy_share_range"),
            models.CheckConstraint(condition=Q(valid_to__gte=models.F("valid_from")),
                                   name="insurance_policy_valid_range"),
        ]

    def __str__(self):
        return f"{self.insurer} {self.policy_number}"

    def in_force(self, on_date) -> bool:
        return self.valid_from <= on_date <= self.valid_to


class UninsuredCap(StaffConfiguration):
    """The credit policy's cap on a customer's uninsured exposure for one grade (reporting currency): an
    application whose uninsured exposure after approval exceeds it is a policy exception. No row: no cap.
    Set only by an approved proposal (four-eyes)."""

    grade = models.CharField(_("grade"), max_length=4, unique=True, choices=[(g, g) for g in GRADES])
    max_uninsured = AmountField(_("maximum uninsured exposure (reporting currency)"))
    updated_by = user_field(_("approved by"), optional=True)

    class Meta:
        verbose_name = _("uninsured exposure cap")
        verbose_name_plural = _("uninsured exposure caps")
        ordering = ["id"]

    def __str__(self):
        return f"{self.grade}: {self.max_uninsured}"


class BuyerLimitState(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("buyer limit", "Requested")
    GRANTED = "granted", pgettext_lazy("buyer limit", "Granted")
    REDUCED = "reduced", pgettext_lazy("buyer limit", "Reduced")
    WITHDRAWN = "withdrawn", pgettext_lazy("buyer limit", "Withdrawn")
    EXPIRED = "expired", pgettext_lazy("buyer limit", "Expired")


LIVE_BUYER_LIMIT_STATES = [BuyerLimitState.REQUESTED, BuyerLimitState.GRANTED, BuyerLimitState.REDUCED]
COVERING_STATES = [BuyerLimitState.GRANTED, BuyerLimitState.REDUCED]


class BuyerLimit(StateMachine, Recorded):
    """The credit limit an insurer grants on one customer (the buyer) under a policy: invoices issued while it
    is valid, up to its amount, are insured for the policy's share. Requested by us, then granted, reduced,
    withdrawn by the insurer, or expired."""

    policy = models.ForeignKey(InsurancePolicy, verbose_name=pgettext_lazy("insurance", "policy"), on_delete=models.PROTECT,
                               related_name="buyer_limits")
    customer = customer_field("buyer_limits")
    amount = AmountField(_("amount"), help_text=_("Requested, then the amount the insurer grants."))
    currency = CurrencyField()
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    conditions = models.TextField(_("conditions"), blank=True)
    insurer_reference = models.CharField(_("insurer's reference"), max_length=100, blank=True)
    state = FSMField(_("state"), default=BuyerLimitState.REQUESTED, choices=BuyerLimitState.choices,
                     protected=True, db_index=True)
    decided_on = models.DateField(_("insurer's decision date"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("buyer limit")
        verbose_name_plural = _("buyer limits")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "customer"],
                                    condition=Q(state__in=["requested", "granted", "reduced"]),
                                    name="insurance_one_live_buyer_limit"),
            models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_from__isnull=True)
                                   | Q(valid_to__gte=models.F("valid_from")), name="insurance_buyer_limit_range"),
        ]

    def __str__(self):
        return _("Buyer limit %(id)s") % {"id": self.pk}

    grant = state_change(state, BuyerLimitState.REQUESTED, BuyerLimitState.GRANTED)
    reduce = state_change(state, [BuyerLimitState.GRANTED, BuyerLimitState.REDUCED], BuyerLimitState.REDUCED)
    withdraw = state_change(state, LIVE_BUYER_LIMIT_STATES, BuyerLimitState.WITHDRAWN)
    expire = state_change(state, COVERING_STATES, BuyerLimitState.EXPIRED)


class InsurerNotification(Recorded):
    """An overdue invoice notified to the insurer (报损): it clears the "notify the insurer" alert."""

    policy = models.ForeignKey(InsurancePolicy, verbose_name=pgettext_lazy("insurance", "policy"), on_delete=models.PROTECT,
                               related_name="notifications")
    customer = customer_field("insurer_notifications")
    invoice = models.OneToOneField("collection.Invoice", verbose_name=_("invoice"), on_delete=models.PROTECT,
                                   related_name="insurer_notification")
    notified_on = models.DateField(_("notified on"))
    reference = models.CharField(_("reference"), max_length=100)
    note = models.TextField(_("note"), blank=True)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("insurer notification")
        verbose_name_plural = _("insurer notifications")
        ordering = ["-notified_on", "-id"]

    def __str__(self):
        return _("Notification %(reference)s") % {"reference": self.reference}


class ClaimState(models.TextChoices):
    FILED = "filed", pgettext_lazy("insurance claim", "Filed")
    ACCEPTED = "accepted", pgettext_lazy("insurance claim", "Accepted")
    PAID = "paid", pgettext_lazy("insurance claim", "Paid")
    REJECTED = "rejected", pgettext_lazy("insurance claim", "Rejected")


class InsuranceClaim(StateMachine):
    """A claim filed with the insurer for an insured loss (索赔), before the policy's claim deadline. It links to
    the claim payout recorded in collection and to the write-off of what stays uncollected."""

    policy = models.ForeignKey(InsurancePolicy, verbose_name=pgettext_lazy("insurance", "policy"), on_delete=models.PROTECT,
                               related_name="claims")
    customer = customer_field("insurance_claims")
    invoice = models.ForeignKey("collection.Invoice", verbose_name=_("invoice"), on_delete=models.PROTECT,
                                null=True, blank=True, related_name="insurance_claims")
    filed_on = models.DateField(_("filed on"))
    amount = AmountField(_("amount claimed"))
    currency = CurrencyField()
    reference = models.CharField(_("insurer's reference"), max_length=100, blank=True)
    state = FSMField(_("state"), default=ClaimState.FILED, choices=ClaimState.choices, protected=True, db_index=True)
    paid_amount = AmountField(_("amount paid by the insurer"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    claim_payout = models.ForeignKey("collection.ClaimPayout", verbose_name=_("claim payout"),
                                     on_delete=models.PROTECT, null=True, blank=True, related_name="insurance_claims")
    write_off = models.ForeignKey("collection.WriteOff", verbose_name=_("write-off"), on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="insurance_claims")
    note = models.TextField(_("note"), blank=True)
    created_by = user_field(_("filed by"))
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("insurance claim")
        verbose_name_plural = _("insurance claims")
        ordering = ["-filed_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="insurance_claim_amount_positive")]

    def __str__(self):
        return _("Claim %(id)s") % {"id": self.pk}

    accept = state_change(state, ClaimState.FILED, ClaimState.ACCEPTED)
    pay = state_change(state, [ClaimState.FILED, ClaimState.ACCEPTED], ClaimState.PAID)
    reject = state_change(state, [ClaimState.FILED, ClaimState.ACCEPTED], ClaimState.REJECTED)
