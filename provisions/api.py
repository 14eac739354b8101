"""API of the expected credit loss under ``/api/v1/``:

* ``aging-snapshots/`` — month-end snapshots (POST ``{"period"}`` takes one; idempotent);
* ``ecl-scenarios/`` — forward-looking scenario sets in force (POST proposes: 202 with the proposal);
* ``ecl-scenario-changes/`` — the proposals (``approve``/``reject`` by another risk admin, ``withdraw``);
* ``impaired-assessments/`` — credit-impaired customers assessed one by one (POST enters or replaces one;
  ``evidence`` lists (GET) or uploads (POST multipart ``file``, ``title``) its evidence files,
  ``evidence/<id>`` downloads one);
* ``ecl-runs/`` — runs (POST proposes; ``approve``, ``reject``, ``lock``; ``lines``; ``disclosure``).

Thin viewsets: querysets from ``visible_to``, writes through ``provisions.services``, deny-by-default
``action_permissions``.
"""
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from creditportal.core.api import VisibleRelatedField, model_permissions, validated
from creditportal.core.canonical import jsonable
from customers.models import Customer
from proposals.api import ChangeSerializer, ChangeViewSet, change_permissions, proposed_response

from . import selectors, services
from .models import (AgingSnapshot, AssessmentEvidence, Averaging, EclLine, EclRun, ImpairedAssessment, ScenarioChange,
                     ScenarioSet, SegmentBy)



class AgingSnapshotSerializer(serializers.ModelSerializer):
    taken_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = AgingSnapshot
        fields = ["id", "period", "previous_period", "currency", "totals", "total_gross", "customer_count",
                  "sha256", "taken_by", "taken_at"]
        read_only_fields = fields


class EclPeriodSerializer(serializers.Serializer):
    period = serializers.DateField()


class SnapshotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AgingSnapshotSerializer
    filter_backends = []
    action_permissions = model_permissions(AgingSnapshot, "read", create="provisions.take_agingsnapshot")

    def get_queryset(self):
        return selectors.snapshots_for(self.request.user).order_by("-period")

    @extend_schema(request=EclPeriodSerializer, responses=AgingSnapshotSerializer)
    def create(self, request):
        data = validated(EclPeriodSerializer(data=request.data))
        snapshot = services.snapshot_take(actor=request.user, period=data["period"])
        return Response(AgingSnapshotSerializer(snapshot).data, status=status.HTTP_201_CREATED)


class EclScenarioItemSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    weight = serializers.DecimalField(max_digits=7, decimal_places=4)
    factor = serializers.DecimalField(max_digits=9, decimal_places=4)
    bucket_factors = serializers.DictField(child=serializers.DecimalField(max_digits=9, decimal_places=4),
                                           required=False)


class ScenarioSetSerializer(serializers.ModelSerializer):
    """A set of scenarios put in force (``active``) or replaced by a later one (``retired``)."""

    scenarios = EclScenarioItemSerializer(many=True, read_only=True)
    proposed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ScenarioSet
        fields = ["id", "name", "scenarios", "reason", "state", "change", "proposed_by", "proposed_at", "decided_by",
                  "decided_at"]
        read_only_fields = fields


class ScenarioProposeSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    reason = serializers.CharField(help_text="Why: the source of the forecast.")
    scenarios = EclScenarioItemSerializer(many=True, help_text="Weights in percent adding up to 100; factors ≥ 0.")


class ScenarioChangeSerializer(ChangeSerializer):
    """Proposed scenarios: ``values`` = {name, reason, scenarios}; ``previous`` = the set in force when proposed."""

    class Meta(ChangeSerializer.Meta):
        model = ScenarioChange
        fields = ["id", "key", "state", "values", "previous", "proposed_by", "proposed_at", "decided_by",
                  "decided_at", "decision_note"]
        read_only_fields = fields


class ScenarioSetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The scenario sets put in force (newest first). POST proposes a new set: 202 with the proposal, which a
    second risk administrator decides under ``ecl-scenario-changes/`` (the one shape of ``proposals.api``)."""

    serializer_class = ScenarioSetSerializer
    filter_backends = []
    action_permissions = model_permissions(ScenarioSet, "read", "create")

    def get_queryset(self):
        return selectors.scenario_sets_for(self.request.user)

    @extend_schema(request=ScenarioProposeSerializer, responses={202: ScenarioChangeSerializer})
    def create(self, request, *args, **kwargs):
        data = validated(ScenarioProposeSerializer(data=request.data))
        change = services.scenario_set_propose(actor=request.user, name=data["name"], reason=data["reason"],
                                               scenarios=[dict(s) for s in data["scenarios"]])
        return proposed_response(change, ScenarioChangeSerializer)


class ScenarioChangeViewSet(ChangeViewSet):
    """Proposed scenario sets; another risk administrator than the proposer POSTs ``approve`` (they are put in
    force) or ``reject`` (with the reason in ``note``); the proposer may ``withdraw``."""

    serializer_class = ScenarioChangeSerializer
    action_permissions = change_permissions(ScenarioChange, decide="provisions.approve_scenarioset",
                                            withdraw="provisions.add_scenarioset")

    def get_queryset(self):
        return selectors.scenario_changes_for(self.request.user)


class ImpairedAssessmentSerializer(serializers.ModelSerializer):
    customer = VisibleRelatedField(Customer)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ImpairedAssessment
        fields = ["id", "customer", "customer_name", "period", "exposure", "collateral_value", "collateral_haircut",
                  "guarantees", "insurance_cover", "expected_recoveries", "ecl", "reason", "evidence", "created_by",
                  "created_at"]
        read_only_fields = ["exposure", "expected_recoveries", "ecl", "created_by", "created_at"]


class AssessmentEvidenceSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = AssessmentEvidence
        fields = ["id", "assessment", "customer", "title", "original_name", "content_type", "size", "sha256",
                  "uploaded_by", "uploaded_at"]
        read_only_fields = fields


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AssessmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                        viewsets.GenericViewSet):
    serializer_class = ImpairedAssessmentSerializer
    filter_backends = []
    action_permissions = model_permissions(ImpairedAssessment, "read", create="provisions.assess_impaired",
                                           evidence="provisions.view_impairedassessment",
                                           evidence_upload="provisions.assess_impaired",
                                           evidence_download="provisions.view_impairedassessment")

    @extend_schema(responses=AssessmentEvidenceSerializer(many=True))
    @action(detail=True, methods=["get"], parser_classes=[MultiPartParser, FormParser])
    def evidence(self, request, pk=None):
        """The assessment's evidence files."""
        assessment = self.get_object()
        return Response(AssessmentEvidenceSerializer(selectors.evidence_for(request.user, assessment),
                                                     many=True).data)

    @extend_schema(request={"multipart/form-data": EvidenceUploadSerializer},
                   responses={201: AssessmentEvidenceSerializer})
    @evidence.mapping.post
    def evidence_upload(self, request, pk=None):
        """Upload one evidence file (checked like the customer documents; audited)."""
        assessment = self.get_object()
        data = validated(EvidenceUploadSerializer(data=request.data))
        item = services.evidence_upload(actor=request.user, assessment=assessment,
                                        uploaded_file=data["file"],
                                        title=data["title"])
        return Response(AssessmentEvidenceSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"evidence/(?P<evidence_pk>[0-9]+)")
    def evidence_download(self, request, pk=None, evidence_pk=None):
        """Download one evidence file (audited)."""
        assessment = self.get_object()
        item = get_object_or_404(selectors.evidence_for(request.user, assessment), pk=evidence_pk)
        handle = services.evidence_open(actor=request.user, evidence=item)
        return FileResponse(handle, as_attachment=True, filename=item.original_name, content_type=item.content_type)

    def get_queryset(self):
        return selectors.assessments_for(self.request.user)

    def create(self, request, *args, **kwargs):
        data = validated(self.get_serializer(data=request.data))
        customer = data["customer"]  # resolved among the caller's visible customers (VisibleRelatedField)
        item = services.impaired_assess(
            actor=request.user, customer=customer, period=data["period"], reason=data["reason"],
            evidence=data.get("evidence", ""), collateral_value=data.get("collateral_value", 0),
            collateral_haircut=data.get("collateral_haircut", 0), guarantees=data.get("guarantees", 0),
            insurance_cover=data.get("insurance_cover", 0))
        return Response(self.get_serializer(item).data, status=status.HTTP_201_CREATED)


class EclRunSerializer(serializers.ModelSerializer):
    proposed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    locked_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = EclRun
        fields = ["id", "period", "state", "currency", "lookback", "averaging", "segment_by", "min_history",
                  "scenario_set", "total_gross", "matrix_allowance", "individual_allowance", "total_allowance",
                  "corrects", "correction_reason", "override_reason", "sha256", "proposed_by", "proposed_at",
                  "approved_by", "approved_at", "locked_by", "locked_at", "decision_note"]
        read_only_fields = fields


class EclRunDetailSerializer(EclRunSerializer):
    class Meta(EclRunSerializer.Meta):
        fields = [*EclRunSerializer.Meta.fields, "scenarios", "override", "rates", "matrix", "movement", "comparison"]
        read_only_fields = fields


