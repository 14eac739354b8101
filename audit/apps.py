from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self):
        from creditportal.core.lists import EXPORT_RECORDER

        from .models import AuditEvent
        from .services import audit_record

        def record_export(*, actor, verb, object_type, object_repr, after):
            audit_record(actor=actor, action=AuditEvent.Action.EXPORT, verb=verb, object_type=object_type,
                         object_repr=object_repr, after=after)

        EXPORT_RECORDER.provide(record_export)
