"""Writing the audit trail. Services call ``audit_record`` inside their own transaction."""
from django.db import models

from creditportal.core import request_context
from creditportal.core.canonical import jsonable

from .models import AuditEvent


def object_type_of(obj) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def snapshot(instance, fields=None, exclude=("password",)) -> dict:
    """The concrete field values of a model instance as JSON-safe data (FKs as ids)."""
    data = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name in exclude:
            continue
        value = getattr(instance, field.attname)
        if isinstance(field, models.FileField):
            value = value.name if value else None
        data[field.name] = value
    return jsonable(data)


def audit_record(*, actor, action, obj=None, verb="", object_type="", object_id="", object_repr="",
                 before=None, after=None) -> AuditEvent:
    """Append one event: who (``actor``, may be the system user), what, on which object, before/after."""
    if obj is not None:
        object_type = object_type or object_type_of(obj)
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:255]
    return AuditEvent.objects.create(
        actor_id=getattr(actor, "pk", None),
        actor_username=getattr(actor, "username", "") or "",
        action=action,
        verb=verb[:100],
        object_type=object_type,
        object_id=str(object_id),
        object_repr=object_repr[:255],
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        ip_address=request_context.client_ip(),
    )


def audit_record_many(*, actor, action, objs, verb="", after=None) -> list[AuditEvent]:
    """Append one event per object in one INSERT (set-wise services); ``after(obj)`` gives each event's data."""
    actor_id, username, ip = getattr(actor, "pk", None), getattr(actor, "username", "") or "", request_context.client_ip()
    return AuditEvent.objects.bulk_create([
        AuditEvent(actor_id=actor_id, actor_username=username, action=action, verb=verb[:100],
                   object_type=object_type_of(obj), object_id=str(obj.pk), object_repr=str(obj)[:255],
                   after=jsonable(after(obj)) if after is not None else None, ip_address=ip)
        for obj in objs
    ])


def audit_changes(*, actor, obj, before: dict, verb="") -> AuditEvent | None:
    """Record an update with only the fields that changed; nothing when nothing changed."""
    after = snapshot(obj)
    changed = {k for k in after if before.get(k) != after.get(k)}
    if not changed:
        return None
    return audit_record(
        actor=actor, action=AuditEvent.Action.UPDATE, obj=obj, verb=verb,
        before={k: before.get(k) for k in sorted(changed)}, after={k: after[k] for k in sorted(changed)},
    )
