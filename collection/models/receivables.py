"""Receivables: invoices, payments, their allocation, claim payouts."""
from __future__ import annotations

from decimal import Decimal

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

from .. import rules


ZERO = Decimal("0")


# --- Receivables ------------------------------------------------------------------------------

class InvoiceStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("invoice status", "Open")
    PAID = "paid", _("Paid")
    WRITTEN_OFF = "written_off", _("Written off")


def outstanding_expression(prefix: str = ""):
    """An invoice's outstanding amount as a database expression (``Invoice.outstanding`` in SQL): amount less
    what was paid and what was written off; ``prefix`` reaches it through a relation (``"invoice__"``)."""
    return F(f"{prefix}amount") - F(f"{prefix}paid_amount") - F(f"{prefix}written_off_amount")


class InvoiceQuerySet(CustomerScopedQuerySet):
    def open(self):
        return self.filter(status=InvoiceStatus.OPEN)

    def with_outstanding(self):
        return self.annotate(open_amount=outstanding_expression())


class Invoice(ConcurrentTransitionMixin, models.Model):
    number = models.CharField(_("invoice number"), max_length=64, unique=True)
    customer = customer_field("invoices")
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
    created_by = user_field(_("created by"))
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

    @property
    def payment_term_days(self) -> int:
        """The term the invoice was issued on: days from issue to due date (``rules.payment_term_days``)."""
        return rules.payment_term_days(self.issue_date, self.due_date)

    settle = state_change(status, InvoiceStatus.OPEN, InvoiceStatus.PAID, doc="Paid in full (set by allocation).")
    write_off = state_change(status, InvoiceStatus.OPEN, InvoiceStatus.WRITTEN_OFF,
                             doc="The rest was written off by an approved write-off.")


class PaymentQuerySet(CustomerScopedQuerySet):
    pass


class Payment(models.Model):
    customer = customer_field("payments")
    received_on = models.DateField(_("received on"), db_index=True)
    amount = AmountField(_("amount"))
    currency = CurrencyField()
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    case = models.ForeignKey("CollectionCase", verbose_name=_("collection case"), on_delete=models.PROTECT,
                             null=True, blank=True, related_name="payments")
    is_recovery = models.BooleanField(_("recovery after write-off"), default=False)
    allocated_amount = AmountField(_("allocated"), default=ZERO)
    created_by = user_field(_("posted by"))
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
        return f"{self.received_on} {money(self.amount, self.currency)}"

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

    customer = customer_field("claim_payouts")
    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, null=True, blank=True,
                                related_name="claim_payouts")
    kind = models.CharField(_("kind"), max_length=20, choices=ClaimPayoutKind.choices, default=ClaimPayoutKind.CLAIM)
    paid_on = models.DateField(_("date"))
    amount = AmountField(_("amount"))
    currency = CurrencyField()
    reason = models.CharField(_("reason"), max_length=200)
    created_by = user_field(_("created by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("claim payout")
        verbose_name_plural = _("claim payouts")
        ordering = ["-paid_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="claim_amount_positive")]

    def __str__(self):
        return f"{self.get_kind_display()} {money(self.amount, self.currency)}"
