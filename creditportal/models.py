"""Shared data: the FX rate table, and the permission versions of ``creditportal.core.permcache``."""
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


class PermissionVersion(models.Model):
    """The version of a set of permission holders (``creditportal.core.permcache``).

    ``scope`` is ``"roles"`` (any group's permissions) or ``"user:<id>"`` (one user's groups, own
    permissions and flags). ``value`` is replaced by a new random number in the same transaction as each
    change, so a permission set remembered under the old values is never used again once it commits.
    """

    ROLES = "roles"

    scope = models.CharField(_("scope"), max_length=40, primary_key=True)
    value = models.BigIntegerField(_("version"))

    class Meta:
        verbose_name = _("permission version")
        verbose_name_plural = _("permission versions")

    def __str__(self):
        return f"{self.scope} · {self.value}"

    @staticmethod
    def user_scope(user_id) -> str:
        return f"user:{user_id}"


class ThrottleCounter(models.Model):
    """A fixed-window rate-limit counter when no Redis is configured (``creditportal.core.throttle``)."""

    key = models.CharField(_("key"), max_length=120, primary_key=True)
    window_ends = models.DateTimeField(_("window ends"), db_index=True)
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("throttle counter")
        verbose_name_plural = _("throttle counters")

    def __str__(self):
        return f"{self.key} {self.count} until {self.window_ends}"
