"""Receivables and collections: invoices, payments and their allocation, claim payouts, write-offs,
dunning policies and actions, collection cases with activities and promises to pay.

Amounts are ``Decimal`` (``AmountField``) with a currency. An invoice keeps three running totals that
services maintain under a row lock: ``paid_amount`` (allocations), ``written_off_amount`` (approved
write-offs); outstanding = amount − paid − written off. Scoping: every model's ``visible_to(user)``
reaches the customer, so a relationship manager sees their own portfolio only.
"""
from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition

from creditportal.core.money import AmountField, CurrencyField
from creditportal.core.querysets import CustomerScopedQuerySet, StaffQuerySet
from proposals.models import ConfigChange

ZERO = Decimal("0")


# --- Receivables ------------------------------------------------------------------------------

class InvoiceStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("invoice status", "Open")
    PAID = "paid", _("Paid")
    WRITTEN_OFF = "written_off", _("Written off")


class InvoiceQuerySet(CustomerScopedQuerySet):
    def open(self):
        return self.filter(status=InvoiceStatus.OPEN)

    def with_outstanding(self):
        return self.annotate(open_amount=F("amount") - F("paid_amount") - F("written_off_amount"))


class Invoice(ConcurrentTransitionMixin, models.Model):
    number = models.CharField(_("invoice number"), max_length=64, unique=True)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="invoices")
    facility = models.ForeignKey("credit.Facility", verbose_name=_("facility"), on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="invoices")
    issue_date = models.DateField(_("issue date"))
    due_date = models.DateField(_("due date"), db_index=True)
    amount = AmountField(_("amount"))
    currency = CurrencyField()
    paid_amount = AmountField(_("paid"), default=ZERO)
    written_off_amount = AmountField(_("written off"), default=ZERO)
    paid_on = models.DateField(_("paid in full on"), null=True, blank=True)
    status = FSMField(_("status"), default=InvoiceStatus.OPEN, choices=InvoiceStatus.choices, protected=True,
                      db_index=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["customer", "status", "due_date"]),
            models.Index(fields=["status", "due_date"]),
            # aging and dashboard: the open invoices in customer order with every column they read
            # (index-only scan, no sort before the GROUP BY customer)
            models.Index(fields=["customer", "currency"], include=["due_date", "amount", "paid_amount",
                                                                   "written_off_amount"],
                         condition=Q(status="open"), name="invoice_open_by_customer"),
            # aging: invoiced sales of the DSO window (the last 90 days of issue dates)
            models.Index(fields=["issue_date"], include=["customer", "amount", "currency"],
                         name="invoice_issue_date_sales"),
            # the list's order (API): a page is an index walk, not a sort of every invoice of the first due dates
            models.Index(fields=["due_date", "id"], name="collection_inv_due_id_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_amount_positive"),
            models.CheckConstraint(condition=Q(due_date__gte=F("issue_date")), name="invoice_due_after_issue"),
            models.CheckConstraint(
                condition=Q(paid_amount__gte=0) & Q(written_off_amount__gte=0)
                & Q(amount__gte=F("paid_amount") + F("written_off_amount")),
                name="invoice_not_over_settled",
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid_amount - self.written_off_amount

    @transition(field=status, source=InvoiceStatus.OPEN, target=InvoiceStatus.PAID)
    def settle(self):
        """Paid in full (set by allocation)."""

    @transition(field=status, source=InvoiceStatus.OPEN, target=InvoiceStatus.WRITTEN_OFF)
    def write_off(self):
        """The rest was written off by an approved write-off."""


class PaymentQuerySet(CustomerScopedQuerySet):
    pass


class Payment(models.Model):
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="payments")
    received_on = models.DateField(_("received on"), db_index=True)
    amount = AmountField(_("amount"))
    currency = CurrencyField()
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    case = models.ForeignKey("CollectionCase", verbose_name=_("collection case"), on_delete=models.PROTECT,
                             null=True, blank=True, related_name="payments")
    is_recovery = models.BooleanField(_("recovery after write-off"), default=False)
    allocated_amount = AmountField(_("allocated"), default=ZERO)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("posted by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_on", "-id"]
        indexes = [models.Index(fields=["customer", "received_on"]),
                   models.Index(fields=["-received_on", "-id"], name="collection_pay_received_idx")]  # list order
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(allocated_amount__lte=F("amount")), name="payment_not_over_allocated"),
        ]

    def __str__(self):
        return f"{self.received_on} {self.currency} {self.amount}"

    @property
    def unallocated(self) -> Decimal:
        return self.amount - self.allocated_amount


