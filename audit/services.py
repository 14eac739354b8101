"""Writing the audit trail. Services call ``audit_record`` inside their own transaction."""
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from creditportal.core import access, request_context
from creditportal.core.canonical import jsonable
from creditportal.core.errors import NotAllowed

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


def audited_transition(actor, obj, transition: str, /, *, verb: str = "", **fields):
    """Run the django-fsm ``transition`` on ``obj`` (locked by the caller), set ``fields``, save it and record the
    transition with the object before and after (``verb``: default the transition's name)."""
    before = snapshot(obj)
    getattr(obj, transition)()
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.save()
    audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=obj, verb=verb or transition, before=before,
                 after=snapshot(obj))
    return obj


def audited_update(actor, obj, /, *, verb: str = "", state=snapshot, **fields):
    """Set ``fields`` on ``obj``, save just them and record the update with ``state(obj)`` before and after
    (``state``: default the whole row)."""
    before = state(obj)
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.save(update_fields=list(fields))
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=obj, verb=verb, before=before, after=state(obj))
    return obj


def audited_download(*, actor, obj, permission: str, file, name: str, sha256: str, verb: str = ""):
    """Open ``file`` (a stored file of ``obj``) for download: the actor needs ``permission`` and must see ``obj``
    (``visible_to``: another portfolio's is refused); the download is audited."""
    access.require(actor, permission)
    if not type(obj).objects.visible_to(actor).filter(pk=obj.pk).exists():
        raise NotAllowed(_("This customer is not in your portfolio."))
    with transaction.atomic():
        audit_record(actor=actor, action=AuditEvent.Action.DOWNLOAD, obj=obj, verb=verb,
                     after={"file": name, "sha256": sha256})
    return file.open("rb")


# --- The hash chain's whole check -------------------------------------------------------------

def chain_check_run(*, actor=None) -> "ChainCheck":
    """Check the whole chain from its first event and keep the result (``ChainCheck``): the nightly job (no
    ``actor``: the portal itself) or an auditor's request. The auditor's page then verifies only the events
    appended after it. The events are read in one statement (one snapshot) before the result is written."""
    from . import selectors
    from .models import ChainCheck

    if actor is not None:
        access.require(actor, "audit.view_auditevent")
    started = timezone.now()
    report = selectors.verify_chain()
    with transaction.atomic():
        check = ChainCheck.objects.create(
            started_at=started, finished_at=timezone.now(), checked=report.checked, last_event_id=report.last_id,
            last_hash=report.last_hash, breaks=[list(b) for b in report.breaks], more_breaks=report.more_breaks,
            requested_by=getattr(actor, "username", "") or "")
        audit_record(actor=actor, action=AuditEvent.Action.RUN, obj=check, verb="chain_check",
                     after={"checked": report.checked, "intact": report.intact, "first_break": report.first_break,
                            "last_event_id": report.last_id})
    return check


def chain_check_request(*, actor) -> None:
    """An auditor asks for a whole check now: it runs on the batch queue (``audit.check_chain``) after commit."""
    from creditportal.core.tasks import enqueue

    from . import tasks

    access.require(actor, "audit.view_auditevent")
    with transaction.atomic():
        enqueue(tasks.check_chain, actor.pk)
