"""The aging summary: each customer's aging as of a date, kept up to date by ``services.aging_summary_refresh``.

A copy of what ``selectors.AgingRows`` computes from the open invoices (the definition of truth), so that
the aging page, its API and files and the dashboard read one narrow row per customer instead of grouping
every open invoice on each request. Amounts are in the reporting currency exactly as the live grouping
yields them (the sum of outstanding × rate, not yet rounded: 2 + 10 decimals), so sums over rows equal the
live sums. Readers use it only while ``AgingSummaryState`` says it is complete for today under today's
FX rates (``selectors.aging_summary``); otherwise they compute live.
"""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from creditportal.core.querysets import CustomerScopedQuerySet
from customers.models import Customer


def _amount(label):
    # outstanding (2 decimals) × a rate (10 decimals, ``selectors._common.rates_to_reporting``): exact
    return models.DecimalField(label, max_digits=30, decimal_places=12, null=True, blank=True)


class CustomerAging(models.Model):
    """One customer's aging: the open amounts by bucket (NULL: none, or only currencies without a rate), the
    number of open invoices and the oldest due date, and the invoiced sales of the DSO window (DSO)."""

    customer = models.OneToOneField(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                    primary_key=True, related_name="aging_summary")
    as_of = models.DateField(_("aging date"))
    current = _amount(pgettext_lazy("aging bucket", "current"))
    d1_30 = _amount("1–30")
    d31_60 = _amount("31–60")
    d61_90 = _amount("61–90")
    d91_180 = _amount("91–180")
    d181_360 = _amount("181–360")
    over_360 = _amount("> 360")
    total = _amount(_("total"))
    overdue = _amount(_("overdue"))
    open_count = models.PositiveIntegerField(_("open invoices"), default=0)
    oldest_due = models.DateField(_("oldest due date"), null=True, blank=True)
    sales = _amount(_("sales"))
    refreshed_at = models.DateTimeField(_("refreshed"), auto_now=True)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer aging")
        verbose_name_plural = _("customer aging")
        indexes = [models.Index(fields=["-total"], name="customer_aging_total")]

    def __str__(self):
        return f"{self.customer_id} @ {self.as_of}"


class AgingSummaryState(models.Model):
    """The summary is complete for ``as_of`` under the FX rates whose digest is ``rates_digest`` (one row)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    as_of = models.DateField(_("aging date"))
    rates_digest = models.CharField(_("FX rates digest"), max_length=64)
    missing_rates = models.JSONField(_("currencies without a rate"), default=list)
    refreshed_at = models.DateTimeField(_("refreshed"), auto_now=True)

    class Meta:
        verbose_name = _("aging summary state")
        verbose_name_plural = _("aging summary state")

    def __str__(self):
        return f"aging summary @ {self.as_of}"
