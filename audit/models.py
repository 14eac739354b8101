"""The append-only audit trail.

Events keep ids and names, not foreign keys: a cascading delete elsewhere would otherwise become the
very UPDATE/DELETE this table refuses. The model and its querysets refuse changes; on PostgreSQL a
trigger refuses UPDATE and DELETE too (TRUNCATE stays possible for test flushes).
"""
from django.db import models
from django.utils.translation import gettext_lazy as _

from creditportal.core.jsonfields import SnapshotJSONField


class AuditTrailIsAppendOnly(Exception):
    pass


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditTrailIsAppendOnly("audit events cannot be changed")

    def delete(self):
        raise AuditTrailIsAppendOnly("audit events cannot be deleted")

    def bulk_update(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly("audit events cannot be changed")

    def for_object(self, object_type: str, object_id):
        return self.filter(object_type=object_type, object_id=str(object_id))


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("create")
        UPDATE = "update", _("update")
        DELETE = "delete", _("delete")
        TRANSITION = "transition", _("transition")
        DOWNLOAD = "download", _("download")
        UPLOAD = "upload", _("upload")
        LOGIN = "login", _("login")
        LOGIN_FAILED = "login_failed", _("failed login")
        LOGOUT = "logout", _("logout")
        EXPORT = "export", _("export")
        RUN = "run", _("run")

    occurred_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
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
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly("audit events cannot be deleted")
