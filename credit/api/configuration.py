"""API of the configuration: credit policies, authority levels, approvers, delegations,
group limits (writes are four-eyes proposals)."""
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from creditportal.core.api import VisibleRelatedField, model_permissions, validated
from creditportal.core.querysets import VisibleRowsMixin
from customers.models import CustomerGroup
from proposals.api import ChangeSerializer, proposed_response
from proposals.models import Proposal

from .. import rules, services
from ..models import ApproverAuthority, AuthorityLevel, CreditPolicy, Delegation, GroupLimit, PolicyGradeRule
from ._common import CreditViewSetMixin, User


# --- Configuration: policies, matrix, delegations, group limits -------------------------------

class PolicyRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = PolicyGradeRule
        fields = ["grade", "eligible", "max_limit", "max_limit_hard", "max_equity_share", "max_revenue_share",
                  "share_hard", "max_term_months", "term_hard", "min_coverage", "coverage_hard",
                  "pricing_spread_bps", "review_months", "max_payment_term_days", "payment_term_hard",
                  "deposit_percent", "sizing_method", "sizing_share"]


class PolicySerializer(serializers.ModelSerializer):
    rules = PolicyRuleSerializer(many=True, required=False)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    activated_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = CreditPolicy
        fields = ["id", "name", "name_en", "version", "effective_from", "status", "notes", "overdue_tolerance_days", "rules",
                  "created_by",
                  "created_at", "activated_by", "activated_at"]
        read_only_fields = ["version", "status", "created_by", "created_at", "activated_by", "activated_at"]


