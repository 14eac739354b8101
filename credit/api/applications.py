"""API of credit applications (data, workflow actions) and covenant breaches."""
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from creditportal.core.api import DecimalField as AsciiDecimalField, IntegerField as AsciiIntegerField
from creditportal.core.api import (
    CachedFieldsMixin, EstimatedCountPagination, FastListSerializer, RowListMixin, VisibleRelatedField,
    concrete_columns, model_permissions, validated,
)
from creditportal.core.money import CURRENCIES
from customers.models import Customer

from .. import selectors, services
from ..providers import decision_warnings
from ..filtersets import ApplicationApiFilterSet
from ..models import Collateral, Covenant, CovenantBreach, CreditApplication, Decision, Facility, Guarantor
from ._common import CreditViewSetMixin


# --- Applications -----------------------------------------------------------------------------

class CollateralSerializer(serializers.ModelSerializer):
    lendable_value = AsciiDecimalField(max_digits=18, decimal_places=2, read_only=True)
    haircut = AsciiDecimalField(max_digits=5, decimal_places=4, min_value=0, max_value=1, required=False,
                                allow_null=True, help_text="Omitted: the haircut table's for the type; a smaller "
                                "one than the table's needs haircut_reason.")
    haircut_reason = serializers.CharField(required=False, allow_blank=True, default="")
    table_haircut = AsciiDecimalField(max_digits=5, decimal_places=4, read_only=True, allow_null=True)
    revaluation_due = serializers.DateField(required=False, help_text="Omitted: the table's revaluation interval "
                                            "after the valuation date.")
    valuation_date = serializers.DateField(required=False)

    class Meta:
        model = Collateral
        fields = ["kind", "description", "market_value", "currency", "haircut", "table_haircut", "haircut_reason",
                  "lendable_value", "valuation_date", "revaluation_due"]


class GuarantorSerializer(serializers.ModelSerializer):
    customer = VisibleRelatedField(Customer, required=False, allow_null=True)
    external_rated_on = serializers.DateField(required=False, allow_null=True)
    mapped_grade = serializers.CharField(required=False, allow_blank=True, default="", max_length=8,
                                         help_text="An outside party's agency grade on the master scale "
                                         "(omitted: the agency grade without its +/- notch).")

    class Meta:
        model = Guarantor
        fields = ["customer", "outside_name", "external_agency", "external_grade", "mapped_grade",
                  "external_rated_on", "amount", "currency"]


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
        fields = ["action", "actor", "on_behalf_of", "level", "comment", "acknowledged_warnings", "voided", "at"]


APPLICATION_READ_FIELDS = ["id", "customer", "customer_name", "application_type", "facility", "amount", "currency",
                           "term_months", "product", "purpose", "conditions", "status", "current_level",
                           "required_levels", "policy_exception", "exception_reason", "rating", "rating_grade",
                           "amount_reporting", "group_exposure", "analyst_opinion", "return_reason", "created_by",
                           "reviewer", "created_at", "status_changed_at", "decided_at", "payment_term_days",
                           "expected_monthly_sales"]


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
    warnings = serializers.SerializerMethodField(
        help_text="What an approver must acknowledge (acknowledged_warnings) before approving: code, text, params.")
    trade_terms = serializers.SerializerMethodField(
        help_text="The grade's payment terms (longest payment term in days, whether hard, deposit %) and the "
                  "proposed limit (reporting currency) with its arithmetic: steps and the same in words. Taken from "
                  "the policy check once submitted, computed now for a draft or returned application.")
    security = serializers.SerializerMethodField(
        help_text="Each collateral item and guarantee with its face value, factor (1 − haircut, or the guarantor's "
                  "recovery factor) and counted value today: kind, id, face, currency, factor, counted, grade, "
                  "grade_source.")

    class Meta(ApplicationSerializer.Meta):
        fields = [*APPLICATION_READ_FIELDS, "policy_result", "collaterals", "guarantors", "covenants", "decisions",
                  "available_actions", "warnings", "trade_terms", "security"]

    def get_trade_terms(self, app) -> dict:
        return services.trade_terms_view(app)

    def get_security(self, app) -> list[dict]:
        from .. import security

        return [services.security_item_json(i) for i in security.security_by_application([app.pk])[app.pk]]

    def get_available_actions(self, app) -> list[str]:
        return [a.replace("_", "-") for a in services.available_actions(self.context["request"].user, app)]

    def get_warnings(self, app) -> list[dict]:
        if app.status != CreditApplication.Status.PENDING_APPROVAL:
            return []
        return [{"code": w["code"], "text": str(w["text"]), "params": w.get("params", {})}
                for w in decision_warnings(app.customer)]


