"""Write-offs and their items."""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField

from creditportal.core.modelbase import state_change, user_field
from creditportal.core.money import AmountField, CurrencyField

from .cases import CaseChildQuerySet, CollectionCase
from .receivables import Invoice


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
    proposed_by = user_field(_("proposed by"))
    proposed_on = models.DateField(_("proposed on"))
    decided_by = user_field(_("decided by"), optional=True)
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

    approve = state_change(state, WriteOffState.PROPOSED, WriteOffState.APPROVED)
    reject = state_change(state, WriteOffState.PROPOSED, WriteOffState.REJECTED)


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
