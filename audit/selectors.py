import csv

from .models import AuditEvent

CSV_COLUMNS = ["occurred_at", "actor_username", "action", "verb", "object_type", "object_id", "object_repr",
               "before", "after", "ip_address"]


def events_for(obj_or_type, object_id=None):
    if object_id is None:
        obj = obj_or_type
        return AuditEvent.objects.for_object(f"{obj._meta.app_label}.{obj._meta.model_name}", obj.pk)
    return AuditEvent.objects.for_object(obj_or_type, object_id)


def write_csv(events, stream):
    """Write ``events`` as CSV rows (streamed with ``iterator`` so a long trail uses little memory)."""
    import json

    writer = csv.writer(stream)
    writer.writerow(CSV_COLUMNS)
    for event in events.iterator(chunk_size=2000):
        writer.writerow([
            event.occurred_at.isoformat(), event.actor_username, event.action, event.verb, event.object_type,
            event.object_id, event.object_repr,
            json.dumps(event.before, ensure_ascii=False, sort_keys=True) if event.before is not None else "",
            json.dumps(event.after, ensure_ascii=False, sort_keys=True) if event.after is not None else "",
            event.ip_address or "",
        ])


def verify_chain():
    """Recompute the audit trail's hash chain over every stored event (one snapshot, in chunks):
    an ``audit.chain.ChainReport`` saying how many events were checked and where the chain breaks."""
    from . import chain

    rows = (AuditEvent.objects.order_by("id").values("id", "chain_hash", *chain.CHAINED_FIELDS)
            .iterator(chunk_size=2000))
    return chain.verify(rows)