class ApplicationWriteSerializer(serializers.Serializer):
    customer = VisibleRelatedField(Customer)
    application_type = serializers.ChoiceField(choices=CreditApplication.Type.choices,
                                               default=CreditApplication.Type.NEW)
    facility = VisibleRelatedField(Facility, required=False, allow_null=True)
    amount = AsciiDecimalField(max_digits=18, decimal_places=2)
    currency = serializers.ChoiceField(choices=CURRENCIES)
    term_months = AsciiIntegerField(min_value=1, max_value=600)
    payment_term_days = AsciiIntegerField(min_value=1, max_value=3650, required=False, allow_null=True)
    expected_monthly_sales = AsciiDecimalField(max_digits=18, decimal_places=2, required=False, allow_null=True)
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


class ApproveSerializer(CommentSerializer):
    acknowledged_warnings = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list, max_length=20,
        help_text="The codes of the application's warnings you acknowledge (each one, with a comment).")


def _action_body(name: str, fields: dict):
    return inline_serializer(name, fields)


class ApplicationViewSet(RowListMixin, CreditViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    filterset_class = ApplicationApiFilterSet
    search_fields = ["customer__name", "purpose"]
    ordering_fields = ["created_at", "amount", "status_changed_at"]
    pagination_class = EstimatedCountPagination  # no count of every application per page
    action_permissions = model_permissions(CreditApplication, "read", "create", "update",
                                           submit="credit.submit_creditapplication",
                                           start_review="credit.review_creditapplication",
                                           recommend="credit.review_creditapplication",
                                           approve="credit.approve_creditapplication",
                                           # an analyst before approval, an approver during it: the service
                                           # checks which applies
                                           reject="credit.decide_creditapplication",
                                           return_application="credit.decide_creditapplication",
                                           withdraw="credit.withdraw_creditapplication",
                                           queue="credit.view_creditapplication")

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
        data = dict(validated(ApplicationWriteSerializer(data=request.data, context=self.get_serializer_context())))
        app = services.application_create(actor=request.user, **data)
        return self._detail(app, status.HTTP_201_CREATED)

    @extend_schema(request=ApplicationWriteSerializer, responses=ApplicationDetailSerializer)
    def update(self, request, *args, **kwargs):
        app = self.get_object()
        data = dict(validated(ApplicationWriteSerializer(data=request.data, partial=kwargs.get("partial", False),
                                                         context=self.get_serializer_context())))
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

    @extend_schema(request=ApproveSerializer, responses=ApplicationDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = validated(ApproveSerializer(data=request.data))
        app = services.application_approve(actor=request.user, application=self.get_object(),
                                           comment=data["comment"],
                                           expected_level=data.get("level"),
                                           acknowledged_warnings=data["acknowledged_warnings"])
        return self._detail(app)

    @extend_schema(request=CommentSerializer, responses=ApplicationDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, services.application_reject)

    def _decide(self, request, service):
        """Approve or reject: the comment, and the level the approver saw (another level now: 409)."""
        data = validated(CommentSerializer(data=request.data))
        app = service(actor=request.user, application=self.get_object(), comment=data["comment"],
                      expected_level=data.get("level"))
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
    action_permissions = model_permissions(CovenantBreach, "read")

    def get_queryset(self):
        return CovenantBreach.objects.visible_to(self.request.user).select_related("covenant")
