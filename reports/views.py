"""Pages: the auditor's workspace (search, download), stored reports, portfolio reports, batches.

Every page is read-only except the batch request (the auditor's own errand) and the retry of a failed
batch; downloads go through the services, which check the right and the portfolio and audit them.
"""
from __future__ import annotations

import datetime as dt

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from creditportal.core import clock
from creditportal.core.errors import ServiceError
from creditportal.core.lists import Column, PortalListView
from creditportal.core.views import PortalPermissionMixin, report_service_error

from . import selectors, services
from .api import pdf_response
from .filtersets import StoredReportFilterSet
from .documents.common import normalise_language
from .forms import BatchRequestForm, WorkspaceSearchForm
from .models import ReportLanguage, StoredReport

PAGE_SIZE = 25


def _language(request) -> str:
    return normalise_language(request.GET.get("lang") or getattr(request, "LANGUAGE_CODE", None))


def _refused(error: ServiceError) -> HttpResponse:
    return HttpResponse(str(error.message), status=error.status_code, content_type="text/plain; charset=utf-8")


class WorkspaceView(PortalListView):
    """Search approved ratings, applications and decisions; download their PDFs; jump to the audit trail.

    The search form picks the selector and its filters; pagination is the shared list machinery's. The rows are
    documents to download one by one, so the page exports no list file."""

    permission_required = "reports.download_report"
    template_name = "reports/workspace.html"
    paginate_by = PAGE_SIZE
    SEARCHES = {WorkspaceSearchForm.APPLICATIONS: selectors.search_applications,
                WorkspaceSearchForm.DECISIONS: selectors.search_decisions}

    def requested_export(self):
        return None

    def base_queryset(self):
        self.form = WorkspaceSearchForm(self.request.GET or None)
        self.what = self.form.what_value()
        filters = self.form.filters() if self.form.is_bound else {}
        search = self.SEARCHES.get(self.what, selectors.search_ratings)
        return search(self.request.user, **filters)

    def filter_errors(self) -> dict:
        """A refused value (a person who is no user, a date out of range) is named on the page."""
        if not self.form.is_bound:
            return {}
        fields = self.form.fields
        return {str(fields[name].label) if name in fields else name: [str(m) for m in msgs]
                for name, msgs in self.form.errors.items()}

    def get_context_data(self, **kwargs):
        from creditportal.core.lists import prepare_filter_form

        context = super().get_context_data(**kwargs)
        prepare_filter_form(self.form)
        user, rows = self.request.user, context["object_list"]
        stored = {}
        if self.what == WorkspaceSearchForm.RATINGS:
            stored = selectors.stored_rating_reports_for([r.pk for r in rows])
        context.update(form=self.form, what=self.what, rows=rows, stored=stored, languages=ReportLanguage.choices,
                       can_audit=user.has_perm("audit.view_auditevent"),
                       can_batch=user.has_perm("reports.request_report_batch"),
                       can_portfolio=user.has_perm("customers.view_all_customers"))
        return context


class RatingReportDownloadView(PortalPermissionMixin, View):
    """``/reports/ratings/<id>/report.pdf?lang=en``: what the rating page's download button links to."""

    permission_required = "reports.download_report"

    def get(self, request, pk):
        from ratings.models import Rating

        rating = get_object_or_404(Rating.objects.visible_to(request.user), pk=pk)
        try:
            report = services.rating_report_download(actor=request.user, rating=rating, language=_language(request))
        except ServiceError as error:
            return _refused(error)
        return pdf_response(bytes(report.content), report.filename, report.sha256)


class MemoDownloadView(PortalPermissionMixin, View):
    permission_required = "reports.download_report"

    def get(self, request, pk):
        from credit.models import CreditApplication

        application = get_object_or_404(CreditApplication.objects.visible_to(request.user), pk=pk)
        try:
            content, filename = services.approval_memo_download(actor=request.user, application=application,
                                                                language=_language(request))
        except ServiceError as error:
            return _refused(error)
        return pdf_response(content, filename)