class PolicyViewSet(VisibleRowsMixin, CreditViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                    mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = PolicySerializer
    action_permissions = model_permissions(CreditPolicy, "read", "create", "update",
                                           activate="credit.approve_creditpolicy")
    queryset = CreditPolicy.objects.select_related("created_by", "activated_by").prefetch_related("rules")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.policy_create(actor=self.request.user, rules=data.pop("rules", []), **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.policy_update(actor=self.request.user, policy=serializer.instance,
                                                     rules=data.pop("rules", None), **data)

    @extend_schema(request=None, responses=PolicySerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        policy = services.policy_activate(actor=request.user, policy=self.get_object())
        return Response(PolicySerializer(self.get_queryset().get(pk=policy.pk)).data)


class AuthorityLevelSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuthorityLevel
        fields = ["id", "number", "name", "name_en", "max_amount", "weakest_grade"]
        extra_kwargs = {"number": {"validators": []}}


class ProposeOnCreateMixin:
    """Configuration that takes four-eyes: POST does not change it but proposes, and answers 202 with the
    proposal (``config-changes``, the shared shape of ``proposals.api``); it applies once another risk
    administrator approves it. ``propose(data, instance)`` calls the service."""

    @extend_schema(responses={202: ChangeSerializer})
    def create(self, request, *args, **kwargs):
        data = validated(self.get_serializer(data=request.data))
        return self._answer(self.propose(data, None))

    def _answer(self, result):
        if isinstance(result, Proposal):
            return proposed_response(result)
        return Response(self.get_serializer(result).data, status=status.HTTP_201_CREATED)


class ProposeOnWriteMixin(ProposeOnCreateMixin):
    """... and PUT / PATCH propose too (202)."""

    @extend_schema(responses={202: ChangeSerializer})
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        data = validated(self.get_serializer(instance, data=request.data, partial=partial))
        return self._answer(self.propose(data, instance))

    @extend_schema(responses={202: ChangeSerializer})
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)


class ConfigChangeViewSet(VisibleRowsMixin, ProposeOnWriteMixin, CreditViewSetMixin, mixins.ListModelMixin,
                          mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                          viewsets.GenericViewSet):
    # A four-eyes configuration table (the rows of its ``queryset`` the user may see): a change starts from the
    # row's ``current_fields`` (a PATCH names only what changes) and goes to ``propose_change(data, row)``. (A
    # comment, not a docstring: the routes keep ProposeOnWriteMixin's text as their description in the schema.)
    current_fields: tuple[str, ...] = ()

    def propose(self, data, row):
        if row is not None:
            data = {**{field: getattr(row, field) for field in self.current_fields}, **data}
        return self.propose_change(data, row)

    def propose_change(self, data, row):
        raise NotImplementedError


class AuthorityLevelViewSet(ConfigChangeViewSet):
    serializer_class = AuthorityLevelSerializer
    pagination_class = None
    action_permissions = model_permissions(AuthorityLevel, "read", "create", "update")
    current_fields = ("number", "name", "name_en", "max_amount", "weakest_grade")
    queryset = AuthorityLevel.objects.all()

    def propose_change(self, data, level):
        return services.authority_level_propose(actor=self.request.user, level=level, **data)


class ApproverAuthoritySerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.filter(is_active=True))
    level = serializers.SlugRelatedField(slug_field="number", queryset=AuthorityLevel.objects.all())

    class Meta:
        model = ApproverAuthority
        fields = ["id", "user", "level", "active", "updated_at"]
        read_only_fields = ["updated_at"]
        validators = []
        extra_kwargs = {"user": {"validators": []}}


class ApproverAuthorityViewSet(ConfigChangeViewSet):
    serializer_class = ApproverAuthoritySerializer
    action_permissions = model_permissions(ApproverAuthority, "read", "create", "update")
    current_fields = ("user", "level", "active")
    queryset = ApproverAuthority.objects.select_related("user", "level")

    def propose_change(self, data, row):
        return services.approver_authority_propose(actor=self.request.user, **data)


class DelegationSerializer(serializers.ModelSerializer):
    delegator = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.filter(is_active=True))
    delegate = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.filter(is_active=True))
    level = serializers.SlugRelatedField(slug_field="number", queryset=AuthorityLevel.objects.all(), required=False,
                                         allow_null=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    in_force_today = serializers.SerializerMethodField()

    class Meta:
        model = Delegation
        fields = ["id", "delegator", "delegate", "level", "start_date", "end_date", "reason", "revoked",
                  "in_force_today", "created_by", "created_at"]
        read_only_fields = ["revoked", "created_by", "created_at"]
        validators = []

    def get_in_force_today(self, delegation) -> bool:
        from creditportal.core import clock

        return rules.delegation_active(delegation.start_date, delegation.end_date, clock.today(), delegation.revoked)


class DelegationViewSet(VisibleRowsMixin, ProposeOnCreateMixin, CreditViewSetMixin, mixins.ListModelMixin,
                        mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = DelegationSerializer
    action_permissions = model_permissions(Delegation, "read", "create", revoke="credit.add_delegation")
    queryset = Delegation.objects.select_related("delegator", "delegate", "level", "created_by")

    @extend_schema(responses={201: DelegationSerializer, 202: ChangeSerializer})
    def create(self, request, *args, **kwargs):
        """A delegation within ``DELEGATION_FOUR_EYES_ABOVE`` applies at once (201); a larger one is proposed
        (202 with the proposal) and applies once a risk administrator approves it."""
        return super().create(request, *args, **kwargs)

    def propose(self, data, _instance):
        return services.delegation_create(actor=self.request.user, **data)

    @extend_schema(request=None, responses=DelegationSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        delegation = services.delegation_revoke(actor=request.user, delegation=self.get_object())
        return Response(DelegationSerializer(delegation).data)


class GroupLimitSerializer(serializers.ModelSerializer):
    group = VisibleRelatedField(CustomerGroup)

    class Meta:
        model = GroupLimit
        fields = ["id", "group", "limit", "currency", "expiry_date", "active", "updated_at"]
        read_only_fields = ["updated_at"]
        validators = []
        extra_kwargs = {"group": {"validators": []}}


class GroupLimitViewSet(ConfigChangeViewSet):
    serializer_class = GroupLimitSerializer
    action_permissions = model_permissions(GroupLimit, "read", "create", "update")
    current_fields = ("group", "limit", "currency", "expiry_date", "active")
    queryset = GroupLimit.objects.select_related("group")

    def propose_change(self, data, row):
        return services.group_limit_propose(actor=self.request.user, **data)