class EclProposeSerializer(serializers.Serializer):
    period = serializers.DateField()
    lookback = serializers.IntegerField(min_value=1, max_value=120, default=24)
    averaging = serializers.ChoiceField(choices=Averaging.choices, default=Averaging.SIMPLE)
    segment_by = serializers.ChoiceField(choices=SegmentBy.choices, default=SegmentBy.BOOK)
    min_history = serializers.IntegerField(min_value=0, max_value=120, default=12)
    override = serializers.DictField(child=serializers.DecimalField(max_digits=9, decimal_places=6), required=False)
    override_reason = serializers.CharField(required=False, allow_blank=True, default="")
    corrects = serializers.IntegerField(required=False, allow_null=True)
    correction_reason = serializers.CharField(required=False, allow_blank=True, default="")


class EclNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class EclLineSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)

    class Meta:
        model = EclLine
        fields = ["customer", "customer_name", "segment", "bucket", "gross", "rate", "allowance", "impaired"]
        read_only_fields = fields


class EclRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Month-end ECL runs: POST proposes one, ``approve`` (another person), ``reject``, ``lock``; ``lines`` the
    customers' lines; ``disclosure`` the matrix and movement tables finance puts in its notes."""

    filter_backends = []
    action_permissions = model_permissions(EclRun, "read", create="provisions.propose_eclrun",
                                           approve="provisions.approve_eclrun", reject="provisions.approve_eclrun",
                                           lock="provisions.approve_eclrun",
                                           lines=("provisions.view_eclrun", "provisions.view_eclline"),
                                           disclosure="provisions.view_eclrun")

    def get_queryset(self):
        qs = selectors.runs_for(self.request.user)
        if self.action != "list":
            qs = EclRun.objects.visible_to(self.request.user).select_related("proposed_by", "approved_by",
                                                                              "locked_by")
        return qs

    def get_serializer_class(self):
        return EclRunSerializer if self.action == "list" else EclRunDetailSerializer

    @extend_schema(request=EclProposeSerializer, responses=EclRunDetailSerializer)
    def create(self, request):
        data = validated(EclProposeSerializer(data=request.data))
        corrects = None
        if data.get("corrects"):
            corrects = get_object_or_404(EclRun.objects.visible_to(request.user), pk=data["corrects"])
        run = services.ecl_run_propose(
            actor=request.user, period=data["period"], lookback=data["lookback"], averaging=data["averaging"],
            segment_by=data["segment_by"], min_history=data["min_history"],
            override={k: str(v) for k, v in (data.get("override") or {}).items()},
            override_reason=data["override_reason"], corrects=corrects, correction_reason=data["correction_reason"])
        return Response(EclRunDetailSerializer(run).data, status=status.HTTP_201_CREATED)

    def _decide(self, request, service):
        data = validated(EclNoteSerializer(data=request.data))
        kwargs = {"note": data["note"]} if service is not services.ecl_run_lock else {}
        run = service(actor=request.user, run=self.get_object(), **kwargs)
        return Response(EclRunDetailSerializer(run).data)

    @extend_schema(request=EclNoteSerializer, responses=EclRunDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve a proposed run (never by its proposer)."""
        return self._decide(request, services.ecl_run_approve)

    @extend_schema(request=EclNoteSerializer, responses=EclRunDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, services.ecl_run_reject)

    @extend_schema(request=None, responses=EclRunDetailSerializer)
    @action(detail=True, methods=["post"])
    def lock(self, request, pk=None):
        """Lock an approved run: the month is never recomputed."""
        return self._decide(request, services.ecl_run_lock)

    @extend_schema(responses=EclLineSerializer(many=True))
    @action(detail=True, methods=["get"])
    def lines(self, request, pk=None):
        run = self.get_object()
        queryset = selectors.lines_for(request.user, run)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(EclLineSerializer(page, many=True).data)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def disclosure(self, request, pk=None):
        data = selectors.disclosure(self.get_object())
        data["run"] = data["run"].pk
        return Response(jsonable(data))


def register(router):
    router.register("aging-snapshots", SnapshotViewSet, basename="aging-snapshot")
    router.register("ecl-scenarios", ScenarioSetViewSet, basename="ecl-scenario")
    router.register("ecl-scenario-changes", ScenarioChangeViewSet, basename="ecl-scenario-change")
    router.register("impaired-assessments", AssessmentViewSet, basename="impaired-assessment")
    router.register("ecl-runs", EclRunViewSet, basename="ecl-run")