class AllocationQuerySet(CustomerScopedQuerySet):
    customer_path = "invoice__customer"


class PaymentAllocation(models.Model):
    payment = models.ForeignKey(Payment, verbose_name=_("payment"), on_delete=models.PROTECT,
                                related_name="allocations")
    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT,
                                related_name="allocations")
    amount = AmountField(_("amount"))

    objects = AllocationQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        constraints = [
            models.UniqueConstraint(fields=["payment", "invoice"], name="allocation_once_per_invoice"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
        ]

    def __str__(self):
        return f"{self.payment_id} → {self.invoice_id}: {self.amount}"


class ClaimPayoutKind(models.TextChoices):
    CLAIM = "claim", _("Claim payout")
    CREDIT_NOTE = "credit_note", _("Credit note")


class ClaimPayout(models.Model):
    """Money paid or credited back to the customer for claims (索赔支出): the net collection rate subtracts it.

    It does not settle an invoice (it is money going out, not coming in). When it names an invoice, it
    counts in the behaviour window of that invoice's due date; otherwise in that of its own date.
    """

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="claim_payouts")
    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, null=True, blank=True,
                                related_name="claim_payouts")
    kind = models.CharField(_("kind"), max_length=20, choices=ClaimPayoutKind.choices, default=ClaimPayoutKind.CLAIM)
    paid_on = models.DateField(_("date"))
    amount = AmountField(_("amount"))
    currency = CurrencyField()
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("claim payout")
        verbose_name_plural = _("claim payouts")
        ordering = ["-paid_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="claim_amount_positive")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.currency} {self.amount}"


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


class DunningPolicy(models.Model):
    """The dunning rules a risk admin configures; one policy is active at a time."""

    name = models.CharField(_("name"), max_length=100, unique=True)
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
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("updated by"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

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

    def __str__(self):
        return self.name


class DunningLevel(models.Model):
    policy = models.ForeignKey(DunningPolicy, verbose_name=_("policy"), on_delete=models.CASCADE,
                               related_name="levels")
    order = models.PositiveSmallIntegerField(pgettext_lazy("dunning level", "order"))
    name = models.CharField(_("name"), max_length=100)
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
        return f"{self.order}. {self.name}"


DUNNING_POLICY_FIELDS = ["name", "is_active", "small_amount_tolerance", "late_fee_daily_rate", "case_open_order",
                         "letter_language"]
DUNNING_LEVEL_FIELDS = ["order", "name", "days_past_due", "action"]


class DunningChangeKind(models.TextChoices):
    POLICY_CREATE = "policy_create", pgettext_lazy("dunning change", "new policy")
    POLICY_UPDATE = "policy_update", pgettext_lazy("dunning change", "change of the policy")
    LEVEL_CREATE = "level_create", pgettext_lazy("dunning change", "new level")
    LEVEL_UPDATE = "level_update", pgettext_lazy("dunning change", "change of a level")
    LEVEL_DELETE = "level_delete", pgettext_lazy("dunning change", "removal of a level")


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

    def __str__(self):
        return _("Dunning policy change %(id)s") % {"id": self.pk}

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

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="dunning_actions")
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
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="collection_cases")
    invoices = models.ManyToManyField(Invoice, verbose_name=_("invoices"), related_name="cases", blank=True)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("collector"), on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="collection_cases")
    state = FSMField(_("state"), default=CaseState.OPEN, choices=CaseState.choices, protected=True, db_index=True)
    escalation_channel = models.CharField(_("escalation"), max_length=20, choices=EscalationChannel.choices,
                                          blank=True)
    opened_on = models.DateField(_("opened on"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("opened by"), on_delete=models.PROTECT,
                                  related_name="+")
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

    @transition(field=state, source=CaseState.OPEN, target=CaseState.IN_PROGRESS)
    def start(self):
        pass

    @transition(field=state, source=[CaseState.OPEN, CaseState.IN_PROGRESS, CaseState.PROMISE_TO_PAY],
                target=CaseState.PROMISE_TO_PAY)
    def promise(self):
        pass

    @transition(field=state, source=CaseState.PROMISE_TO_PAY, target=CaseState.IN_PROGRESS)
    def promise_broken(self):
        pass

    @transition(field=state, source=[CaseState.OPEN, CaseState.IN_PROGRESS, CaseState.PROMISE_TO_PAY,
                                     CaseState.ESCALATED], target=CaseState.ESCALATED)
    def escalate(self):
        pass

    @transition(field=state, source=[CaseState.OPEN, CaseState.IN_PROGRESS, CaseState.PROMISE_TO_PAY,
                                     CaseState.ESCALATED], target=CaseState.PAID)
    def mark_paid(self):
        pass

    @transition(field=state, source=[CaseState.OPEN, CaseState.IN_PROGRESS, CaseState.PROMISE_TO_PAY,
                                     CaseState.ESCALATED, CaseState.PAID], target=CaseState.CLOSED)
    def close(self):
        pass

    @transition(field=state, source=[CaseState.IN_PROGRESS, CaseState.PROMISE_TO_PAY, CaseState.ESCALATED],
                target=CaseState.WRITTEN_OFF)
    def write_off(self):
        pass


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
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT,
                                   related_name="+")
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
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT,
                                   related_name="+")
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
        return f"{self.promised_date} {self.currency} {self.amount}"

    @transition(field=state, source=PromiseState.PENDING, target=PromiseState.KEPT)
    def keep(self):
        pass

    @transition(field=state, source=PromiseState.PENDING, target=PromiseState.BROKEN)
    def break_(self):
        pass

    @transition(field=state, source=PromiseState.PENDING, target=PromiseState.CANCELLED)
    def cancel(self):
        pass


