"""Dunning: policies and their four-eyes changes, the actions taken, the policy by grade (issue 23)."""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action

from creditportal.core.api import IntegerField as AsciiIntegerField
from creditportal.core.api import model_permissions, referenced_object, validated
from creditportal.core.querysets import VisibleRowsMixin
from proposals.api import CHANGE_FIELDS, ChangeSerializer, ChangeViewSet, change_permissions, proposed_response

from .. import selectors, services
from ..models import DunningAction, DunningActionKind, DunningChangeKind, DunningGradePolicy, DunningLevel, DunningPolicy, DunningPolicyChange


class DunningLevelSerializer(serializers.ModelSerializer):
    action = serializers.CharField(help_text=", ".join(DunningActionKind.values))

    class Meta:
        model = DunningLevel
        fields = ["id", "order", "name", "name_en", "days_past_due", "action"]


class DunningPolicySerializer(serializers.ModelSerializer):
    levels = DunningLevelSerializer(many=True, read_only=True)

    class Meta:
        model = DunningPolicy
        fields = ["id", "name", "name_en", "is_active", "small_amount_tolerance", "late_fee_daily_rate", "case_open_order",
                  "letter_language", "levels"]


class DunningActionSerializer(serializers.ModelSerializer):
    action = serializers.CharField(read_only=True, help_text=", ".join(DunningActionKind.values))

    class Meta:
        model = DunningAction
        fields = ["id", "customer", "level", "level_order", "action", "business_date", "max_days_past_due",
                  "overdue_amount", "currency", "invoice_ids", "outcome", "outcome_note", "assigned_to", "closed_on"]


class DunningPolicyChangeSerializer(ChangeSerializer):
    """A proposed change of the dunning configuration: ``values`` (proposed) and ``previous`` (in force) of what
    it changes; it takes effect when another risk administrator approves it."""

    kind = serializers.CharField(read_only=True, help_text=", ".join(DunningChangeKind.values))

    class Meta(ChangeSerializer.Meta):
        model = DunningPolicyChange
        fields = ["id", "kind", "policy", "level", *CHANGE_FIELDS]
        read_only_fields = fields


def _proposed(change):
    return proposed_response(change, DunningPolicyChangeSerializer)


class DunningPolicyViewSet(viewsets.ReadOnlyModelViewSet):
    """Dunning policies (everyone with collection read rights reads). A risk administrator's POST (new policy),
    PUT/PATCH (a change, activation included) and POST ``levels`` (a new level, or a change with ``id``) do not
    change the configuration: they answer 202 with a proposal (``dunning-policy-changes``) that takes effect when
    another risk administrator approves it (four-eyes)."""

    serializer_class = DunningPolicySerializer
    action_permissions = model_permissions(DunningPolicy, "read", "create", "update",
                                           levels="collection.change_dunningpolicy")

    def get_queryset(self):
        return DunningPolicy.objects.prefetch_related("levels")

    @extend_schema(responses={202: DunningPolicyChangeSerializer})
    def create(self, request, *args, **kwargs):
        data = validated(self.get_serializer(data=request.data))
        return _proposed(services.dunning_policy_propose(actor=request.user, **data))

    @extend_schema(responses={202: DunningPolicyChangeSerializer})
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        policy = self.get_object()
        data = validated(self.get_serializer(policy, data=request.data, partial=partial))
        return _proposed(services.dunning_policy_propose(actor=request.user, policy=policy, **data))

    @extend_schema(responses={202: DunningPolicyChangeSerializer})
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(request=DunningLevelSerializer, responses={202: DunningPolicyChangeSerializer})
    @action(detail=True, methods=["post"])
    def levels(self, request, pk=None):
        policy = self.get_object()
        data = validated(DunningLevelSerializer(data=request.data))
        level = None
        if request.data.get("id"):
            level = referenced_object(DunningLevel.objects.filter(policy=policy), request.data["id"], "id")
        return _proposed(services.dunning_level_propose(actor=request.user, policy=policy, level=level,
                                                        **data))


class DunningPolicyChangeViewSet(ChangeViewSet):
    """Proposed changes of the dunning configuration (open ones first); another risk administrator than the
    proposer POSTs ``approve`` (it takes effect) or ``reject`` (with the reason in ``note``); the proposer may
    ``withdraw`` (the shared shape of ``proposals.api``)."""

    serializer_class = DunningPolicyChangeSerializer
    action_permissions = change_permissions(DunningPolicyChange, decide="collection.change_dunningpolicy")

    def get_queryset(self):
        return selectors.dunning_changes(self.request.user)


class DunningActionViewSet(VisibleRowsMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = DunningActionSerializer
    filterset_fields = ["customer", "action", "outcome"]
    action_permissions = model_permissions(DunningAction, "read")
    queryset = DunningAction.objects.all()


# --- dunning by grade (issue 23) -------------------------------------------------------------------------------

class DunningGradeSerializer(serializers.ModelSerializer):
    """A rating letter's dunning policy (letters without one are dunned by the active, default policy). A POST
    (``letter``, ``policy``: an id, or null for the default) answers 202 with a proposal (``proposals``) that takes
    effect when another risk administrator approves it."""

    policy = AsciiIntegerField(source="policy_id", allow_null=True, min_value=1,
                               help_text="The dunning policy's id (null: the default policy).")
    policy_name = serializers.CharField(source="policy.name", read_only=True)

    class Meta:
        model = DunningGradePolicy
        fields = ["id", "letter", "policy", "policy_name", "updated_at"]
        read_only_fields = ["id", "updated_at"]
        validators = []
        extra_kwargs = {"letter": {"validators": []}}


class DunningGradeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                          viewsets.GenericViewSet):
    serializer_class = DunningGradeSerializer
    filter_backends = []
    action_permissions = model_permissions(DunningPolicy, "read", create="collection.change_dunningpolicy")

    def get_queryset(self):
        return DunningGradePolicy.objects.select_related("policy").order_by("letter")

    @extend_schema(responses={202: OpenApiTypes.OBJECT})
    def create(self, request, *args, **kwargs):
        data = validated(self.get_serializer(data=request.data))
        return proposed_response(services.dunning_grade_propose(actor=request.user, letter=data["letter"],
                                                                policy=data.get("policy_id")))


def register(router):
    router.register("dunning-policies", DunningPolicyViewSet, basename="dunning-policy")
    router.register("dunning-policy-changes", DunningPolicyChangeViewSet, basename="dunning-policy-change")
    router.register("dunning-actions", DunningActionViewSet, basename="dunning-action")
    router.register("dunning-grades", DunningGradeViewSet, basename="dunning-grade")
