"""Collection cases with their transitions, write-offs, activities and promises to pay."""
from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from creditportal.core.api import DecimalField as AsciiDecimalField, IntegerField as AsciiIntegerField
from creditportal.core.api import VisibleRelatedField, model_permissions, validated
from creditportal.core.idempotency import idempotent
from creditportal.core.querysets import VisibleRowsMixin

from .. import services
from ..filtersets import CaseFilterSet
from ..models import CollectionActivity, CollectionCase, PromiseToPay, WriteOff
from ._common import User, body_customer
from .receivables import PaymentSerializer


class CaseSerializer(serializers.ModelSerializer):
    customer = AsciiIntegerField(source="customer_id")
    assigned_to = serializers.SlugRelatedField(slug_field="username", read_only=True)
    invoices = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = CollectionCase
        fields = ["id", "customer", "assigned_to", "state", "escalation_channel", "opened_on", "closed_on",
                  "next_action_on", "broken_promises", "invoices", "note"]
        read_only_fields = ["state", "escalation_channel", "opened_on", "closed_on", "next_action_on",
                            "broken_promises"]


class CaseOpenSerializer(serializers.Serializer):
    customer = AsciiIntegerField()
    assigned_to = serializers.CharField(required=False, allow_blank=True, help_text="collector's username")
    note = serializers.CharField(required=False, allow_blank=True)


class ActivitySerializer(serializers.ModelSerializer):
    case = VisibleRelatedField(CollectionCase)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CollectionActivity
        fields = ["id", "case", "kind", "occurred_on", "outcome", "next_step", "next_action_on", "created_by"]


class PromiseSerializer(serializers.ModelSerializer):
    case = VisibleRelatedField(CollectionCase)

    class Meta:
        model = PromiseToPay
        fields = ["id", "case", "made_on", "promised_date", "amount", "currency", "state", "resolved_on", "note"]
        read_only_fields = ["made_on", "state", "resolved_on"]


class WriteOffSerializer(serializers.ModelSerializer):
    proposed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = WriteOff
        fields = ["id", "case", "amount", "currency", "reason", "state", "proposed_by", "proposed_on", "decided_by",
                  "decided_on", "decision_note"]
        read_only_fields = fields  # proposed through the case (``propose-writeoff``), never from this shape


class RecoverySerializer(serializers.Serializer):
    amount = AsciiDecimalField(18, 2)
    received_on = serializers.DateField()
    currency = serializers.CharField(required=False, default="CNY")
    reference = serializers.CharField(required=False, default="", allow_blank=True)


class CollectionNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


CASE_CHANGE = "collection.change_collectioncase"


