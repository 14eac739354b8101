"""Re-rating batches and their chunks."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from creditportal.core.jsonfields import SnapshotJSONField
from creditportal.core.modelbase import user_field
from creditportal.core.querysets import StaffQuerySet


# --- Batches ----------------------------------------------------------------------------------

class BatchStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")
    FAILED = "failed", _("Failed")


class RatingBatch(models.Model):
    kind = models.CharField(_("kind"), max_length=10, default="nightly",
                            choices=[("nightly", _("Nightly")), ("manual", _("Started by hand"))])
    business_date = models.DateField(_("business date"))
    status = models.CharField(_("status"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.QUEUED)
    started_by = user_field(_("started by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    total = models.PositiveIntegerField(pgettext_lazy("count", "customers"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    changed = models.PositiveIntegerField(_("inputs changed"), default=0)
    proposed = models.PositiveIntegerField(_("proposed ratings"), default=0)
    downgrades = models.PositiveIntegerField(_("downgrades"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(_("error details"), default=list, blank=True)
    chunk_count = models.PositiveIntegerField(_("chunks"), default=0)
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)
    # Progress heartbeat: set when the batch is recorded, split, resumed and whenever a chunk finishes. A batch
    # queued or running with no heartbeat for RATING_BATCH_STALL_SECONDS has stalled (a killed worker):
    # ``services.batch_check_stalled`` sends its missing chunks again, or fails it after
    # RATING_BATCH_MAX_RESUMES resumes without progress (``stall_resumes``, back to 0 on progress).
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    stall_resumes = models.PositiveIntegerField(_("resumed after stalling"), default=0)

    objects = StaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("rating batch")
        verbose_name_plural = _("rating batches")
        ordering = ["-created_at", "-id"]
        permissions = [("run_rating_batch", "Can start a re-rating batch")]

    def __str__(self):
        return f"{self.business_date} #{self.pk}"

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.status == BatchStatus.FINISHED else 0
        return min(100, int(self.processed * 100 / self.total))

    @property
    def is_done(self) -> bool:
        return self.status in (BatchStatus.FINISHED, BatchStatus.FAILED)


class RatingBatchChunk(models.Model):
    """One slice of a batch's customers, run as its own Celery task. ``done_at`` is set in the same transaction
    as the chunk's proposals and its share of the batch's counters, so a chunk delivered twice counts once."""
    batch = models.ForeignKey(RatingBatch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField(_("chunk"))
    customer_ids = SnapshotJSONField(_("customers"), default=list)
    # Payment behaviour handed to the chunk ({window key: {customer id: facts}}). Empty: the chunk reads its own
    # customers' behaviour when it runs (``ratings.services.batch``), so the batch's split is only the ids; a
    # chunk that carries facts (split by an earlier version) uses them.
    behaviour = SnapshotJSONField(_("payment behaviour"), default=dict, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("rating batch chunk")
        verbose_name_plural = _("rating batch chunks")
        ordering = ["batch", "index"]
        constraints = [models.UniqueConstraint(fields=["batch", "index"], name="ratingbatchchunk_unique_index")]

    def __str__(self):
        return f"{self.batch_id}/{self.index}"
