"""API of the credit app: thin viewsets, querysets from ``visible_to``, every write through ``services``.

Workflow transitions are POST actions named after the transition; a transition not allowed from the
current state (or lost to a concurrent one) answers 409.
"""
from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from creditportal.core.api import DecimalField as AsciiDecimalField, IntegerField as AsciiIntegerField
from creditportal.core.api import (
    CachedFieldsMixin, EstimatedCountPagination, FastListSerializer, RowListMixin, VisibleRelatedField,
    concrete_columns,
)
from creditportal.core.idempotency import idempotent
from creditportal.core.money import CURRENCIES
from customers.models import Customer, CustomerGroup
from proposals.api import ChangeSerializer, proposed_response
from proposals.models import Proposal

from . import rules, selectors, services
from .models import (
    ApproverAuthority,
    AuthorityLevel,
    Collateral,
    Covenant,
    CovenantBreach,
    CreditApplication,
    CreditPolicy,
    Decision,
    Delegation,
    Facility,
    GroupLimit,
    Guarantor,
    Order,
    PolicyGradeRule,
)

User = get_user_model()


class CreditViewSetMixin:
    """Deny by default (``ActionPermission`` from the settings): every action is mapped below."""


# --- Applications -----------------------------------------------------------------------------

class CollateralSerializer(serializers.ModelSerializer):
    lendable_value = AsciiDecimalField(max_digits=18, decimal_places=2, read_only=True)
    revaluation_due = serializers.DateField(required=False)
    valuation_date = serializers.DateField(required=False)

    class Meta:
        model = Collateral
        fields = ["kind", "description", "market_value", "currency", "haircut", "lendable_value", "valuation_date",
                  "revaluation_due"]


class GuarantorSerializer(serializers.ModelSerializer):
    customer = VisibleRelatedField(Customer, required=False, allow_null=True)

    class Meta:
        model = Guarantor
        fields = ["customer", "outside_name", "amount", "currency"]


class CovenantSerializer(serializers.ModelSerializer):
    class Meta:
        model = Covenant
        fields = ["id", "ratio", "comparison", "threshold", "frequency", "last_tested_on"]
        read_only_fields = ["id", "last_tested_on"]


class DecisionSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    on_behalf_of = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Decision
        fields = ["action", "actor", "on_behalf_of", "level", "comment", "voided", "at"]


APPLICATION_READ_FIELDS = ["id", "customer", "customer_name", "application_type", "facility", "amount", "currency",
                           "term_months", "product", "purpose", "conditions", "status", "current_level",
                           "required_levels", "policy_exception", "exception_reason", "rating", "rating_grade",
                           "amount_reporting", "group_exposure", "analyst_opinion", "return_reason", "created_by",
                           "reviewer", "created_at", "status_changed_at", "decided_at"]


