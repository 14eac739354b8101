"""Every write of the reports app: generating and storing documents, downloads, batches.

The split the benchmark suite uses: ``rating_report_html(rating, language)`` builds the HTML (queries,
chart, template), ``render_report(html)`` lays it out (WeasyPrint alone); ``rating_report_pdf`` does both.

Documents of finished business (an approved rating, a decided application, a closed month) are stored
once (``StoredReport``) and every later download returns those bytes; every download is audited.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import re
import tempfile
import zipfile

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from creditportal.core import access, clock, dates, pdf
from creditportal.core.errors import Conflict, NotAllowed, ValidationFailed
from creditportal.core.lists import safe_row
from creditportal.core.tasks import enqueue

from . import selectors
from .documents import common
from .documents.memo import approval_memo_context, memo_number
from .documents.portfolio import portfolio_number, portfolio_report_context
from .documents.rating import rating_report_context
from .documents.rating import report_number as rating_report_number
from .documents.statement import statement_context, statement_number
from .models import ReportBatch, ReportKind, StoredReport

log = logging.getLogger(__name__)

RATING_TEMPLATE = "reports/pdf/rating_report.html"
STATEMENT_TEMPLATE = "reports/pdf/statement_of_account.html"
MEMO_TEMPLATE = "reports/pdf/approval_memo.html"
PORTFOLIO_TEMPLATE = "reports/pdf/portfolio_report.html"
BATCH_LOCK_SECONDS = 15 * 60
MAX_BATCH_DAYS = 400


class BatchBusy(Exception):
    """Another worker is building this batch right now (the task retries later)."""


# --- Rendering (no writes) ----------------------------------------------------------------------

def render_report(html: str) -> bytes:
    """WeasyPrint's part alone: HTML → PDF bytes."""
    return pdf.html_to_pdf(html)


def rating_report_html(rating, language: str | None = None) -> str:
    """The rating report's HTML in ``language`` (``zh-hans`` or ``en``; default the active language)."""
    language = common.normalise_language(language)
    with translation.override(language):
        context = rating_report_context(rating)
        return pdf.render_html(RATING_TEMPLATE, context, language=language)


def rating_report_pdf(rating, language: str | None = None) -> bytes:
    return render_report(rating_report_html(rating, language))


def approval_memo_html(application, language: str | None = None) -> str:
    language = common.normalise_language(language)
    with translation.override(language):
        context = approval_memo_context(application)
        return pdf.render_html(MEMO_TEMPLATE, context, language=language)


def portfolio_report_html(month: dt.date, language: str | None = None, *, user=None) -> str:
    language = common.normalise_language(language)
    with translation.override(language):
        context = portfolio_report_context(month, user=user)
        return pdf.render_html(PORTFOLIO_TEMPLATE, context, language=language)


# --- Storing once -------------------------------------------------------------------------------

def _store(*, actor, kind, object_type, object_id, language, customer_id, report_number, title, content,
           source_sha256="") -> StoredReport:
    """Save a generated document once; a concurrent writer that lost the race reads the winner's row."""
    digest = hashlib.sha256(content).hexdigest()
    try:
        with transaction.atomic():
            report = StoredReport.objects.create(
                kind=kind, object_type=object_type, object_id=str(object_id), language=language,
                customer_id=customer_id, report_number=report_number, title=title[:255], content=content,
                size=len(content), sha256=digest, source_sha256=source_sha256 or "",
                created_by=actor if getattr(actor, "pk", None) else None,
            )
            audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=report, verb="generate",
                         after={"kind": kind, "object_type": object_type, "object_id": str(object_id),
                                "language": language, "report_number": report_number, "sha256": digest,
                                "source_sha256": source_sha256 or ""})
    except IntegrityError:
        report = StoredReport.objects.for_object(kind, object_type, object_id).get(language=language)
    return report


def _existing(kind, object_type, object_id, language) -> StoredReport | None:
    return StoredReport.objects.for_object(kind, object_type, object_id).filter(language=language).first()


def rating_is_reportable(rating) -> bool:
    from ratings.models import RatingState

    return rating.state in (RatingState.APPROVED, RatingState.SUPERSEDED) and rating.approved_at is not None


