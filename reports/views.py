"""Pages: the auditor's workspace (search, download), stored reports, portfolio reports, batches.

Every page is read-only except the batch request (the auditor's own errand) and the retry of a failed
batch; downloads go through the services, which check the right and the portfolio and audit them.
"""
from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.generic import TemplateView

from creditportal.core import clock
from creditportal.core.errors import ServiceError
from creditportal.core.filters import clean_params, report_invalid
from creditportal.core.views import PortalPermissionMixin, report_service_error

from . import selectors, services
from .api import pdf_response
from .filtersets import StoredReportFilterSet
from .documents.common import normalise_language
from .forms import BatchRequestForm, WorkspaceSearchForm
from .models import ReportBatch, ReportLanguage, StoredReport

PAGE_SIZE = 25


def _language(request) -> str:
    return normalise_language(request.GET.get("lang") or getattr(request, "LANGUAGE_CODE", None))


def _refused(error: ServiceError) -> HttpResponse:
    return HttpResponse(str(error.message), status=error.status_code, content_type="text/plain; charset=utf-8")


class WorkspaceView(PortalPermissionMixin, TemplateView):
    """Search approved ratings, applications and decisions; download their PDFs; jump to the audit trail."""

    permission_required = "reports.download_report"
    template_name = "reports/workspace.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = WorkspaceSearchForm(self.request.GET or None)
        what = form.what_value()
        filters = form.filters() if form.is_bound else {}
        user = self.request.user
        if what == WorkspaceSearchForm.APPLICATIONS:
            queryset = selectors.search_applications(user, **filters)
        elif what == WorkspaceSearchForm.DECISIONS:
            queryset = selectors.search_decisions(user, **filters)
        else:
            queryset = selectors.search_ratings(user, **filters)
        page = Paginator(queryset, PAGE_SIZE).get_page(self.request.GET.get("page"))
        stored = {}
        if what == WorkspaceSearchForm.RATINGS:
            stored = selectors.stored_rating_reports_for([r.pk for r in page.object_list])
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(form=form, what=what, page_obj=page, rows=page.object_list, query=query.urlencode(),
                       stored=stored, languages=ReportLanguage.choices,
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


class StoredReportListView(PortalPermissionMixin, TemplateView):
    permission_required = "reports.view_storedreport"
    template_name = "reports/stored_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cleaned, errors = clean_params(StoredReportFilterSet, self.request.GET)
        report_invalid(self.request, errors)
        kind = cleaned.get("kind")
        page = Paginator(selectors.stored_reports(self.request.user, kind), PAGE_SIZE).get_page(
            self.request.GET.get("page"))
        context.update(page_obj=page, rows=page.object_list, kind=kind or "",
                       kinds=StoredReport._meta.get_field("kind").choices,
                       query=f"kind={kind}" if kind else "")
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


class BatchListView(PortalPermissionMixin, TemplateView):
    permission_required = "reports.request_report_batch"
    template_name = "reports/batch_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        start, end = _default_period()
        form = BatchRequestForm(initial={"period_start": start, "period_end": end,
                                         "language": _language(self.request)})
        page = Paginator(selectors.batches_for(self.request.user), PAGE_SIZE).get_page(self.request.GET.get("page"))
        context.update(form=form, page_obj=page, rows=page.object_list)
        return context


class BatchRequestView(PortalPermissionMixin, View):
    """``POST /reports/batches/request`` (kind, period_start, period_end, language): the period's ZIP job.

    Asking again for the same period finds the same batch (see ``services.report_batch_request``).
    """

    permission_required = "reports.request_report_batch"

    def post(self, request):
        form = BatchRequestForm(request.POST)
        if form.is_valid():
            try:
                batch = services.report_batch_request(actor=request.user, **form.cleaned_data)
            except ServiceError as error:
                report_service_error(request, form, error)
            else:
                return redirect("reports:batch_detail", pk=batch.pk)
        page = Paginator(selectors.batches_for(request.user), PAGE_SIZE).get_page(1)
        return render(request, "reports/batch_list.html", {"form": form, "page_obj": page, "rows": page.object_list},
                      status=400)


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
