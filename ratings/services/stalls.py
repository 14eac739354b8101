"""Stalled batches, the nightly batch and the run-now button.

A worker killed in the middle of a chunk leaves the batch "running": with Redis the chunk's task comes back
only after the visibility timeout (2 h), and meanwhile no other batch may start. Every chunk that finishes
beats the batch's heartbeat. A batch queued or running with no beat for RATING_BATCH_STALL_SECONDS, no chunk
being worked on right now (a chunk's row is locked while it runs) and no task of it waiting in the outbox
(then the broker is down, not the worker) has stalled: its missing chunks are sent again (idempotent: a
chunk already done does nothing), or, after RATING_BATCH_MAX_RESUMES resumes without progress, it fails.
Beat checks every minute; the run-now button checks first and says what it did.
"""
from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.system import system_user
from audit.models import AuditEvent
from audit.services import audit_record, snapshot
from creditportal.core import access, clock
from creditportal.core.errors import Conflict
from creditportal.core.tasks import enqueue

from ..models import BatchStatus, RatingBatch, RatingBatchChunk
from .batch import batch_start, _send_chunks, _batch_finish

log = logging.getLogger(__name__)


def nightly_batch_start() -> int | None:
    """The nightly batch (system user); nothing when today's nightly batch exists or a batch is running."""
    actor = system_user()
    batch_check_stalled(actor=actor)  # a stalled batch is resumed or failed first
    if RatingBatch.objects.filter(kind="nightly", business_date=clock.today()).exists():
        return None
    try:
        return batch_start(actor=actor, kind="nightly").pk
    except Conflict:
        return None


class StallOutcome:
    RESUMED = "resumed"
    FAILED = "failed"

    def __init__(self, outcome: str, batch: RatingBatch, chunks: list[int]):
        self.outcome, self.batch, self.chunks = outcome, batch, chunks

    def __repr__(self):
        return f"<StallOutcome {self.outcome} #{self.batch.pk} {self.chunks}>"


def _waits_for_the_broker(batch) -> bool:
    from creditportal.models import OutboxMessage

    from ..tasks import run_rating_batch, run_rating_chunk

    return OutboxMessage.objects.filter(sent_at__isnull=True, task__in=[run_rating_batch.name, run_rating_chunk.name],
                                        args__0=batch.pk).exists()


@transaction.atomic
def batch_check_stalled(*, actor=None) -> list[StallOutcome]:
    """Resume or fail the batches that stopped progressing (see above); returns what was done."""
    from django.conf import settings
    from django.db.models.functions import Coalesce

    actor = actor or system_user()
    access.require(actor, "ratings.run_rating_batch")
    now = clock.instant()
    limit = now - dt.timedelta(seconds=settings.RATING_BATCH_STALL_SECONDS)
    # skip_locked: a batch being split right now holds its row and is not stalled.
    candidates = (RatingBatch.objects.select_for_update(skip_locked=True)
                  .annotate(last_beat=Coalesce("heartbeat_at", "started_at", "created_at"))
                  .filter(status__in=[BatchStatus.QUEUED, BatchStatus.RUNNING], last_beat__lt=limit).order_by("pk"))
    outcomes = []
    for batch in candidates:
        pending = list(RatingBatchChunk.objects.filter(batch_id=batch.pk, done_at__isnull=True)
                       .values_list("index", flat=True))
        free = list(RatingBatchChunk.objects.select_for_update(skip_locked=True)
                    .filter(batch_id=batch.pk, done_at__isnull=True).order_by("index").values_list("index", flat=True))
        if len(free) < len(pending) or _waits_for_the_broker(batch):
            continue  # a chunk is being rated right now, or its tasks wait for the broker: not stalled
        before = snapshot(batch)
        if batch.status == BatchStatus.RUNNING and not pending:
            _batch_finish(batch.pk, actor)  # every chunk done but the batch not closed: close it now
            batch.refresh_from_db()
            if batch.is_done:
                continue
        if batch.stall_resumes >= settings.RATING_BATCH_MAX_RESUMES:
            batch.status, batch.finished_at = BatchStatus.FAILED, timezone.now()
            batch.errors = list(batch.errors or []) + [{
                "error": "stalled: no progress since %s after %s resumes" % (
                    (batch.heartbeat_at or batch.created_at).isoformat(), batch.stall_resumes),
                "chunks": pending}]
            batch.save(update_fields=["status", "finished_at", "errors"])
            audit_record(actor=actor, action=AuditEvent.Action.RUN, obj=batch, verb="batch_stalled_failed",
                         before=before, after=snapshot(batch))
            log.warning("rating batch %s stalled and was failed (chunks left: %s)", batch.pk, pending)
            outcomes.append(StallOutcome(StallOutcome.FAILED, batch, pending))
            continue
        if batch.status == BatchStatus.QUEUED:
            from ..tasks import run_rating_batch

            enqueue(run_rating_batch, batch.pk)
        else:
            _send_chunks(batch.pk, free)
        batch.stall_resumes += 1
        batch.heartbeat_at = now
        batch.save(update_fields=["stall_resumes", "heartbeat_at"])
        audit_record(actor=actor, action=AuditEvent.Action.RUN, obj=batch, verb="batch_resumed", before=before,
                     after={**snapshot(batch), "chunks_sent_again": free})
        log.warning("rating batch %s stalled; sent again: %s", batch.pk, free or "the batch task")
        outcomes.append(StallOutcome(StallOutcome.RESUMED, batch, free))
    return outcomes