def rating_report_stored(*, actor, rating, language) -> StoredReport:
    """The stored report of an approved rating, generating it on first use (no permission check: callers check)."""
    language = common.normalise_language(language)
    existing = _existing(ReportKind.RATING_REPORT, "ratings.rating", rating.pk, language)
    if existing is not None:
        return existing
    if not rating_is_reportable(rating):
        raise Conflict(_("The report is produced once the rating is approved."), code="rating_not_approved")
    rating = selectors.rating_for_report(rating.pk)
    content = rating_report_pdf(rating, language)
    with translation.override(language):
        title = f"{_('Credit rating report')} · {rating.customer.name} · {rating.grade}"
    return _store(actor=actor, kind=ReportKind.RATING_REPORT, object_type="ratings.rating", object_id=rating.pk,
                  language=language, customer_id=rating.customer_id, report_number=rating_report_number(rating),
                  title=title, content=content, source_sha256=rating.inputs_sha256)


def memo_is_final(application) -> bool:
    from credit.models import CreditApplication

    S = CreditApplication.Status
    return application.status in (S.APPROVED, S.FACILITY_OPENED, S.REJECTED, S.WITHDRAWN)


def approval_memo_document(*, actor, application, language) -> tuple[bytes, StoredReport | None, str]:
    """(PDF bytes, the stored report or None, report number): decided applications are stored once,
    open ones are rendered afresh (their memo is still changing)."""
    language = common.normalise_language(language)
    existing = _existing(ReportKind.APPROVAL_MEMO, "credit.creditapplication", application.pk, language)
    if existing is not None:
        return bytes(existing.content), existing, existing.report_number
    application = selectors.application_for_memo(application.pk)
    html = approval_memo_html(application, language)
    content = render_report(html)
    number = memo_number(application)
    if not memo_is_final(application):
        return content, None, number
    with translation.override(language):
        title = f"{_('Credit approval memo')} · {application.customer.name}"
    report = _store(actor=actor, kind=ReportKind.APPROVAL_MEMO, object_type="credit.creditapplication",
                    object_id=application.pk, language=language, customer_id=application.customer_id,
                    report_number=number, title=title, content=content)
    return bytes(report.content), report, number


def portfolio_document(*, actor, month: dt.date, language) -> tuple[bytes, StoredReport | None, str]:
    """The month's portfolio report: stored once the month is over, rendered afresh while it runs."""
    language = common.normalise_language(language)
    month = month.replace(day=1)
    object_id = f"{month:%Y-%m}"
    existing = _existing(ReportKind.PORTFOLIO_REPORT, "reports.portfolio", object_id, language)
    if existing is not None:
        return bytes(existing.content), existing, existing.report_number
    today = clock.today()
    if month > today.replace(day=1):
        raise ValidationFailed(_("The month has not started yet."), field_errors={"month": _("Choose a past or the current month.")})
    content = render_report(portfolio_report_html(month, language))
    number = portfolio_number(month)
    if month == today.replace(day=1):
        return content, None, number
    with translation.override(language):
        title = f"{_('Monthly portfolio report')} · {month:%Y-%m}"
    report = _store(actor=actor, kind=ReportKind.PORTFOLIO_REPORT, object_type="reports.portfolio",
                    object_id=object_id, language=language, customer_id=None, report_number=number, title=title,
                    content=content)
    return bytes(report.content), report, number


# --- Downloads (audited) --------------------------------------------------------------------------

def _audit_download(*, actor, verb, object_type, object_id, object_repr, after):
    with transaction.atomic():
        audit_record(actor=actor, action=AuditEvent.Action.DOWNLOAD, verb=verb, object_type=object_type,
                     object_id=str(object_id), object_repr=str(object_repr)[:255], after=after)


def _require_download(actor):
    access.require(actor, "reports.download_report", _("You may not download reports."))


def rating_report_download(*, actor, rating, language=None) -> StoredReport:
    """The rating's stored PDF for ``actor`` (permission and portfolio checked), the download audited."""
    from ratings.models import Rating

    _require_download(actor)
    if not Rating.objects.visible_to(actor).filter(pk=rating.pk).exists():
        raise NotAllowed(_("This rating is outside your portfolio."))
    report = rating_report_stored(actor=actor, rating=rating, language=language)
    _audit_download(actor=actor, verb="rating_report", object_type="ratings.rating", object_id=rating.pk,
                    object_repr=report.title or report.report_number,
                    after={"report_number": report.report_number, "language": report.language,
                           "sha256": report.sha256, "stored_report_id": report.pk})
    return report