class CaseViewSet(VisibleRowsMixin, viewsets.ReadOnlyModelViewSet):
    """Collection cases; every transition is a POST action named after it (409 from the wrong state)."""

    serializer_class = CaseSerializer
    filterset_class = CaseFilterSet
    ordering_fields = ["opened_on", "next_action_on"]
    action_permissions = model_permissions(CollectionCase, "read", "create", start=CASE_CHANGE, escalate=CASE_CHANGE,
                                           close=CASE_CHANGE, mark_paid=CASE_CHANGE, assign=CASE_CHANGE,
                                           propose_writeoff="collection.propose_writeoff",
                                           recovery="collection.add_payment")
    queryset = (CollectionCase.objects.select_related("assigned_to").prefetch_related("invoices")
                .order_by("opened_on", "pk"))

    def _done(self, case, code=status.HTTP_200_OK):
        return Response(CaseSerializer(self.get_queryset().get(pk=case.pk)).data, status=code)

    @extend_schema(request=CaseOpenSerializer, responses=CaseSerializer)
    def create(self, request):
        d = validated(CaseOpenSerializer(data=request.data))
        collector = None
        if d.get("assigned_to"):
            collector = User.objects.filter(username=d["assigned_to"]).first()
            if collector is None:
                raise serializers.ValidationError({"assigned_to": [_("Unknown user.")]})
        case = services.case_open(actor=request.user, customer=body_customer(request.user, d["customer"]),
                                  assigned_to=collector, note=d.get("note", ""))
        return self._done(case, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._done(services.case_start(actor=request.user, case=self.get_object()))

    @extend_schema(request=inline_serializer("Escalate", {"channel": serializers.CharField(
        help_text="agency, arbitration or litigation")}), responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        return self._done(services.case_escalate(actor=request.user, case=self.get_object(),
                                                 channel=request.data.get("channel", "")))

    @extend_schema(request=CollectionNoteSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._done(services.case_close(actor=request.user, case=self.get_object(),
                                              note=str(request.data.get("note", ""))))

    @extend_schema(request=None, responses=CaseSerializer)
    @action(detail=True, methods=["post"], url_path="mark-paid")
    def mark_paid(self, request, pk=None):
        return self._done(services.case_mark_paid(actor=request.user, case=self.get_object()))

    @extend_schema(request=inline_serializer("Assign", {"collector": serializers.CharField()}), responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        case = self.get_object()
        collector = User.objects.filter(username=request.data.get("collector", "")).first()
        if collector is None:
            raise serializers.ValidationError({"collector": ["Unknown user."]})
        return self._done(services.case_assign(actor=request.user, case=case, collector=collector))

    @extend_schema(request=inline_serializer("Propose", {"reason": serializers.CharField()}),
                   responses=WriteOffSerializer)
    @action(detail=True, methods=["post"], url_path="propose-writeoff")
    def propose_writeoff(self, request, pk=None):
        writeoff = services.writeoff_propose(actor=request.user, case=self.get_object(),
                                             reason=str(request.data.get("reason", "")))
        return Response(WriteOffSerializer(writeoff).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RecoverySerializer, responses={201: PaymentSerializer})
    @action(detail=True, methods=["post"])
    @idempotent
    def recovery(self, request, pk=None):
        case = self.get_object()
        data = validated(RecoverySerializer(data=request.data))
        payment = services.recovery_record(actor=request.user, case=case, **data)
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


class WriteOffViewSet(VisibleRowsMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = WriteOffSerializer
    action_permissions = model_permissions(WriteOff, "read", approve="collection.approve_writeoff",
                                           reject="collection.approve_writeoff")
    queryset = WriteOff.objects.select_related("proposed_by", "decided_by")

    @extend_schema(request=CollectionNoteSerializer, responses=WriteOffSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def approve(self, request, pk=None):
        w = services.writeoff_approve(actor=request.user, writeoff=self.get_object(),
                                      note=str(request.data.get("note", "")))
        return Response(WriteOffSerializer(w).data)

    @extend_schema(request=CollectionNoteSerializer, responses=WriteOffSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        w = services.writeoff_reject(actor=request.user, writeoff=self.get_object(),
                                     note=str(request.data.get("note", "")))
        return Response(WriteOffSerializer(w).data)


class ActivityViewSet(VisibleRowsMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ActivitySerializer
    filterset_fields = ["case", "kind"]
    action_permissions = model_permissions(CollectionActivity, "read", "create")
    queryset = CollectionActivity.objects.select_related("created_by")

    def create(self, request, *args, **kwargs):
        d = validated(self.get_serializer(data=request.data))
        activity = services.activity_add(actor=request.user, case=d["case"],
                                         kind=d["kind"], outcome=d["outcome"], occurred_on=d.get("occurred_on"),
                                         next_step=d.get("next_step", ""), next_action_on=d.get("next_action_on"))
        return Response(ActivitySerializer(activity).data, status=status.HTTP_201_CREATED)


class PromiseViewSet(VisibleRowsMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = PromiseSerializer
    filterset_fields = ["case", "state"]
    action_permissions = model_permissions(PromiseToPay, "read", "create")
    queryset = PromiseToPay.objects.all()

    def create(self, request, *args, **kwargs):
        d = validated(self.get_serializer(data=request.data))
        promise = services.promise_add(actor=request.user, case=d["case"],
                                       promised_date=d["promised_date"], amount=d["amount"],
                                       currency=d.get("currency", "CNY"), note=d.get("note", ""))
        return Response(PromiseSerializer(promise).data, status=status.HTTP_201_CREATED)


def register(router):
    router.register("collection-cases", CaseViewSet, basename="collection-case")
    router.register("write-offs", WriteOffViewSet, basename="write-off")
    router.register("activities", ActivityViewSet, basename="collection-activity")
    router.register("promises", PromiseViewSet, basename="promise")
