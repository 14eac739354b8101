from .models import AuditEvent


def events_for(obj_or_type, object_id=None):
    if object_id is None:
        obj = obj_or_type
        return AuditEvent.objects.for_object(f"{obj._meta.app_label}.{obj._meta.model_name}", obj.pk)
    return AuditEvent.objects.for_object(obj_or_type, object_id)
