"""Stored documents (generated once, then served byte for byte) and report batches (ZIPs for auditors).

A ``StoredReport`` is one document of one object in one language: the PDF of an approved rating, an
application's approval memo, a month's portfolio report. It is written once (a unique constraint on
kind, object and language makes a second writer read the first one's bytes) and never changed, so
every later download returns the same bytes, whose SHA-256 is kept beside them.

Scoping: ``visible_to(user)`` follows the customer's own rule (``customers.Customer.visible_to``):
a relationship manager sees the reports of their portfolio's customers only; documents about no single
customer (the portfolio report) need ``customers.view_all_customers``.
"""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from creditportal.core.modelbase import user_field
from creditportal.core.querysets import CustomerScopedQuerySet, active_user, sees_all_customers
from customers.models import customer_field


class ReportKind(models.TextChoices):
    RATING_REPORT = "rating_report", _("Rating report")
    APPROVAL_MEMO = "approval_memo", _("Credit approval memo")
    PORTFOLIO_REPORT = "portfolio_report", _("Monthly portfolio report")


class ReportLanguage(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class StoredReportQuerySet(CustomerScopedQuerySet):
    def visible_to(self, user):
        """The customer rule, for holders of ``reports.view_storedreport`` only."""
        if not active_user(user) or not user.has_perm("reports.view_storedreport"):
            return self.none()
        return super().visible_to(user)

    def for_object(self, kind: str, object_type: str, object_id) -> StoredReportQuerySet:
        return self.filter(kind=kind, object_type=object_type, object_id=str(object_id))


class StoredReport(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=ReportKind.choices, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64)
    customer = customer_field(optional=True)
    language = models.CharField(_("language"), max_length=10, choices=ReportLanguage.choices)
    report_number = models.CharField(_("report number"), max_length=40, db_index=True)
    title = models.CharField(_("title"), max_length=255, blank=True)
    content = models.BinaryField(_("PDF"), editable=False)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    source_sha256 = models.CharField(_("SHA-256 of the input snapshot"), max_length=64, blank=True)
    created_by = user_field(_("generated for"), optional=True)
    created_at = models.DateTimeField(_("generated"), auto_now_add=True, db_index=True)

    objects = StoredReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("stored report")
        verbose_name_plural = _("stored reports")
        ordering = ["-created_at", "-id"]
        default_permissions = ("view",)
        permissions = [("download_report", "Can download report PDFs")]
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_type", "object_id", "language"],
                                    name="reports_stored_once_per_object_language"),
        ]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.report_number} ({self.language})"

    @property
    def filename(self) -> str:
        return f"{self.report_number}-{self.language}.pdf"


class BatchQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The requester's own batches; an auditor (``view_all_customers`` + batch right) sees all."""
        if not active_user(user) or not user.has_perm("reports.view_reportbatch"):
            return self.none()
        if user.has_perm("reports.request_report_batch") and sees_all_customers(user):
            return self
        return self.filter(requested_by=user)


def batch_upload_to(instance, filename):
    return f"report_batches/{instance.pk}/{filename}"


class ReportBatch(models.Model):
    class Kind(models.TextChoices):
        RATING_REPORTS = "rating_reports", _("Rating reports of ratings approved in the period")
        APPROVAL_MEMOS = "approval_memos", _("Approval memos of applications decided in the period")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", pgettext_lazy("batch status", "Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("documents"), max_length=20, choices=Kind.choices, default=Kind.RATING_REPORTS)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until (inclusive)"))
    language = models.CharField(_("language"), max_length=10, choices=ReportLanguage.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED,
                              db_index=True)
    total = models.PositiveIntegerField(_("documents in the period"), default=0)
    completed = models.PositiveIntegerField(_("documents done"), default=0)
    failed_count = models.PositiveIntegerField(_("documents failed"), default=0)
    file = models.FileField(_("ZIP file"), upload_to=batch_upload_to, max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    requested_by = user_field(_("requested by"))
    created_at = models.DateTimeField(_("requested"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = BatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("report batch")
        verbose_name_plural = _("report batches")
        ordering = ["-created_at", "-id"]
        default_permissions = ("view",)
        permissions = [("request_report_batch", "Can request a batch of reports as a ZIP file")]
        constraints = [
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")),
                                   name="reports_batch_period_order"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.period_start}–{self.period_end}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, int((self.completed + self.failed_count) * 100 / self.total))

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def filename(self) -> str:
        return f"reports-{self.kind}-{self.period_start:%Y%m%d}-{self.period_end:%Y%m%d}-{self.language}.zip"
