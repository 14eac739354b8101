from .models import AuditEvent


def events_for(obj_or_type, object_id=None):
    if object_id is None:
        obj = obj_or_type
        return AuditEvent.objects.for_object(f"{obj._meta.app_label}.{obj._meta.model_name}", obj.pk)
    return AuditEvent.objects.for_object(obj_or_type, object_id)


def verify_chain():
    """Recompute the audit trail's hash chain over every stored event (one snapshot, in chunks):
    an ``audit.chain.ChainReport`` saying how many events were checked and where the chain breaks."""
    from . import chain

    rows = (AuditEvent.objects.order_by("id").values("id", "chain_hash", *chain.CHAINED_FIELDS)
            .iterator(chunk_size=2000))
    return chain.verify(rows)