class RunNowOutcome:
    STARTED = "started"
    RESUMED = "resumed"

    def __init__(self, outcome: str, batch: RatingBatch, failed: list[RatingBatch]):
        self.outcome, self.batch, self.failed = outcome, batch, failed

    def message(self) -> str:
        parts = [_("Batch #%(batch)s had stalled and was marked failed.") % {"batch": b.pk} for b in self.failed]
        if self.outcome == self.RESUMED:
            parts.append(_("Batch #%(batch)s had stalled (no progress for %(minutes)s minutes): resumed, its "
                           "unfinished chunks were sent again.")
                         % {"batch": self.batch.pk, "minutes": _stall_minutes()})
        else:
            parts.append(_("Started a new batch #%(batch)s.") % {"batch": self.batch.pk})
        return " ".join(str(p) for p in parts)


def _stall_minutes():
    from django.conf import settings

    return max(1, round(settings.RATING_BATCH_STALL_SECONDS / 60))


def batch_run_now(*, actor) -> RunNowOutcome:
    """The run-now button: resume a stalled batch if there is one (or fail it, then start a new one); else start
    a new batch (409 while a batch is queued or running and progressing)."""
    access.require(actor, "ratings.run_rating_batch")
    outcomes = batch_check_stalled(actor=actor)
    failed = [o.batch for o in outcomes if o.outcome == StallOutcome.FAILED]
    resumed = [o.batch for o in outcomes if o.outcome == StallOutcome.RESUMED]
    if resumed:
        return RunNowOutcome(RunNowOutcome.RESUMED, resumed[0], failed)
    try:
        batch = batch_start(actor=actor, kind="manual")
    except Conflict as error:
        running = RatingBatch.objects.filter(status__in=[BatchStatus.QUEUED, BatchStatus.RUNNING]).first()
        if running is None:
            raise
        beat = running.heartbeat_at or running.started_at or running.created_at
        raise Conflict(_("Batch #%(batch)s is %(status)s and progressing (last progress %(when)s, %(done)s of "
                         "%(chunks)s chunks done); a batch with no progress for %(minutes)s minutes is resumed "
                         "by pressing again.")
                       % {"batch": running.pk, "status": str(running.get_status_display()).lower(),
                          "when": timezone.localtime(beat).strftime("%Y-%m-%d %H:%M:%S"),
                          "done": running.chunks_done, "chunks": running.chunk_count,
                          "minutes": _stall_minutes()}, code=error.code) from error
    return RunNowOutcome(RunNowOutcome.STARTED, batch, failed)