def _recent_months(count=12):
    today = clock.today().replace(day=1)
    months = []
    year, month = today.year, today.month
    for _i in range(count):
        months.append(dt.date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return months


class PortfolioListView(PortalPermissionMixin, TemplateView):
    # the page is there to download the reports: a collector (no report rights) had an empty list
    permission_required = ("reports.download_report", "customers.view_all_customers")
    template_name = "reports/portfolio_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        current = clock.today().replace(day=1)
        stored = {r.object_id: r for r in selectors.stored_reports(self.request.user, "portfolio_report")}
        context["months"] = [{"month": m, "current": m == current,
                              "stored": {lang for (oid, lang) in
                                         [(r.object_id, r.language) for r in stored.values()] if oid == f"{m:%Y-%m}"}}
                             for m in _recent_months()]
        context["languages"] = ReportLanguage.choices
        return context


class PortfolioDownloadView(PortalPermissionMixin, View):
    permission_required = ("reports.download_report", "customers.view_all_customers")

    def get(self, request, year, month):
        try:
            first = dt.date(year, month, 1)
        except ValueError as exc:
            raise Http404 from exc
        try:
            content, filename = services.portfolio_report_download(actor=request.user, month=first,
                                                                   language=_language(request))
        except ServiceError as error:
            return _refused(error)
        return pdf_response(content, filename)


class StoredReportListView(PortalListView):
    """The stored reports, newest first, filtered by kind (``StoredReportFilterSet``)."""

    permission_required = "reports.view_storedreport"
    template_name = "reports/stored_list.html"
    paginate_by = PAGE_SIZE
    filterset_class = StoredReportFilterSet
    export_name = "stored-reports"
    export_title = gettext_lazy("Stored reports")
    columns = [
        Column("number", gettext_lazy("Report number"), "report_number"),
        Column("title", gettext_lazy("Title"), "title"),
        Column("language", gettext_lazy("Language"), "get_language_display"),
        Column("created", gettext_lazy("Generated"), "created_at", kind="date"),
        Column("size", gettext_lazy("Size (bytes)"), "size", kind="number"),
        Column("sha256", gettext_lazy("SHA-256"), "sha256"),
    ]

    def base_queryset(self):
        return selectors.stored_reports(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        kind = self.filterset.form.cleaned_data.get("kind") if self.filterset.is_bound else ""
        context.update(rows=context["object_list"], kind=kind or "",
                       kinds=StoredReport._meta.get_field("kind").choices)
        return context


class StoredReportDownloadView(PortalPermissionMixin, View):
    permission_required = "reports.download_report"

    def get(self, request, pk):
        report = get_object_or_404(StoredReport.objects.visible_to(request.user), pk=pk)
        services.stored_report_download(actor=request.user, report=report)
        return pdf_response(bytes(report.content), report.filename, report.sha256)


def _default_period():
    today = clock.today()
    quarter_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    previous_end = quarter_start - dt.timedelta(days=1)
    return dt.date(previous_end.year, 3 * ((previous_end.month - 1) // 3) + 1, 1), previous_end


class BatchListView(PortalListView):
    """The batches the user asked for, newest first, under the form asking for another one."""

    permission_required = "reports.request_report_batch"
    template_name = "reports/batch_list.html"
    paginate_by = PAGE_SIZE
    export_name = "report-batches"
    export_title = gettext_lazy("Report batches")
    columns = [
        Column("id", "#", "pk"),
        Column("kind", gettext_lazy("Documents"), "get_kind_display"),
        Column("start", gettext_lazy("From"), "period_start", kind="date"),
        Column("end", gettext_lazy("Until"), "period_end", kind="date"),
        Column("language", gettext_lazy("Language"), "get_language_display"),
        Column("requested_by", gettext_lazy("Requested by"), "requested_by", kind="person"),
        Column("status", gettext_lazy("Status"), "get_status_display"),
    ]

    def base_queryset(self):
        return selectors.batches_for(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if "form" not in kwargs:
            start, end = _default_period()
            context["form"] = BatchRequestForm(initial={"period_start": start, "period_end": end,
                                                        "language": _language(self.request)})
        context["rows"] = context["object_list"]
        return context


class BatchRequestView(BatchListView):
    """``POST /reports/batches/request`` (kind, period_start, period_end, language): the period's ZIP job.

    Asking again for the same period finds the same batch (see ``services.report_batch_request``); a refused
    request shows the batches page again with the errors next to the fields (400).
    """

    http_method_names = ["post"]

    def post(self, request):
        form = BatchRequestForm(request.POST)
        if form.is_valid():
            try:
                batch = services.report_batch_request(actor=request.user, **form.cleaned_data)
            except ServiceError as error:
                report_service_error(request, form, error)
            else:
                return redirect("reports:batch_detail", pk=batch.pk)
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(form=form), status=400)


class BatchDetailView(PortalPermissionMixin, TemplateView):
    permission_required = "reports.view_reportbatch"
    template_name = "reports/batch_detail.html"

    def get_template_names(self):
        if self.request.headers.get("HX-Request") or self.request.GET.get("partial"):
            return ["reports/_batch_progress.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batch = get_object_or_404(selectors.batches_for(self.request.user), pk=kwargs["pk"])
        context["batch"] = batch
        context["can_batch"] = self.request.user.has_perm("reports.request_report_batch")
        return context


class BatchDownloadView(PortalPermissionMixin, View):
    permission_required = "reports.request_report_batch"

    def get(self, request, pk):
        batch = get_object_or_404(selectors.batches_for(request.user), pk=pk)
        try:
            handle = services.report_batch_download(actor=request.user, batch=batch)
        except ServiceError as error:
            return _refused(error)
        response = FileResponse(handle, as_attachment=True, filename=batch.filename, content_type="application/zip")
        response["X-Content-SHA256"] = batch.sha256
        return response
