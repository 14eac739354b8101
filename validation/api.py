"""API of model validation: ``/api/v1/validation-runs/`` (backtests, their PDF report) and
``/api/v1/simulations/`` (dry runs of a draft model or policy, activation after the look).

Thin viewsets: querysets from ``visible_to``, writes through ``validation.services``, deny-by-default
``action_permissions``.
"""
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from credit.models import CreditPolicy
from creditportal.core.api import VisibleRelatedField, model_permissions, validated
from ratings.models import RatingModel

from . import selectors, services
from .models import OutcomeImport, Simulation, ValidationRun


class ValidationRunSerializer(serializers.ModelSerializer):
    model = VisibleRelatedField(RatingModel)
    outcome_import = VisibleRelatedField(OutcomeImport, required=False, allow_null=True)
    model_name = serializers.CharField(source="model.__str__", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = ValidationRun
        fields = ["id", "model", "model_name", "source", "outcome_import", "period_start", "period_end",
                  "psi_base_date", "psi_compare_date", "definition", "status", "sample_size", "default_count", "auc",
                  "gini", "ks", "psi", "results", "error", "created_by", "created_at", "finished_at"]
        read_only_fields = ["definition", "status", "sample_size", "default_count", "auc", "gini", "ks", "psi",
                            "results", "error", "created_by", "created_at", "finished_at"]


class ValidationRunListSerializer(ValidationRunSerializer):
    class Meta(ValidationRunSerializer.Meta):
        fields = [f for f in ValidationRunSerializer.Meta.fields if f != "results"]


class ValidationRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                           viewsets.GenericViewSet):
    action_permissions = model_permissions(ValidationRun, "read", create="validation.run_validation",
                                           report="validation.view_validationrun")

    def get_queryset(self):
        return selectors.runs_for(self.request.user)

    def get_serializer_class(self):
        return ValidationRunListSerializer if self.action == "list" else ValidationRunSerializer

    def create(self, request, *args, **kwargs):
        data = validated(ValidationRunSerializer(data=request.data, context=self.get_serializer_context()))
        run = services.validation_run_start(
            actor=request.user, model=data["model"], period_start=data["period_start"],
            period_end=data["period_end"], source=data.get("source", "portal"),
            outcome_import=data.get("outcome_import"), psi_base_date=data.get("psi_base_date"),
            psi_compare_date=data.get("psi_compare_date"))
        return Response(ValidationRunSerializer(self.get_queryset().get(pk=run.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"], url_path="report.pdf")
    def report(self, request, pk=None):
        from .report_pdf import validation_report_pdf

        run = self.get_object()
        services.report_downloaded(actor=request.user, run=run)
        response = HttpResponse(validation_report_pdf(run), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="validation-{run.pk}.pdf"'
        return response


class SimulationSerializer(serializers.ModelSerializer):
    rating_model = VisibleRelatedField(RatingModel, required=False, allow_null=True)
    credit_policy = VisibleRelatedField(CreditPolicy, required=False, allow_null=True)
    percent = serializers.IntegerField(read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = Simulation
        fields = ["id", "kind", "rating_model", "credit_policy", "business_date", "status", "total", "processed",
                  "percent", "results", "error", "created_by", "created_at", "started_at", "finished_at"]
        read_only_fields = ["kind", "business_date", "status", "total", "processed", "results", "error",
                            "created_by", "created_at", "started_at", "finished_at"]


class SimulationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                        viewsets.GenericViewSet):
    serializer_class = SimulationSerializer
    action_permissions = model_permissions(Simulation, "read", create="validation.run_simulation",
                                           # four-eyes is checked by the ratings/credit services themselves
                                           activate_model="ratings.approve_ratingmodel",
                                           activate_policy="credit.approve_creditpolicy")

    def get_queryset(self):
        return selectors.simulations_for(self.request.user)

    def create(self, request, *args, **kwargs):
        data = validated(self.get_serializer(data=request.data))
        sim = services.simulation_start(actor=request.user, rating_model=data.get("rating_model"),
                                        credit_policy=data.get("credit_policy"))
        return Response(self.get_serializer(self.get_queryset().get(pk=sim.pk)).data, status=status.HTTP_201_CREATED)

    def _activate(self, request, kind):
        sim = self.get_object()
        services.simulation_activate(actor=request.user, simulation=sim, kind=kind)
        return Response(self.get_serializer(self.get_queryset().get(pk=sim.pk)).data)

    @extend_schema(request=None, responses=SimulationSerializer)
    @action(detail=True, methods=["post"], url_path="activate-model")
    def activate_model(self, request, pk=None):
        """Activate the simulated draft rating model version (a second person: four-eyes)."""
        return self._activate(request, Simulation.Kind.RATING_MODEL)

    @extend_schema(request=None, responses=SimulationSerializer)
    @action(detail=True, methods=["post"], url_path="activate-policy")
    def activate_policy(self, request, pk=None):
        """Put the simulated draft credit policy in force (a second person: four-eyes)."""
        return self._activate(request, Simulation.Kind.CREDIT_POLICY)


def register(router):
    router.register("validation-runs", ValidationRunViewSet, basename="validation-run")
    router.register("simulations", SimulationViewSet, basename="simulation")