class WriteOffState(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("write-off state", "Proposed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class WriteOff(ConcurrentTransitionMixin, models.Model):
    case = models.ForeignKey(CollectionCase, verbose_name=_("case"), on_delete=models.PROTECT,
                             related_name="write_offs")
    amount = AmountField(_("amount"))
    currency = CurrencyField()
    reason = models.TextField(_("reason"))
    state = FSMField(_("state"), default=WriteOffState.PROPOSED, choices=WriteOffState.choices, protected=True,
                     db_index=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("proposed by"), on_delete=models.PROTECT,
                                    related_name="+")
    proposed_on = models.DateField(_("proposed on"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("write-off")
        verbose_name_plural = _("write-offs")
        ordering = ["-proposed_on", "-id"]
        permissions = [
            ("propose_writeoff", "Can propose a write-off"),
            ("approve_writeoff", "Can approve a write-off"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="writeoff_amount_positive"),
            models.UniqueConstraint(fields=["case"], condition=Q(state="proposed"),
                                    name="one_pending_writeoff_per_case"),
        ]

    def __str__(self):
        return _("Write-off %(id)s") % {"id": self.pk}

    @transition(field=state, source=WriteOffState.PROPOSED, target=WriteOffState.APPROVED)
    def approve(self):
        pass

    @transition(field=state, source=WriteOffState.PROPOSED, target=WriteOffState.REJECTED)
    def reject(self):
        pass


class WriteOffItem(models.Model):
    write_off = models.ForeignKey(WriteOff, verbose_name=_("write-off"), on_delete=models.CASCADE,
                                  related_name="items")
    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT,
                                related_name="write_off_items")
    amount = AmountField(_("amount"))

    class Meta:
        verbose_name = _("write-off item")
        verbose_name_plural = _("write-off items")
        constraints = [models.UniqueConstraint(fields=["write_off", "invoice"], name="writeoff_item_once")]
