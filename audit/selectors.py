from dataclasses import dataclass

from . import chain
from .models import AuditEvent, ChainCheck


def events_for(obj_or_type, object_id=None):
    if object_id is None:
        obj = obj_or_type
        return AuditEvent.objects.for_object(f"{obj._meta.app_label}.{obj._meta.model_name}", obj.pk)
    return AuditEvent.objects.for_object(obj_or_type, object_id)


def _chain_rows(after_id=None):
    rows = AuditEvent.objects.order_by("id")
    if after_id is not None:
        rows = rows.filter(id__gt=after_id)
    return rows.values("id", "chain_hash", *chain.CHAINED_FIELDS).iterator(chunk_size=2000)


def verify_chain() -> chain.ChainReport:
    """Recompute the audit trail's hash chain over every stored event (one snapshot, in chunks):
    an ``audit.chain.ChainReport`` saying how many events were checked and where the chain breaks."""
    return chain.verify(_chain_rows())


@dataclass
class ChainStatus:
    """What the auditor's page shows: the latest whole-chain check (``None`` before the first) and the check,
    made now, of the events appended after it (``tail``; the whole chain when there is no earlier check)."""

    check: ChainCheck | None
    tail: chain.ChainReport
    anchor_intact: bool = True  # the last event the check read still stands with the hash it had then

    @property
    def breaks(self) -> list:
        stored = [tuple(b) for b in (self.check.breaks if self.check else [])]
        anchor = [] if self.anchor_intact else [(self.check.last_event_id, None)]
        return stored + anchor + list(self.tail.breaks)

    @property
    def intact(self) -> bool:
        return not self.breaks

    @property
    def checked(self) -> int:
        return (self.check.checked if self.check else 0) + self.tail.checked

    @property
    def more_breaks(self) -> bool:
        return bool(self.check and self.check.more_breaks) or self.tail.more_breaks

    @property
    def first_break(self):
        return self.breaks[0][0] if self.breaks else None


def latest_chain_check() -> ChainCheck | None:
    return ChainCheck.objects.order_by("-id").first()


def chain_status() -> ChainStatus:
    """The chain as the auditor's page shows it, at a cost that does not grow with the trail: the latest
    whole-chain check (nightly, ``services.chain_check_run``) plus the events appended since, each link
    recomputed from the check's last hash; the check's last event must still carry that hash (a rewritten or
    deleted anchor breaks there). Before any check, the whole chain now."""
    check = latest_chain_check()
    if check is None or check.last_event_id is None:
        return ChainStatus(check=check, tail=verify_chain())
    anchor = AuditEvent.objects.filter(pk=check.last_event_id).values_list("chain_hash", flat=True).first()
    tail = chain.verify(_chain_rows(check.last_event_id), previous=check.last_hash, previous_id=check.last_event_id)
    return ChainStatus(check=check, tail=tail, anchor_intact=anchor == check.last_hash)
