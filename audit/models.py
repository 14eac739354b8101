"""The append-only, hash-chained audit trail.

Events keep ids and names, not foreign keys: a cascading delete elsewhere would otherwise become the
very UPDATE/DELETE this table refuses. The model and its querysets refuse changes; on PostgreSQL triggers
refuse UPDATE and DELETE (per row) and TRUNCATE (per statement; the test suite's flush alone sets
``creditportal.allow_truncate``). Every way of appending (``save``/``create``, ``bulk_create``) links each
new event into the hash chain of ``audit.chain`` under the chain's lock, so no writer can skip it.
"""
from django.db import connections, models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from creditportal.core.jsonfields import SnapshotJSONField

from . import chain


class AuditTrailIsAppendOnly(Exception):
    pass


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditTrailIsAppendOnly("audit events cannot be changed")

    def delete(self):
        raise AuditTrailIsAppendOnly("audit events cannot be deleted")

    def bulk_update(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly("audit events cannot be changed")

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            _link(objs, self.db)
            return super().bulk_create(objs, *args, **kwargs)

    def for_object(self, object_type: str, object_id):
        return self.filter(object_type=object_type, object_id=str(object_id))


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("Create")
        UPDATE = "update", _("Update")
        DELETE = "delete", _("Delete")
        TRANSITION = "transition", _("Transition")
        DOWNLOAD = "download", _("Download")
        UPLOAD = "upload", _("Upload")
        LOGIN = "login", _("Login")
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOGOUT = "logout", _("Logout")
        EXPORT = "export", _("Export")
        RUN = "run", pgettext_lazy("audit action", "Run")

    occurred_at = models.DateTimeField(_("time"), default=timezone.now, editable=False, db_index=True)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True, db_index=True)
    actor_username = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices, db_index=True)
    verb = models.CharField(_("what"), max_length=100, blank=True, help_text=_("e.g. the transition's name"))
    object_type = models.CharField(_("object type"), max_length=100, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    before = SnapshotJSONField(_("before"), null=True, blank=True)
    after = SnapshotJSONField(_("after"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    chain_hash = models.CharField(_("chain hash"), max_length=64, blank=True, editable=False,
                                  help_text=_("SHA-256 of this event and the previous event's chain hash."))

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        permissions = [("export_auditevent", "Can export the audit trail")]
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.object_type} {self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditTrailIsAppendOnly("audit events cannot be changed")
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False):
            _link([self], using)
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly("audit events cannot be deleted")


def _link(events, using) -> None:
    """Give each new event its chain hash, after the last event stored, holding the chain's lock until the
    transaction ends (so concurrent writers append one transaction after the other and never fork it)."""
    if not events:
        return
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [chain.LOCK_KEY])
    previous = (AuditEvent.objects.using(using).order_by("-id").values_list("chain_hash", flat=True).first()
                or chain.GENESIS)
    for event in events:
        if event.occurred_at is None:
            event.occurred_at = timezone.now()
        event.chain_hash = chain.link(previous, chain.values_of(event))
        previous = event.chain_hash


class ChainCheck(models.Model):
    """One check of the whole hash chain, from the first event (nightly, or asked for by an auditor): the
    auditor's page then verifies, on each visit, only the events appended after it (``selectors.chain_status``)
    instead of the whole trail, which grows without end."""

    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"))
    checked = models.PositiveBigIntegerField(_("events checked"))
    last_event_id = models.BigIntegerField(_("last event"), null=True, blank=True)
    last_hash = models.CharField(_("last event's chain hash"), max_length=64)
    breaks = models.JSONField(_("breaks"), default=list, blank=True,
                              help_text=_("[event id, previous event id] where the chain breaks, the first 100."))
    more_breaks = models.BooleanField(_("more breaks"), default=False)
    requested_by = models.CharField(_("requested by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("audit chain check")
        verbose_name_plural = _("audit chain checks")
        ordering = ["-id"]
        default_permissions = ()

    def __str__(self):
        return f"{self.finished_at:%Y-%m-%d %H:%M} {self.checked}"

    @property
    def intact(self) -> bool:
        return not self.breaks