def stored_report_download(*, actor, report: StoredReport) -> StoredReport:
    _require_download(actor)
    if not StoredReport.objects.visible_to(actor).filter(pk=report.pk).exists():
        raise NotAllowed(_("This report is outside your portfolio."))
    _audit_download(actor=actor, verb=report.kind, object_type=report.object_type, object_id=report.object_id,
                    object_repr=report.title or report.report_number,
                    after={"report_number": report.report_number, "language": report.language,
                           "sha256": report.sha256, "stored_report_id": report.pk})
    return report


def approval_memo_download(*, actor, application, language=None) -> tuple[bytes, str]:
    from credit.models import CreditApplication

    _require_download(actor)
    if not CreditApplication.objects.visible_to(actor).filter(pk=application.pk).exists():
        raise NotAllowed(_("This application is outside your portfolio."))
    content, report, number = approval_memo_document(actor=actor, application=application, language=language)
    _audit_download(actor=actor, verb="approval_memo", object_type="credit.creditapplication",
                    object_id=application.pk, object_repr=str(application),
                    after={"report_number": number, "language": common.normalise_language(language),
                           "sha256": hashlib.sha256(content).hexdigest(), "stored": report is not None})
    return content, f"{number}-{common.normalise_language(language)}.pdf"


def portfolio_report_download(*, actor, month: dt.date, language=None) -> tuple[bytes, str]:
    _require_download(actor)
    access.require(actor, "customers.view_all_customers",
                   _("The portfolio report covers every customer: it is for roles that see them all."))
    dates.require_plausible(month, "month")
    content, report, number = portfolio_document(actor=actor, month=month, language=language)
    _audit_download(actor=actor, verb="portfolio_report", object_type="reports.portfolio",
                    object_id=f"{month:%Y-%m}", object_repr=number,
                    after={"report_number": number, "language": common.normalise_language(language),
                           "sha256": hashlib.sha256(content).hexdigest(), "stored": report is not None})
    return content, f"{number}-{common.normalise_language(language)}.pdf"


def statement_of_account_download(*, actor, customer, start: dt.date, end: dt.date,
                                  language=None) -> tuple[bytes, str]:
    """The customer's statement of account (对账单) for ``start``..``end`` as a PDF, made now (not stored: it is
    a letter, sent when the collector chooses), the download audited. Refused outside the portfolio and for a
    period that ends before it starts or runs into the future."""
    from customers.models import Customer

    access.require(actor, "collection.view_invoice", _("You may not see this customer's invoices."))
    if not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
        raise NotAllowed(_("This customer is outside your portfolio."))
    dates.require_plausible(start, "start")
    dates.require_plausible(end, "end")
    if end < start:
        raise ValidationFailed(_("The period ends before it starts."), field_errors={"end": _(
            "The period ends before it starts.")})
    if end > clock.today():
        raise ValidationFailed(_("A statement covers days that have passed."), field_errors={"end": _(
            "Choose today or an earlier day.")})
    language = common.normalise_language(language)
    with translation.override(language):
        html = pdf.render_html(STATEMENT_TEMPLATE, statement_context(customer, start, end), language=language)
    content = render_report(html)
    number = statement_number(customer, end)
    _audit_download(actor=actor, verb="statement_of_account", object_type="customers.customer",
                    object_id=customer.pk, object_repr=customer.name,
                    after={"report_number": number, "language": language, "start": start, "end": end,
                           "sha256": hashlib.sha256(content).hexdigest()})
    return content, f"{number}-{language}.pdf"


# --- Batches --------------------------------------------------------------------------------------

