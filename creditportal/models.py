"""Shared data: the FX rate table, the permission versions of ``creditportal.core.permcache``, the task outbox
and the idempotency keys of the API."""
from django.conf import settings
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


class OutboxMessage(models.Model):
    """A Celery task to send, written in the transaction of the write that needs it (``core.tasks.enqueue``).

    After the commit the process tries to send it at once; when the broker is unreachable the row stays unsent
    and the relay (``core.tasks.relay_outbox``: beat every few seconds, the worker at start-up, the
    ``relay_outbox`` command) sends it later. A broker outage delays the task; it never loses it.
    """

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"))
    # When the relay may (next) send it: a little after creation (the writing process sends it itself), later
    # after each failed attempt, and a lease while one relay sends it.
    next_attempt_at = models.DateTimeField(_("next attempt"))
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True, default="")
    # The id of the request (or task) that wrote it: sent in the task's headers, so the task logs under it.
    request_id = models.CharField(_("request id"), max_length=128, blank=True, default="")

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [models.Index(fields=["next_attempt_at"], condition=models.Q(sent_at__isnull=True),
                                name="outbox_unsent_due"),
                   models.Index(fields=["sent_at"], condition=models.Q(sent_at__isnull=False), name="outbox_sent")]

    def __str__(self):
        return f"{self.task} #{self.pk}"


class IdempotencyKey(models.Model):
    """The first answer to a money-moving API request sent with an ``Idempotency-Key`` header
    (``core.idempotency``): the same user, endpoint and key with the same body get it again instead of a
    second write. Stored in the transaction of the write itself; kept until ``expires_at``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="+")
    endpoint = models.CharField(_("endpoint"), max_length=300)
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status"))
    response = models.JSONField(_("response"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"), db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["user", "endpoint", "key"], name="idempotency_key_unique")]

    def __str__(self):
        return f"{self.user_id} {self.endpoint} {self.key}"


class ListSetting(models.Model):
    """A user's own settings of one list page (``creditportal.core.listsettings``): a saved filter (``kind``
    ``filter``: ``name`` and the query string in ``value``) or the hidden columns (``kind`` ``columns``: the
    hidden column keys, comma-separated, in ``value``). ``list_key`` is the list page's URL name."""

    class Kind(models.TextChoices):
        FILTER = "filter", _("Saved filter")
        COLUMNS = "columns", _("Hidden columns")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="+")
    list_key = models.CharField(_("list"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=80, blank=True)
    value = models.TextField(_("value"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("list setting")
        verbose_name_plural = _("list settings")
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["user", "list_key", "kind", "name"],
                                               name="list_setting_unique")]
        indexes = [models.Index(fields=["user", "list_key"])]

    def __str__(self):
        return f"{self.user_id} {self.list_key} {self.kind} {self.name}"
