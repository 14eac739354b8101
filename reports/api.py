"""The reports API: report PDFs of ratings, applications and months; stored reports; report batches.

PDF routes end in ``.pdf`` (``/api/v1/ratings/{id}/report.pdf``): the router's format-suffix patterns
give ``report.pdf`` alongside ``report/``; errors stay JSON whatever the suffix.
"""
from __future__ import annotations

import datetime as dt

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from creditportal.core.api import model_permissions, validated

from . import selectors, services
from .documents.common import normalise_language
from .models import ReportBatch, ReportLanguage, StoredReport

LANGUAGE_PARAMETER = OpenApiParameter(
    "lang", str, enum=ReportLanguage.values, required=False,
    description="Language of the document (default: the request's language).")
PDF_RESPONSE = {(200, "application/pdf"): OpenApiTypes.BINARY}


def pdf_response(content: bytes, filename: str, sha256: str | None = None) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Content-Length"] = str(len(content))
    response["Cache-Control"] = "private, no-store"
    if sha256:
        response["X-Content-SHA256"] = sha256
        response["ETag"] = f'"{sha256}"'
    return response


def requested_language(request) -> str:
    return normalise_language(request.query_params.get("lang") or getattr(request, "LANGUAGE_CODE", None))


class PdfViewMixin:
    """Errors as JSON even for ``….pdf`` URLs; any other suffix is not found."""

    def perform_content_negotiation(self, request, force=False):
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    def check_suffix(self):
        if getattr(self, "format_kwarg", None) not in (None, "pdf"):
            raise Http404


class RatingReportViewSet(PdfViewMixin, viewsets.GenericViewSet):
    """``GET /api/v1/ratings/{rating_pk}/report.pdf``: the approved rating's stored report."""

    action_permissions = {"report": "reports.download_report"}
    serializer_class = serializers.Serializer

    def get_queryset(self):
        from ratings.models import Rating

        return Rating.objects.visible_to(self.request.user)

    @extend_schema(parameters=[LANGUAGE_PARAMETER], responses=PDF_RESPONSE)
    @action(detail=False, methods=["get"], url_path="report")
    def report(self, request, rating_pk=None, format=None):
        self.check_suffix()
        rating = get_object_or_404(self.get_queryset(), pk=rating_pk)
        report = services.rating_report_download(actor=request.user, rating=rating,
                                                 language=requested_language(request))
        return pdf_response(bytes(report.content), report.filename, report.sha256)


class ApplicationMemoViewSet(PdfViewMixin, viewsets.GenericViewSet):
    """``GET /api/v1/applications/{application_pk}/memo.pdf``: the credit approval memo."""

    action_permissions = {"memo": "reports.download_report"}
    serializer_class = serializers.Serializer

    def get_queryset(self):
        from credit.models import CreditApplication

        return CreditApplication.objects.visible_to(self.request.user)

    @extend_schema(parameters=[LANGUAGE_PARAMETER], responses=PDF_RESPONSE)
    @action(detail=False, methods=["get"], url_path="memo")
    def memo(self, request, application_pk=None, format=None):
        self.check_suffix()
        application = get_object_or_404(self.get_queryset(), pk=application_pk)
        content, filename = services.approval_memo_download(actor=request.user, application=application,
                                                            language=requested_language(request))
        return pdf_response(content, filename)


class PortfolioReportViewSet(PdfViewMixin, viewsets.GenericViewSet):
    """``GET /api/v1/portfolio-reports/{month}/report.pdf`` (month ``YYYY-MM``): the monthly portfolio report."""

    action_permissions = {"report": ["reports.download_report", "customers.view_all_customers"]}
    serializer_class = serializers.Serializer

    @extend_schema(parameters=[LANGUAGE_PARAMETER], responses=PDF_RESPONSE)
    @action(detail=False, methods=["get"], url_path="report")
    def report(self, request, month=None, format=None):
        self.check_suffix()
        try:
            first = dt.date(int(month[:4]), int(month[5:7]), 1)
        except (TypeError, ValueError) as exc:
            raise Http404 from exc
        content, filename = services.portfolio_report_download(actor=request.user, month=first,
                                                               language=requested_language(request))
        return pdf_response(content, filename)


class StoredReportSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = StoredReport
        fields = ["id", "kind", "object_type", "object_id", "customer", "language", "report_number", "title",
                  "size", "sha256", "source_sha256", "created_at", "download_url"]

    def get_download_url(self, obj) -> str:
        request = self.context.get("request")
        path = f"/api/v1/stored-reports/{obj.pk}/download/"
        return request.build_absolute_uri(path) if request else path


class StoredReportViewSet(viewsets.ReadOnlyModelViewSet):
    """Documents generated once and kept: metadata, and ``download`` for the bytes (audited)."""

    serializer_class = StoredReportSerializer
    filterset_fields = ["kind", "object_type", "object_id", "language", "customer"]
    ordering_fields = ["created_at"]
    action_permissions = model_permissions(StoredReport, "read", download="reports.download_report")

    def get_queryset(self):
        return selectors.stored_reports(self.request.user)

    @extend_schema(responses=PDF_RESPONSE)
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        report = get_object_or_404(StoredReport.objects.visible_to(request.user), pk=pk)
        services.stored_report_download(actor=request.user, report=report)
        return pdf_response(bytes(report.content), report.filename, report.sha256)


class ReportBatchSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ReportBatch
        fields = ["id", "kind", "period_start", "period_end", "language", "status", "total", "completed",
                  "failed_count", "percent", "size", "sha256", "error", "requested_by", "created_at", "started_at",
                  "finished_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, obj) -> str | None:
        if obj.status != ReportBatch.Status.DONE:
            return None
        request = self.context.get("request")
        path = f"/api/v1/report-batches/{obj.pk}/download/"
        return request.build_absolute_uri(path) if request else path


class BatchRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReportBatch.Kind.choices, default=ReportBatch.Kind.RATING_REPORTS)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    language = serializers.ChoiceField(choices=ReportLanguage.choices, required=False)


class ReportBatchViewSet(viewsets.ReadOnlyModelViewSet):
    """An auditor's ZIP of every document of a period, built by a Celery task.

    ``GET /api/v1/report-batches/for-period/?kind=rating_reports&period_start=2026-07-01&period_end=2026-09-30``
    finds or starts the batch (idempotent: asking again gives the same one; 202 until it is done, then
    200); poll ``/api/v1/report-batches/{id}/`` and fetch ``…/download/`` when ``status`` is ``done``.
    A read for the auditor's read-only role: the ZIP collects documents that exist or are generated once.
    """

    serializer_class = ReportBatchSerializer
    filterset_fields = ["status", "kind"]
    action_permissions = model_permissions(ReportBatch, "read", for_period="reports.request_report_batch",
                                           download="reports.request_report_batch")

    def get_queryset(self):
        return selectors.batches_for(self.request.user)

    @extend_schema(request=BatchRequestSerializer, responses={200: ReportBatchSerializer, 202: ReportBatchSerializer})
    @action(detail=False, methods=["post"], url_path="for-period")
    def for_period(self, request):
        data = validated(BatchRequestSerializer(data=request.data))
        batch = services.report_batch_request(
            actor=request.user, kind=data["kind"], period_start=data["period_start"],
            period_end=data["period_end"], language=data.get("language") or requested_language(request))
        batch.refresh_from_db()
        code = status.HTTP_200_OK if batch.status == ReportBatch.Status.DONE else status.HTTP_202_ACCEPTED
        return Response(self.get_serializer(batch).data, status=code)

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        batch = self.get_object()
        handle = services.report_batch_download(actor=request.user, batch=batch)
        response = FileResponse(handle, as_attachment=True, filename=batch.filename, content_type="application/zip")
        response["X-Content-SHA256"] = batch.sha256
        return response


def register(router):
    # Separate prefixes (with the parent's id in them) so the ratings and credit apps' own viewsets keep
    # their routes and their place in the API root.
    router.register(r"ratings/(?P<rating_pk>[0-9]+)", RatingReportViewSet, basename="rating-report")
    router.register(r"applications/(?P<application_pk>[0-9]+)", ApplicationMemoViewSet, basename="application-memo")
    router.register(r"portfolio-reports/(?P<month>[0-9-]{6,7})", PortfolioReportViewSet,
                    basename="portfolio-report")
    router.register("stored-reports", StoredReportViewSet, basename="stored-report")
    router.register("report-batches", ReportBatchViewSet, basename="report-batch")