def report_batch_request(*, actor, kind=ReportBatch.Kind.RATING_REPORTS, period_start: dt.date,
                         period_end: dt.date, language=None) -> ReportBatch:
    """The ZIP job of every document of a period for ``actor``: found again or started (idempotent).

    Asking twice for the same documents, period and language gives the same batch while it is queued or
    running, or once it is done if the period had already ended when it was built; a failed one is run
    again. This is how the auditor's read-only role asks: the ZIP is a read of existing documents.
    """
    from . import tasks

    access.require(actor, "reports.request_report_batch", _("You may not request report batches."))
    errors = {}
    if kind not in ReportBatch.Kind.values:
        errors["kind"] = _("Choose which documents to collect.")
    if period_start is None or period_end is None:
        errors["period_start"] = _("Give the first and the last day of the period.")
    elif not dates.is_plausible(period_start) or not dates.is_plausible(period_end):
        errors["period_start"] = dates.out_of_range_message()
    elif period_end < period_start:
        errors["period_end"] = _("The period ends before it starts.")
    elif (period_end - period_start).days > MAX_BATCH_DAYS:
        errors["period_end"] = _("A batch covers at most %(days)s days.") % {"days": MAX_BATCH_DAYS}
    elif period_start > clock.today():
        errors["period_start"] = _("The period lies in the future.")
    if errors:
        raise ValidationFailed(_("The batch request is not valid."), field_errors=errors)
    language = common.normalise_language(language)
    with transaction.atomic():
        same = list(ReportBatch.objects.select_for_update()
                    .filter(requested_by=actor, kind=kind, period_start=period_start, period_end=period_end,
                            language=language).order_by("-created_at", "-id")[:1])
        batch = same[0] if same else None
        if batch is not None:
            if batch.status in (ReportBatch.Status.QUEUED, ReportBatch.Status.RUNNING):
                return batch
            if batch.status == ReportBatch.Status.DONE and batch.period_end < timezone.localdate(batch.created_at):
                return batch
            if batch.status == ReportBatch.Status.FAILED:
                batch.status = ReportBatch.Status.QUEUED
                batch.save(update_fields=["status"])
                audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=batch, verb="retry_batch",
                             before={"status": ReportBatch.Status.FAILED}, after={"status": ReportBatch.Status.QUEUED})
                enqueue(tasks.build_report_batch, batch.pk)
                return batch
        batch = ReportBatch.objects.create(kind=kind, period_start=period_start, period_end=period_end,
                                           language=language, requested_by=actor)
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=batch, verb="request_batch",
                     after={"kind": kind, "period_start": period_start, "period_end": period_end,
                            "language": language})
        enqueue(tasks.build_report_batch, batch.pk)
    return batch


_SAFE_NAME = re.compile(r"[^\w.-]+", re.U)


def _zip_name(number: str, language: str, label: str) -> str:
    label = _SAFE_NAME.sub("_", label).strip("_")[:60]
    return f"{number}-{language}{'-' + label if label else ''}.pdf"


def _batch_items(batch: ReportBatch):
    """[(object, stored-report maker, zip label)] of the batch's period, as the requester may see them."""
    if batch.kind == ReportBatch.Kind.RATING_REPORTS:
        ratings = selectors.ratings_approved_between(batch.requested_by, batch.period_start, batch.period_end)

        def make(rating):
            report = rating_report_stored(actor=batch.requested_by, rating=rating, language=batch.language)
            return report.report_number, bytes(report.content), report.sha256, rating.customer.name, rating.grade
        return [(r, make) for r in ratings]
    applications = selectors.applications_decided_between(batch.requested_by, batch.period_start, batch.period_end)

    def make_memo(application):
        content, report, number = approval_memo_document(actor=batch.requested_by, application=application,
                                                         language=batch.language)
        return number, content, hashlib.sha256(content).hexdigest(), application.customer.name, application.get_status_display()
    return [(a, make_memo) for a in applications]


def report_batch_build(*, batch_id: int) -> ReportBatch | None:
    """Build the batch's ZIP (idempotent: a finished batch is left alone; a rerun rebuilds from stored PDFs).

    Progress is written after each document so the page can show it; one worker at a time per batch.
    """
    lock_key = f"reports:batch:{batch_id}"
    if not cache.add(lock_key, "1", timeout=BATCH_LOCK_SECONDS):
        raise BatchBusy(batch_id)
    try:
        batch = ReportBatch.objects.filter(pk=batch_id).select_related("requested_by").first()
        if batch is None or batch.status == ReportBatch.Status.DONE:
            return batch
        ReportBatch.objects.filter(pk=batch_id).update(
            status=ReportBatch.Status.RUNNING, started_at=timezone.now(), completed=0, failed_count=0, error="",
            attempts=F("attempts") + 1)
        try:
            return _build(batch, lock_key)
        except Exception as exc:
            log.exception("report batch %s failed", batch_id)
            ReportBatch.objects.filter(pk=batch_id).update(status=ReportBatch.Status.FAILED, error=str(exc)[:2000],
                                                           finished_at=timezone.now())
            raise
    finally:
        cache.delete(lock_key)


