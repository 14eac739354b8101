"""Facilities (open limits) and the orders recorded against them."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField

from creditportal.core.formatting import money
from creditportal.core.modelbase import Recorded, StateMachine, Timestamped, state_change
from creditportal.core.money import AmountField, CurrencyField
from creditportal.core.querysets import CustomerScopedQuerySet
from customers.models import customer_field

from .applications import CreditApplication


# --- Facilities and orders --------------------------------------------------------------------

class Facility(StateMachine, Timestamped):
    """授信额度: an approved limit the customer's orders and invoices draw on."""

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("state", "Active")
        SUSPENDED = "suspended", pgettext_lazy("state", "Suspended")
        EXPIRED = "expired", pgettext_lazy("limit", "Expired")
        CLOSED = "closed", _("Closed")

    customer = customer_field("facilities")
    application = models.ForeignKey(CreditApplication, verbose_name=_("approved by application"),
                                    on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    product = models.CharField(_("product"), max_length=14, choices=CreditApplication.Product.choices,
                               default=CreditApplication.Product.TRADE_CREDIT)
    limit = AmountField(_("limit"))
    currency = CurrencyField()
    start_date = models.DateField(_("start"))
    expiry_date = models.DateField(_("expiry"))
    temporary = models.BooleanField(_("temporary"), default=False)
    status = FSMField(_("status"), default=Status.ACTIVE, choices=Status.choices, protected=True, db_index=True)
    status_reason = models.CharField(_("reason for the status"), max_length=300, blank=True)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["customer_id", "-start_date", "-id"]
        permissions = [("suspend_facility", "Can suspend a facility (suspend deliveries)"),
                       ("resume_facility", "Can lift a facility's suspension"),
                       ("check_facility", "Can run a limit check on a facility")]
        constraints = [
            models.CheckConstraint(condition=models.Q(expiry_date__gte=models.F("start_date")),
                                   name="credit_facility_period_order"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.customer} {money(self.limit, self.currency)}"

    suspend = state_change(status, Status.ACTIVE, Status.SUSPENDED)
    resume = state_change(status, Status.SUSPENDED, Status.ACTIVE)
    expire = state_change(status, [Status.ACTIVE, Status.SUSPENDED], Status.EXPIRED)
    close = state_change(status, [Status.ACTIVE, Status.SUSPENDED, Status.EXPIRED], Status.CLOSED)


class OrderQuerySet(CustomerScopedQuerySet):
    customer_path = "facility__customer"


class Order(Recorded):
    """An order (or drawdown) recorded against a facility: it reserves the limit until released."""

    class Status(models.TextChoices):
        RESERVED = "reserved", _("Reserved")
        RELEASED = "released", _("Released")
        CANCELLED = "cancelled", _("Cancelled")

    facility = models.ForeignKey(Facility, verbose_name=_("facility"), on_delete=models.PROTECT,
                                 related_name="orders")
    reference = models.CharField(_("order reference"), max_length=100)
    amount = AmountField(_("amount"))
    currency = CurrencyField()
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RESERVED,
                              db_index=True)
    payment_term_days = models.PositiveIntegerField(_("payment term (days)"), null=True, blank=True)
    term_exception_reason = models.TextField(_("reason for the longer payment term"), blank=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="credit_order_created_idx")]  # the list's order
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="credit_order_amount_positive"),
            models.UniqueConstraint(fields=["facility", "reference"], name="credit_order_unique_reference"),
        ]

    def __str__(self):
        return f"{self.reference} {money(self.amount, self.currency)}"
