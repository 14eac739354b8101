"""Order holds (暂停交货): deliveries to a customer held while a cause lasts (issue 23)."""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField

from creditportal.core.modelbase import StateMachine, state_change, user_field
from creditportal.core.querysets import CustomerScopedQuerySet
from customers.models import customer_field


class HoldQuerySet(CustomerScopedQuerySet):
    def active(self):
        return self.filter(status=CustomerHold.Status.HELD)


class CustomerHold(StateMachine):
    """A hold on a customer's deliveries: placed automatically when its days past due pass the credit policy's
    tolerance or a facility is used beyond its limit (``reasons``, with the figures in ``detail``), released
    automatically when every cause has cleared, or by an authorised person with a reason. A person's release
    stands for the causes it released (``override``): only a new cause holds deliveries again, and the release is
    spent once its causes have cleared. One active hold per customer."""

    class Status(models.TextChoices):
        HELD = "held", pgettext_lazy("hold", "Held")
        RELEASED = "released", pgettext_lazy("hold", "Released")

    class ReleaseKind(models.TextChoices):
        AUTOMATIC = "automatic", _("Automatically, the cause cleared")
        MANUAL = "manual", _("By an authorised person")

    customer = customer_field("holds")
    status = FSMField(_("status"), default=Status.HELD, choices=Status.choices, protected=True, db_index=True)
    reasons = models.JSONField(_("reasons"), default=list)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    since = models.DateField(_("held since"), db_index=True)
    placed_at = models.DateTimeField(_("placed"), auto_now_add=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    released_by = user_field(_("released by"), optional=True)
    release_kind = models.CharField(_("released"), max_length=10, choices=ReleaseKind.choices, blank=True)
    release_reason = models.TextField(_("reason for the release"), blank=True)
    override = models.BooleanField(_("release stands for its causes"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = HoldQuerySet.as_manager()

    class Meta:
        verbose_name = _("order hold")
        verbose_name_plural = _("order holds")
        ordering = ["-since", "-id"]
        permissions = [("release_customerhold", "Can release an order hold (with a reason)")]
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=Q(status="held"), name="credit_one_active_hold"),
        ]
        indexes = [models.Index(fields=["-since", "-id"], name="credit_hold_list_idx")]

    def __str__(self):
        return f"#{self.pk} {self.customer_id} {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.HELD

    release = state_change(status, Status.HELD, Status.RELEASED)