def _build(batch: ReportBatch, lock_key: str) -> ReportBatch:
    items = _batch_items(batch)
    ReportBatch.objects.filter(pk=batch.pk).update(total=len(items))
    stamp = (batch.created_at.year, batch.created_at.month, batch.created_at.day, 0, 0, 0)
    manifest = io.StringIO()
    writer = csv.writer(manifest)
    writer.writerow(["file", "report_number", "customer", "outcome", "sha256"])
    failures = []
    done = 0
    with tempfile.TemporaryFile() as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as archive:
            for obj, make in items:
                try:
                    number, content, digest, customer_name, outcome = make(obj)
                except Exception as exc:  # noqa: BLE001 - one bad document must not sink the batch
                    log.exception("report batch %s: object %s failed", batch.pk, obj.pk)
                    failures.append(f"{obj.pk}: {exc}")
                    ReportBatch.objects.filter(pk=batch.pk).update(failed_count=F("failed_count") + 1)
                    continue
                name = _zip_name(number, batch.language, customer_name)
                info = zipfile.ZipInfo(name, date_time=stamp)
                archive.writestr(info, content)
                writer.writerow(safe_row([name, number, customer_name, outcome, digest]))
                done += 1
                ReportBatch.objects.filter(pk=batch.pk).update(completed=F("completed") + 1)
                cache.touch(lock_key, BATCH_LOCK_SECONDS)
            archive.writestr(zipfile.ZipInfo("manifest.csv", date_time=stamp),
                             "\ufeff" + manifest.getvalue())
        spool.seek(0)
        digest = hashlib.sha256()
        for block in iter(lambda: spool.read(1 << 20), b""):
            digest.update(block)
        size = spool.tell()
        spool.seek(0)
        with transaction.atomic():
            batch = ReportBatch.objects.select_for_update().get(pk=batch.pk)
            if batch.file:
                batch.file.delete(save=False)
            batch.file.save(batch.filename, File(spool), save=False)
            batch.size = size
            batch.sha256 = digest.hexdigest()
            batch.completed = done
            batch.failed_count = len(failures)
            batch.error = "\n".join(failures)[:5000]
            batch.status = ReportBatch.Status.DONE
            batch.finished_at = timezone.now()
            batch.save()
            from accounts.system import system_user

            audit_record(actor=system_user(), action=AuditEvent.Action.RUN, obj=batch, verb="build_batch",
                         after={"total": len(items), "completed": done, "failed": len(failures),
                                "sha256": batch.sha256, "requested_by": batch.requested_by.username})
    return batch


def report_batch_download(*, actor, batch: ReportBatch):
    """The finished batch's ZIP file (opened), the download audited."""
    access.require(actor, "reports.request_report_batch", _("You may not download report batches."))
    if not ReportBatch.objects.visible_to(actor).filter(pk=batch.pk).exists():
        raise NotAllowed(_("This batch belongs to someone else."))
    if batch.status != ReportBatch.Status.DONE or not batch.file:
        raise Conflict(_("The batch is not finished yet."), code="batch_not_ready")
    _audit_download(actor=actor, verb="report_batch", object_type="reports.reportbatch", object_id=batch.pk,
                    object_repr=batch.filename, after={"sha256": batch.sha256, "size": batch.size})
    return batch.file.open("rb")


# --- Events --------------------------------------------------------------------------------------

def on_rating_approved(rating_id, customer_id=None, **_payload):
    """Produce the approved rating's report in the background (in the default language)."""
    if not getattr(settings, "REPORTS_PREGENERATE", not settings.TESTING):
        return
    from . import tasks

    enqueue(tasks.generate_rating_report, rating_id, common.normalise_language(settings.LANGUAGE_CODE))


def rating_report_pregenerate(*, rating_id, language) -> StoredReport | None:
    from accounts.system import system_user

    rating = selectors.rating_for_report(rating_id)
    if rating is None or not rating_is_reportable(rating):
        return None
    return rating_report_stored(actor=system_user(), rating=rating, language=language)
