"""Collection cases, their activities and promises to pay."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField

from creditportal.core.formatting import money
from creditportal.core.modelbase import state_change, user_field
from creditportal.core.money import AmountField, CurrencyField
from creditportal.core.querysets import CustomerScopedQuerySet
from customers.models import customer_field

from .dunning import DunningAction
from .receivables import Invoice


# --- Collection cases -------------------------------------------------------------------------

class CaseState(models.TextChoices):
    OPEN = "open", pgettext_lazy("case state", "Open")
    IN_PROGRESS = "in_progress", _("In progress")
    PROMISE_TO_PAY = "promise_to_pay", _("Promise to pay")
    ESCALATED = "escalated", _("Escalated")
    PAID = "paid", _("Paid")
    CLOSED = "closed", _("Closed")
    WRITTEN_OFF = "written_off", _("Written off")


ACTIVE_CASE_STATES = [CaseState.OPEN, CaseState.IN_PROGRESS, CaseState.PROMISE_TO_PAY, CaseState.ESCALATED]


class EscalationChannel(models.TextChoices):
    AGENCY = "agency", _("Collection agency")
    ARBITRATION = "arbitration", _("Arbitration")
    LITIGATION = "litigation", _("Litigation")


class CaseQuerySet(CustomerScopedQuerySet):
    def active(self):
        return self.filter(state__in=ACTIVE_CASE_STATES)


class CollectionCase(ConcurrentTransitionMixin, models.Model):
    customer = customer_field("collection_cases")
    invoices = models.ManyToManyField(Invoice, verbose_name=_("invoices"), related_name="cases", blank=True)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("collector"), on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="collection_cases")
    state = FSMField(_("state"), default=CaseState.OPEN, choices=CaseState.choices, protected=True, db_index=True)
    escalation_channel = models.CharField(_("escalation"), max_length=20, choices=EscalationChannel.choices,
                                          blank=True)
    opened_on = models.DateField(_("opened on"))
    opened_by = user_field(_("opened by"))
    dunning_action = models.ForeignKey(DunningAction, verbose_name=_("opened by dunning"), on_delete=models.SET_NULL,
                                       null=True, blank=True, related_name="+")
    broken_promises = models.PositiveSmallIntegerField(_("broken promises"), default=0)
    next_action_on = models.DateField(_("next action"), null=True, blank=True, db_index=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("collection case")
        verbose_name_plural = _("collection cases")
        ordering = ["opened_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=Q(state__in=ACTIVE_CASE_STATES),
                                    name="one_active_case_per_customer"),
        ]
        indexes = [models.Index(fields=["assigned_to", "state"])]

    def __str__(self):
        return _("Case %(id)s") % {"id": self.pk}

    start = state_change(state, CaseState.OPEN, CaseState.IN_PROGRESS)
    promise = state_change(state, [CaseState.OPEN, CaseState.IN_PROGRESS, CaseState.PROMISE_TO_PAY],
                           CaseState.PROMISE_TO_PAY)
    promise_broken = state_change(state, CaseState.PROMISE_TO_PAY, CaseState.IN_PROGRESS)
    escalate = state_change(state, [CaseState.OPEN, CaseState.IN_PROGRESS, CaseState.PROMISE_TO_PAY,
                                    CaseState.ESCALATED], CaseState.ESCALATED)
    mark_paid = state_change(state, [CaseState.OPEN, CaseState.IN_PROGRESS, CaseState.PROMISE_TO_PAY,
                                     CaseState.ESCALATED], CaseState.PAID)
    close = state_change(state, [CaseState.OPEN, CaseState.IN_PROGRESS, CaseState.PROMISE_TO_PAY, CaseState.ESCALATED,
                                 CaseState.PAID], CaseState.CLOSED)
    write_off = state_change(state, [CaseState.IN_PROGRESS, CaseState.PROMISE_TO_PAY, CaseState.ESCALATED],
                             CaseState.WRITTEN_OFF)


class ActivityKind(models.TextChoices):
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    EMAIL = "email", _("E-mail")
    LETTER = "letter", pgettext_lazy("activity kind", "Letter")


class CaseChildQuerySet(CustomerScopedQuerySet):
    customer_path = "case__customer"


class CollectionActivity(models.Model):
    case = models.ForeignKey(CollectionCase, verbose_name=_("case"), on_delete=models.CASCADE,
                             related_name="activities")
    kind = models.CharField(_("kind"), max_length=10, choices=ActivityKind.choices)
    occurred_on = models.DateField(_("date"))
    outcome = models.TextField(_("outcome"))
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    next_action_on = models.DateField(_("next action date"), null=True, blank=True)
    created_by = user_field(_("by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("collection activity")
        verbose_name_plural = _("collection activities")
        ordering = ["-occurred_on", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.occurred_on}"


class PromiseState(models.TextChoices):
    PENDING = "pending", _("Pending")
    KEPT = "kept", _("Kept")
    BROKEN = "broken", _("Broken")
    CANCELLED = "cancelled", _("Cancelled")


class PromiseToPay(ConcurrentTransitionMixin, models.Model):
    case = models.ForeignKey(CollectionCase, verbose_name=_("case"), on_delete=models.CASCADE,
                             related_name="promises")
    made_on = models.DateField(_("made on"))
    promised_date = models.DateField(_("promised date"), db_index=True)
    amount = AmountField(_("amount"))
    currency = CurrencyField()
    state = FSMField(_("state"), default=PromiseState.PENDING, choices=PromiseState.choices, protected=True,
                     db_index=True)
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = user_field(_("by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("promise to pay")
        verbose_name_plural = _("promises to pay")
        ordering = ["promised_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="promise_amount_positive"),
            models.CheckConstraint(condition=Q(promised_date__gte=F("made_on")), name="promise_date_not_past"),
        ]

    def __str__(self):
        return f"{self.promised_date} {money(self.amount, self.currency)}"

    keep = state_change(state, PromiseState.PENDING, PromiseState.KEPT)
    break_ = state_change(state, PromiseState.PENDING, PromiseState.BROKEN)
    cancel = state_change(state, PromiseState.PENDING, PromiseState.CANCELLED)
