"""Shared data: the FX rate table."""
from django.db import models
from django.utils.translation import gettext_lazy as _

from creditportal.core.money import CurrencyField


class FxRate(models.Model):
    """One unit of ``base_currency`` is worth ``rate`` units of ``quote_currency`` from ``valid_on``."""

    valid_on = models.DateField(_("valid on"))
    base_currency = CurrencyField(verbose_name=_("base currency"))
    quote_currency = CurrencyField(verbose_name=_("quote currency"))
    rate = models.DecimalField(_("rate"), max_digits=18, decimal_places=8)

    class Meta:
        verbose_name = _("FX rate")
        verbose_name_plural = _("FX rates")
        constraints = [
            models.UniqueConstraint(fields=["valid_on", "base_currency", "quote_currency"], name="fx_rate_unique_per_day"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="fx_rate_positive"),
        ]
        indexes = [models.Index(fields=["base_currency", "quote_currency", "-valid_on"])]

    def __str__(self):
        return f"{self.base_currency}/{self.quote_currency} {self.rate} @ {self.valid_on}"