class ApplicationSerializer(CachedFieldsMixin, serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        list_serializer_class = FastListSerializer
        model = CreditApplication
        fields = APPLICATION_READ_FIELDS
        read_only_fields = APPLICATION_READ_FIELDS


class ApplicationDetailSerializer(ApplicationSerializer):
    collaterals = CollateralSerializer(many=True, read_only=True)
    guarantors = GuarantorSerializer(many=True, read_only=True)
    covenants = CovenantSerializer(many=True, read_only=True)
    decisions = DecisionSerializer(many=True, read_only=True)
    policy_result = serializers.JSONField(read_only=True)
    available_actions = serializers.SerializerMethodField()

    class Meta(ApplicationSerializer.Meta):
        fields = [*APPLICATION_READ_FIELDS, "policy_result", "collaterals", "guarantors", "covenants", "decisions",
                  "available_actions"]

    def get_available_actions(self, app) -> list[str]:
        return [a.replace("_", "-") for a in services.available_actions(self.context["request"].user, app)]


class ApplicationWriteSerializer(serializers.Serializer):
    customer = VisibleRelatedField(Customer)
    application_type = serializers.ChoiceField(choices=CreditApplication.Type.choices,
                                               default=CreditApplication.Type.NEW)
    facility = VisibleRelatedField(Facility, required=False, allow_null=True)
    amount = AsciiDecimalField(max_digits=18, decimal_places=2)
    currency = serializers.ChoiceField(choices=CURRENCIES)
    term_months = AsciiIntegerField(min_value=1, max_value=600)
    product = serializers.ChoiceField(choices=CreditApplication.Product.choices,
                                      default=CreditApplication.Product.TRADE_CREDIT)
    purpose = serializers.CharField()
    conditions = serializers.CharField(required=False, allow_blank=True, default="")
    collaterals = CollateralSerializer(many=True, required=False)
    guarantors = GuarantorSerializer(many=True, required=False)
    covenants = CovenantSerializer(many=True, required=False)


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    level = AsciiIntegerField(required=False, min_value=1,
                                     help_text="The level you are deciding on (optional): a different level is 409.")


def _action_body(name: str, fields: dict):
    return inline_serializer(name, fields)


class ApplicationViewSet(RowListMixin, CreditViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    filterset_fields = ["status", "customer", "application_type", "product"]
    search_fields = ["customer__name", "purpose"]
    ordering_fields = ["created_at", "amount", "status_changed_at"]
    pagination_class = EstimatedCountPagination  # no count of every application per page
    action_permissions = {
        "list": "credit.view_creditapplication",
        "retrieve": "credit.view_creditapplication",
        "create": "credit.add_creditapplication",
        "update": "credit.change_creditapplication",
        "partial_update": "credit.change_creditapplication",
        "submit": "credit.submit_creditapplication",
        "start_review": "credit.review_creditapplication",
        "recommend": "credit.review_creditapplication",
        "approve": "credit.approve_creditapplication",
        # an analyst before approval, an approver during it: the service checks which applies
        "reject": "credit.decide_creditapplication",
        "return_application": "credit.decide_creditapplication",
        "withdraw": "credit.withdraw_creditapplication",
        "queue": "credit.view_creditapplication",
    }

    def get_queryset(self):
        qs = CreditApplication.objects.visible_to(self.request.user).select_related("customer", "created_by",
                                                                                    "reviewer")
        if self.action in ("retrieve",) or self.action not in ("list", "queue"):
            qs = qs.prefetch_related("collaterals", "guarantors", "covenants", "decisions__actor",
                                     "decisions__on_behalf_of")
        else:  # the list's columns only (not the policy check's JSON, nor every column of the joined rows)
            qs = qs.only(*concrete_columns(CreditApplication, APPLICATION_READ_FIELDS), "customer__name",
                         "created_by__username", "reviewer__username")
        return qs.order_by("-created_at", "-id")

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return ApplicationWriteSerializer
        if self.action in ("list", "queue"):
            return ApplicationSerializer
        return ApplicationDetailSerializer

    def _detail(self, app, code=status.HTTP_200_OK):
        app = self.get_queryset().get(pk=app.pk)
        return Response(ApplicationDetailSerializer(app, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=ApplicationWriteSerializer, responses=ApplicationDetailSerializer)
    def create(self, request, *args, **kwargs):
        serializer = ApplicationWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        app = services.application_create(actor=request.user, **data)
        return self._detail(app, status.HTTP_201_CREATED)

    @extend_schema(request=ApplicationWriteSerializer, responses=ApplicationDetailSerializer)
    def update(self, request, *args, **kwargs):
        app = self.get_object()
        serializer = ApplicationWriteSerializer(data=request.data, partial=kwargs.get("partial", False),
                                                context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("customer", None)
        app = services.application_update(actor=request.user, application=app, **data)
        return self._detail(app)

    @extend_schema(request=None, responses=ApplicationSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)  # a plain list (at most 200), not a page
    def queue(self, request):
        """What awaits the caller's action, oldest first."""
        rows = list(selectors.work_queue(request.user)[:200])
        data = ApplicationSerializer(rows, many=True).data
        for row, app in zip(data, rows):
            row["age_days"] = selectors.age_days(app)
        return Response(data)

    @extend_schema(request=_action_body("CreditSubmitBody", {"exception_reason": serializers.CharField(required=False)}),
                   responses=ApplicationDetailSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        app = services.application_submit(actor=request.user, application=self.get_object(),
                                          exception_reason=request.data.get("exception_reason", ""))
        return self._detail(app)

    @extend_schema(request=None, responses=ApplicationDetailSerializer)
    @action(detail=True, methods=["post"], url_path="start-review")
    def start_review(self, request, pk=None):
        app = services.application_start_review(actor=request.user, application=self.get_object())
        return self._detail(app)

    @extend_schema(request=_action_body("CreditRecommendBody", {"opinion": serializers.CharField()}), responses=ApplicationDetailSerializer)
    @action(detail=True, methods=["post"])
    def recommend(self, request, pk=None):
        app = services.application_recommend(actor=request.user, application=self.get_object(),
                                             opinion=request.data.get("opinion", ""))
        return self._detail(app)

    @extend_schema(request=CommentSerializer, responses=ApplicationDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        body = CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        app = services.application_approve(actor=request.user, application=self.get_object(),
                                           comment=body.validated_data["comment"],
                                           expected_level=body.validated_data.get("level"))
        return self._detail(app)

    @extend_schema(request=CommentSerializer, responses=ApplicationDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        body = CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        app = services.application_reject(actor=request.user, application=self.get_object(),
                                          comment=body.validated_data["comment"],
                                          expected_level=body.validated_data.get("level"))
        return self._detail(app)

    @extend_schema(request=_action_body("CreditReturnBody", {"reason": serializers.CharField(), "level": AsciiIntegerField(required=False)}),
                   responses=ApplicationDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_application(self, request, pk=None):
        app = services.application_return(actor=request.user, application=self.get_object(),
                                          reason=request.data.get("reason", ""),
                                          expected_level=request.data.get("level"))
        return self._detail(app)

    @extend_schema(request=CommentSerializer, responses=ApplicationDetailSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        app = services.application_withdraw(actor=request.user, application=self.get_object(),
                                            comment=request.data.get("comment", ""))
        return self._detail(app)


# --- Facilities and orders --------------------------------------------------------------------

class FacilitySerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    utilised = serializers.SerializerMethodField()
    free = serializers.SerializerMethodField()
    utilisation_percent = serializers.SerializerMethodField()

    class Meta:
        model = Facility
        fields = ["id", "customer", "customer_name", "application", "product", "limit", "currency", "start_date",
                  "expiry_date", "temporary", "status", "status_reason", "utilised", "free", "utilisation_percent"]
        read_only_fields = fields

    def _used(self, facility):
        used = self.context.get("utilisation")
        if used is None or facility.pk not in used:
            used = selectors.utilisation([facility])
        return used[facility.pk]

    def get_utilised(self, facility) -> str:
        return str(self._used(facility))

    def get_free(self, facility) -> str:
        return str(rules.free_limit(facility.limit, self._used(facility)))

    def get_utilisation_percent(self, facility) -> str:
        return str(rules.utilisation_share(facility.limit, self._used(facility)))


class CheckSerializer(serializers.Serializer):
    amount = AsciiDecimalField(max_digits=18, decimal_places=2)
    currency = serializers.ChoiceField(choices=CURRENCIES, required=False)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class ReduceSerializer(serializers.Serializer):
    new_limit = AsciiDecimalField(max_digits=18, decimal_places=2, min_value=0)
    reason = serializers.CharField()


def check_payload(check) -> dict:
    return {
        "allowed": check.allowed,
        "reasons": [{"code": r, "message": services.limit_reason_text(r)} for r in check.reasons],
        "limit": str(check.limit), "utilised": str(check.utilised), "free": str(check.free),
        "group_free": None if check.group_free is None else str(check.group_free),
    }


class FacilityViewSet(CreditViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = FacilitySerializer
    filterset_fields = ["status", "customer", "currency"]
    search_fields = ["customer__name"]
    ordering_fields = ["expiry_date", "limit"]
    pagination_class = EstimatedCountPagination
    action_permissions = {
        "list": "credit.view_facility",
        "retrieve": "credit.view_facility",
        "check": "credit.check_facility",
        "suspend": "credit.suspend_facility",
        "resume": "credit.resume_facility",
        "reduce_limit": "credit.change_facility",
        "close": "credit.change_facility",
    }

    def get_queryset(self):
        return Facility.objects.visible_to(self.request.user).select_related("customer").order_by("customer_id", "-id")

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        context = {**self.get_serializer_context(), "utilisation": selectors.utilisation(rows)}
        data = FacilitySerializer(rows, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(request=CheckSerializer, responses=inline_serializer("LimitCheck", {
        "allowed": serializers.BooleanField(), "reasons": serializers.ListField(child=serializers.DictField()),
        "limit": serializers.CharField(), "utilised": serializers.CharField(), "free": serializers.CharField(),
        "group_free": serializers.CharField(allow_null=True)}))
    @action(detail=True, methods=["post"])
    def check(self, request, pk=None):
        """Would an order or drawdown of ``amount`` be allowed now, and if not, why not."""
        facility = self.get_object()
        body = CheckSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.limit_check(actor=request.user, facility=facility, amount=body.validated_data["amount"],
                                      currency=body.validated_data.get("currency") or facility.currency)
        return Response(check_payload(result))

    def _facility(self, facility):
        return Response(FacilitySerializer(Facility.objects.select_related("customer").get(pk=facility.pk),
                                           context=self.get_serializer_context()).data)

    @extend_schema(request=ReasonSerializer, responses=FacilitySerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        return self._facility(services.facility_suspend(actor=request.user, facility=self.get_object(),
                                                        reason=request.data.get("reason", "")))

    @extend_schema(request=ReasonSerializer, responses=FacilitySerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._facility(services.facility_resume(actor=request.user, facility=self.get_object(),
                                                       reason=request.data.get("reason", "")))

    @extend_schema(request=ReduceSerializer, responses=FacilitySerializer)
    @action(detail=True, methods=["post"], url_path="reduce-limit")
    def reduce_limit(self, request, pk=None):
        body = ReduceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._facility(services.facility_reduce_limit(actor=request.user, facility=self.get_object(),
                                                             **body.validated_data))

    @extend_schema(request=ReasonSerializer, responses=FacilitySerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._facility(services.facility_close(actor=request.user, facility=self.get_object(),
                                                      reason=request.data.get("reason", "")))


class OrderSerializer(CachedFieldsMixin, serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    facility = VisibleRelatedField(Facility)

    class Meta:
        list_serializer_class = FastListSerializer
        model = Order
        fields = ["id", "facility", "reference", "amount", "currency", "status", "created_by", "created_at",
                  "released_at"]
        read_only_fields = ["status", "created_by", "created_at", "released_at"]
        validators = []


class OrderViewSet(CreditViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   viewsets.GenericViewSet):
    serializer_class = OrderSerializer
    filterset_fields = ["facility", "status"]
    pagination_class = EstimatedCountPagination
    action_permissions = {
        "list": "credit.view_order",
        "retrieve": "credit.view_order",
        "create": "credit.add_order",
        "release": "credit.change_order",
        "cancel": "credit.change_order",
    }

    def get_queryset(self):
        return Order.objects.visible_to(self.request.user).select_related("created_by").order_by("-created_at", "-id")

    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = OrderSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        order = services.order_record(actor=request.user, **serializer.validated_data)
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        order = services.order_release(actor=request.user, order=self.get_object(), reason=request.data.get("reason", ""))
        return Response(OrderSerializer(order).data)

    @extend_schema(request=None, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        order = services.order_release(actor=request.user, order=self.get_object(),
                                       reason=request.data.get("reason", ""), cancel=True)
        return Response(OrderSerializer(order).data)


# --- Configuration: policies, matrix, delegations, group limits -------------------------------

class PolicyRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = PolicyGradeRule
        fields = ["grade", "eligible", "max_limit", "max_limit_hard", "max_equity_share", "max_revenue_share",
                  "share_hard", "max_term_months", "term_hard", "min_coverage", "coverage_hard",
                  "pricing_spread_bps", "review_months"]


class PolicySerializer(serializers.ModelSerializer):
    rules = PolicyRuleSerializer(many=True, required=False)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    activated_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = CreditPolicy
        fields = ["id", "name", "version", "effective_from", "status", "notes", "rules", "created_by", "created_at",
                  "activated_by", "activated_at"]
        read_only_fields = ["version", "status", "created_by", "created_at", "activated_by", "activated_at"]


class PolicyViewSet(CreditViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = PolicySerializer
    action_permissions = {
        "list": "credit.view_creditpolicy",
        "retrieve": "credit.view_creditpolicy",
        "create": "credit.add_creditpolicy",
        "update": "credit.change_creditpolicy",
        "partial_update": "credit.change_creditpolicy",
        "activate": "credit.approve_creditpolicy",
    }

    def get_queryset(self):
        return (CreditPolicy.objects.visible_to(self.request.user).select_related("created_by", "activated_by")
                .prefetch_related("rules"))

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
        fields = ["id", "number", "name", "max_amount", "weakest_grade"]
        extra_kwargs = {"number": {"validators": []}}


class ProposeOnCreateMixin:
    """Configuration that takes four-eyes: POST does not change it but proposes, and answers 202 with the
    proposal (``config-changes``, the shared shape of ``proposals.api``); it applies once another risk
    administrator approves it. ``propose(data, instance)`` calls the service."""

    @extend_schema(responses={202: ChangeSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._answer(self.propose(serializer.validated_data, None))

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
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return self._answer(self.propose(serializer.validated_data, instance))

    @extend_schema(responses={202: ChangeSerializer})
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)


class AuthorityLevelViewSet(ProposeOnWriteMixin, CreditViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = AuthorityLevelSerializer
    pagination_class = None
    action_permissions = {
        "list": "credit.view_authoritylevel", "retrieve": "credit.view_authoritylevel",
        "create": "credit.add_authoritylevel", "update": "credit.change_authoritylevel",
        "partial_update": "credit.change_authoritylevel",
    }

    def get_queryset(self):
        return AuthorityLevel.objects.visible_to(self.request.user)

    def propose(self, data, level):
        if level is not None:
            data = {"number": level.number, "name": level.name, "max_amount": level.max_amount,
                    "weakest_grade": level.weakest_grade, **data}
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


class ApproverAuthorityViewSet(ProposeOnWriteMixin, CreditViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                               mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = ApproverAuthoritySerializer
    action_permissions = {
        "list": "credit.view_approverauthority", "retrieve": "credit.view_approverauthority",
        "create": "credit.add_approverauthority", "update": "credit.change_approverauthority",
        "partial_update": "credit.change_approverauthority",
    }

    def get_queryset(self):
        return ApproverAuthority.objects.visible_to(self.request.user).select_related("user", "level")

    def propose(self, data, row):
        if row is not None:
            data = {"user": row.user, "level": row.level, "active": row.active, **data}
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


class DelegationViewSet(ProposeOnCreateMixin, CreditViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = DelegationSerializer
    action_permissions = {
        "list": "credit.view_delegation", "retrieve": "credit.view_delegation",
        "create": "credit.add_delegation", "revoke": "credit.add_delegation",
    }

    def get_queryset(self):
        return Delegation.objects.visible_to(self.request.user).select_related("delegator", "delegate", "level",
                                                                               "created_by")

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


class GroupLimitViewSet(ProposeOnWriteMixin, CreditViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = GroupLimitSerializer
    action_permissions = {
        "list": "credit.view_grouplimit", "retrieve": "credit.view_grouplimit",
        "create": "credit.add_grouplimit", "update": "credit.change_grouplimit",
        "partial_update": "credit.change_grouplimit",
    }

    def get_queryset(self):
        return GroupLimit.objects.visible_to(self.request.user).select_related("group")

    def propose(self, data, row):
        if row is not None:
            data = {"group": row.group, "limit": row.limit, "currency": row.currency, "expiry_date": row.expiry_date,
                    "active": row.active, **data}
        return services.group_limit_propose(actor=self.request.user, **data)


class CovenantBreachSerializer(serializers.ModelSerializer):
    covenant = CovenantSerializer(read_only=True)
    application = AsciiIntegerField(source="covenant.application_id", read_only=True)

    class Meta:
        model = CovenantBreach
        fields = ["id", "customer", "application", "covenant", "statement_id", "value", "tested_on", "created_at"]
        read_only_fields = fields


class CovenantBreachViewSet(CreditViewSetMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = CovenantBreachSerializer
    filterset_fields = ["customer"]
    action_permissions = {"list": "credit.view_covenantbreach", "retrieve": "credit.view_covenantbreach"}

    def get_queryset(self):
        return CovenantBreach.objects.visible_to(self.request.user).select_related("covenant")


def register(router):
    router.register("applications", ApplicationViewSet, basename="credit-application")
    router.register("facilities", FacilityViewSet, basename="facility")
    router.register("orders", OrderViewSet, basename="order")
    router.register("credit-policies", PolicyViewSet, basename="credit-policy")
    router.register("authority-levels", AuthorityLevelViewSet, basename="authority-level")
    router.register("approver-authorities", ApproverAuthorityViewSet, basename="approver-authority")
    router.register("delegations", DelegationViewSet, basename="delegation")
    router.register("group-limits", GroupLimitViewSet, basename="group-limit")
    router.register("covenant-breaches", CovenantBreachViewSet, basename="covenant-breach")
