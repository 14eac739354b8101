"""API of the monitoring app. Viewsets are thin: querysets from ``visible_to`` (through the selectors),
every write through a service; each action is mapped to a permission (deny by default)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from creditportal.core.api import DecimalField as AsciiDecimalField, IntegerField as AsciiIntegerField
from creditportal.core.api import ServiceWritesMixin, VisibleRelatedField, model_permissions, validated
from creditportal.core.canonical import jsonable
from creditportal.core.filters import require_valid
from creditportal.core.querysets import VisibleRowsMixin
from customers.models import Customer
from proposals.api import CHANGE_FIELDS, ChangeSerializer, ChangeViewSet, change_permissions, proposed_response
from proposals.models import ChangeState

from . import selectors, services
from .filtersets import AlertFilterSet, ClassificationFilterSet, DashboardFilterSet, ProvisionLineFilterSet
from .models import (
    Alert, AlertStatus, AssetClassification, ClassificationStatus, Comparison, Metric, ProvisionLine, ProvisionRun,
    RecommendedAction, RuleChangeKind, Severity, Tier, WarningRule, WarningRuleChange, WatchlistEntry,
)


def inline_choices(choices, *, blank=False):
    """A ChoiceField whose enum is written inline in the schema (no shared component name to collide)."""
    values = [value for value, _label in choices] + ([""] if blank else [])

    @extend_schema_field({"type": "string", "enum": values})
    class InlineChoiceField(serializers.ChoiceField):
        def __init__(self, **kwargs):
            kwargs.setdefault("allow_blank", blank)
            super().__init__(choices=list(choices) + ([("", "")] if blank else []), **kwargs)

    return InlineChoiceField


SeverityField = inline_choices(Severity.choices)
TierField = inline_choices(Tier.choices)
AlertStatusField = inline_choices(AlertStatus.choices)
ClassificationStatusField = inline_choices(ClassificationStatus.choices)
ActionField = inline_choices(RecommendedAction.choices)
MetricField = inline_choices(Metric.choices)
ComparisonField = inline_choices(Comparison.choices)


class SelectorRowsMixin(ServiceWritesMixin):
    """The rows come from a selector that reads the query (``rows(params)``): ``list`` validates the query
    first (``params_filterset``: 400 naming a bad value), the other actions read with ``detail_params`` (every
    row the caller may see); an action answers with its object re-read through those rows."""

    params_filterset = None
    detail_params: dict = {}

    def rows(self, params):
        raise NotImplementedError

    def reply(self, result, obj):
        return Response(self.get_serializer(self.get_queryset().get(pk=obj.pk)).data)

    def get_queryset(self):
        if self.action == "list":
            require_valid(self.params_filterset, self.request.query_params)
            return self.rows(self.request.query_params)
        return self.rows(self.detail_params)


# --- Alerts ------------------------------------------------------------------------------------------

class AlertSerializer(serializers.ModelSerializer):
    rule_code = serializers.CharField(source="rule.code", read_only=True)
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    handled_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    severity = SeverityField(read_only=True)
    status = AlertStatusField(read_only=True)
    recommended_action = ActionField(read_only=True)

    class Meta:
        model = Alert
        fields = ["id", "rule", "rule_code", "rule_name", "customer", "customer_name", "severity", "status", "value",
                  "detail", "recommended_action", "still_firing", "raised_on", "last_seen_on", "times_seen", "owner",
                  "comment", "handled_by", "handled_at", "action_taken", "created_at", "updated_at"]
        read_only_fields = fields


class AlertCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class AlertStartActionSerializer(serializers.Serializer):
    action = inline_choices([c for c in RecommendedAction.choices if c[0] != "none"])()
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    facility_id = AsciiIntegerField(required=False, allow_null=True, default=None)
    new_limit = AsciiDecimalField(max_digits=18, decimal_places=2, required=False, allow_null=True,
                                         default=None)


ALERT_FILTERS = [
    OpenApiParameter("status", str, description="active (default), all, open, acknowledged, resolved, dismissed"),
    OpenApiParameter("severity", str, enum=Severity.values),
    OpenApiParameter("rule", str, description="rule code"),
    OpenApiParameter("customer", int),
    OpenApiParameter("mine", bool),
    OpenApiParameter("age", str, description="d0_7, d8_30, d31_90, over_90"),
    OpenApiParameter("q", str),
    OpenApiParameter("sort", str, enum=list(selectors.ALERT_SORTS)),
]


@extend_schema(parameters=ALERT_FILTERS)
class AlertViewSet(SelectorRowsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Alerts of the caller's portfolio; POST ``acknowledge``, ``resolve``, ``dismiss`` (409 from the wrong state)."""

    serializer_class = AlertSerializer
    filter_backends = []
    action_permissions = model_permissions(Alert, "read", acknowledge="monitoring.handle_alert",
                                           resolve="monitoring.handle_alert", dismiss="monitoring.handle_alert",
                                           start_action="monitoring.handle_alert")

    params_filterset = AlertFilterSet
    detail_params = {"status": "all"}

    def rows(self, params):
        return selectors.alert_list(self.request.user, params)

    def _transition(self, request, service):
        return self.acted(request, AlertCommentSerializer,
                          lambda alert, d: service(actor=request.user, alert=alert, comment=d["comment"]))

    @extend_schema(request=AlertCommentSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        return self._transition(request, services.alert_acknowledge)

    @extend_schema(request=AlertCommentSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._transition(request, services.alert_resolve)

    @extend_schema(request=AlertCommentSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        return self._transition(request, services.alert_dismiss)

    @extend_schema(request=AlertStartActionSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"], url_path="start-action")
    def start_action(self, request, pk=None):
        return self.acted(request, AlertStartActionSerializer,
                          lambda alert, d: services.alert_start_action(actor=request.user, alert=alert, **d))


# --- Warning rules -----------------------------------------------------------------------------------

class WarningRuleSerializer(serializers.ModelSerializer):
    metric = MetricField()
    comparison = ComparisonField()
    severity = SeverityField()
    recommended_action = ActionField(required=False)

    class Meta:
        model = WarningRule
        fields = ["id", "code", "name", "name_en", "metric", "comparison", "threshold", "window_days", "periods",
                  "severity", "recommended_action", "enabled", "description", "description_en", "updated_at"]
        read_only_fields = ["updated_at"]
        extra_kwargs = {"code": {"validators": []}}


class WarningRuleChangeSerializer(ChangeSerializer):
    """A proposed new rule or change of a rule: ``values`` (proposed) and ``previous`` (in force) of the
    fields it changes; it takes effect when another risk administrator approves it."""

    kind = inline_choices(RuleChangeKind.choices)(read_only=True)
    state = inline_choices(ChangeState.choices)(read_only=True)

    class Meta(ChangeSerializer.Meta):
        model = WarningRuleChange
        fields = ["id", "kind", "code", "rule", *CHANGE_FIELDS]
        read_only_fields = fields


class WarningRuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Warning rules. POST (a new rule) and PUT/PATCH (a change, enabling or disabling included) do not change
    the rules: they propose, and answer 202 with the proposal (``warning-rule-changes``), which takes effect
    when another risk administrator approves it (four-eyes)."""

    serializer_class = WarningRuleSerializer
    filter_backends = []
    action_permissions = model_permissions(WarningRule, "read", "create", "update")

    def get_queryset(self):
        return selectors.rules_list(self.request.user)

    def _proposed(self, change):
        return proposed_response(change, WarningRuleChangeSerializer)

    @extend_schema(responses={202: WarningRuleChangeSerializer})
    def create(self, request, *args, **kwargs):
        data = validated(self.get_serializer(data=request.data))
        return self._proposed(services.warning_rule_propose(actor=request.user, **data))

    @extend_schema(responses={202: WarningRuleChangeSerializer})
    def update(self, request, *args, **kwargs):
        rule = self.get_object()
        data = dict(validated(self.get_serializer(rule, data=request.data, partial=kwargs.pop("partial", False))))
        data.pop("code", None)  # the code is the rule's identity
        return self._proposed(services.warning_rule_propose(actor=request.user, rule=rule, **data))

    @extend_schema(responses={202: WarningRuleChangeSerializer})
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)


class WarningRuleChangeViewSet(ChangeViewSet):
    """Proposed warning rules (open ones first); another risk administrator than the proposer POSTs
    ``approve`` (it takes effect) or ``reject`` (with the reason in ``note``); the proposer may ``withdraw``
    (the shared shape of ``proposals.api``)."""

    serializer_class = WarningRuleChangeSerializer
    action_permissions = change_permissions(WarningRuleChange, decide="monitoring.change_warningrule")

    def get_queryset(self):
        return selectors.rule_changes_list(self.request.user)


# --- Classifications ------------------------------------------------------------------------------------

class ClassificationSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    # one enum name per choice set in the schema: only ``tier`` carries it; the others are plain codes
    floor_tier = serializers.CharField(read_only=True, help_text="A tier code (see tier).")
    tier = TierField(read_only=True)
    requested_tier = serializers.CharField(read_only=True, help_text="A tier code, or empty.")
    status = ClassificationStatusField(read_only=True)

    class Meta:
        model = AssetClassification
        fields = ["id", "customer", "customer_name", "period", "days_past_due", "exposure", "currency", "floor_tier",
                  "tier", "manual", "reason", "status", "requested_tier", "request_reason", "requested_by",
                  "requested_at", "approved_by", "approved_at", "classified_at", "updated_at"]
        read_only_fields = fields


class ReclassifySerializer(serializers.Serializer):
    tier = TierField()
    reason = serializers.CharField()


class MonthRunSerializer(serializers.Serializer):
    period = serializers.DateField(required=False, allow_null=True, default=None,
                                   help_text="Any day of the month (default: the last month end).")


@extend_schema(parameters=[OpenApiParameter("period", OpenApiTypes.DATE), OpenApiParameter("tier", str),
                           OpenApiParameter("status", str), OpenApiParameter("customer", int),
                           OpenApiParameter("manual", bool), OpenApiParameter("all", bool)])
class ClassificationViewSet(SelectorRowsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            viewsets.GenericViewSet):
    """Monthly asset classifications; POST ``reclassify`` (worse than the floor, with a reason), then another
    person of the approver group POSTs ``approve`` or ``reject``; POST ``run`` classifies a month."""

    serializer_class = ClassificationSerializer
    filter_backends = []
    action_permissions = model_permissions(AssetClassification, "read", reclassify="monitoring.classify_exposure",
                                           approve="monitoring.approve_classification",
                                           reject="monitoring.approve_classification",
                                           run="monitoring.classify_exposure")

    params_filterset = ClassificationFilterSet
    detail_params = {"all": "1"}

    def rows(self, params):
        return selectors.classification_list(self.request.user, params)

    @extend_schema(request=ReclassifySerializer, responses=ClassificationSerializer)
    @action(detail=True, methods=["post"])
    def reclassify(self, request, pk=None):
        return self.acted(request, ReclassifySerializer, lambda obj, d: services.classification_request(
            actor=request.user, classification=obj, **d))

    @extend_schema(request=AlertCommentSerializer, responses=ClassificationSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        obj = self.get_object()
        services.classification_approve(actor=request.user, classification=obj,
                                        comment=str(request.data.get("comment", "")))
        return self.reply(None, obj)

    @extend_schema(request=AlertCommentSerializer, responses=ClassificationSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        obj = self.get_object()
        services.classification_reject(actor=request.user, classification=obj,
                                       comment=str(request.data.get("comment", "")))
        return self.reply(None, obj)

    @extend_schema(request=MonthRunSerializer, responses=inline_serializer(
        "ClassificationRunResult", {"period": serializers.DateField(), "created": AsciiIntegerField(),
                                    "updated": AsciiIntegerField()}))
    @action(detail=False, methods=["post"])
    def run(self, request):
        data = validated(MonthRunSerializer(data=request.data))
        result = services.classification_run(actor=request.user, period=data["period"])
        return Response(jsonable(result))


# --- Provision runs ------------------------------------------------------------------------------------

class ProvisionRunSerializer(serializers.ModelSerializer):
    run_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ProvisionRun
        fields = ["id", "period", "currency", "rates", "totals", "total_exposure", "total_provision",
                  "customer_count", "run_by", "run_at"]
        read_only_fields = fields


class ProvisionLineSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    tier = TierField(read_only=True)

    class Meta:
        model = ProvisionLine
        fields = ["customer", "customer_name", "tier", "exposure", "rate", "amount"]
        read_only_fields = fields


class ProvisionRunViewSet(VisibleRowsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Month-end provision runs (POST to run a month; running it again replaces its lines); ``comparison``
    gives the movement by tier against the previous month; ``lines`` the customers' lines."""

    serializer_class = ProvisionRunSerializer
    filter_backends = []
    action_permissions = model_permissions(ProvisionRun, "read", create="monitoring.run_provisions",
                                           comparison="monitoring.view_provisionrun",
                                           lines=("monitoring.view_provisionrun", "monitoring.view_provisionline"))
    queryset = ProvisionRun.objects.select_related("run_by").order_by("-period")

    @extend_schema(request=MonthRunSerializer, responses=ProvisionRunSerializer)
    def create(self, request):
        data = validated(MonthRunSerializer(data=request.data))
        run = services.provision_run(actor=request.user, period=data["period"])
        return Response(ProvisionRunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def comparison(self, request, pk=None):
        run = self.get_object()
        data = selectors.provision_comparison(run)
        data["previous"] = data["previous"].pk if data["previous"] else None
        return Response(jsonable(data))

    @extend_schema(responses=ProvisionLineSerializer(many=True),
                   parameters=[OpenApiParameter("tier", str, enum=Tier.values)])
    @action(detail=True, methods=["get"])
    def lines(self, request, pk=None):
        run = self.get_object()
        require_valid(ProvisionLineFilterSet, request.query_params)
        queryset = selectors.provision_lines(request.user, run, request.query_params)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(ProvisionLineSerializer(page, many=True).data)


# --- Watchlist --------------------------------------------------------------------------------------------

class WatchlistSerializer(serializers.ModelSerializer):
    customer = VisibleRelatedField(Customer)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = WatchlistEntry
        fields = ["id", "customer", "customer_name", "reason", "owner", "since", "until", "alert", "created_at"]
        read_only_fields = ["owner", "alert", "created_at"]
        extra_kwargs = {"since": {"required": False}}


class WatchlistViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                       mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = WatchlistSerializer
    filter_backends = []
    action_permissions = model_permissions(WatchlistEntry, "read", "create", "update",
                                           end="monitoring.change_watchlistentry")

    def get_queryset(self):
        from creditportal.core import clock

        queryset = WatchlistEntry.objects.visible_to(self.request.user).select_related("customer", "owner")
        if self.action == "list" and self.request.query_params.get("all") != "1":
            queryset = queryset.current(clock.today())
        return queryset.order_by("-since", "-id")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.watchlist_add(actor=self.request.user, customer=data["customer"],
                                                     reason=data.get("reason", ""), since=data.get("since"),
                                                     until=data.get("until"))

    def perform_update(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.watchlist_update(actor=self.request.user, entry=serializer.instance,
                                                        reason=data.get("reason"), until=data.get("until"))

    @extend_schema(request=None, responses=WatchlistSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        entry = services.watchlist_end(actor=request.user, entry=self.get_object())
        return Response(WatchlistSerializer(entry, context={"request": request}).data)


# --- Dashboard ----------------------------------------------------------------------------------------------

class DashboardView(APIView):
    """The portfolio dashboard's figures (reporting currency), each with the URL of the list behind it; for a
    reader of every customer from the snapshot the page reads (``computed_at``: when they were computed)."""

    required_permission = ("monitoring.view_alert", "customers.view_all_customers")

    @extend_schema(parameters=[OpenApiParameter("start", OpenApiTypes.DATE), OpenApiParameter("end", OpenApiTypes.DATE)],
                   responses=OpenApiTypes.OBJECT)
    def get(self, request):
        dates = require_valid(DashboardFilterSet, request.query_params)
        data = selectors.dashboard_for(request.user, start=dates.get("start"), end=dates.get("end"))
        data["provision_run"] = data["provision_run"].pk if data["provision_run"] else None
        data.pop("snapshot", None)
        return Response(jsonable(data))


class DashboardViewSet(viewsets.ViewSet):
    """``/api/v1/dashboard/`` through the router (one ``list`` action)."""

    action_permissions = {"list": ("monitoring.view_alert", "customers.view_all_customers")}

    @extend_schema(parameters=[OpenApiParameter("start", OpenApiTypes.DATE), OpenApiParameter("end", OpenApiTypes.DATE)],
                   responses=OpenApiTypes.OBJECT)
    def list(self, request):
        return DashboardView().get(request)


def register(router):
    router.register("alerts", AlertViewSet, basename="alert")
    router.register("warning-rules", WarningRuleViewSet, basename="warning-rule")
    router.register("warning-rule-changes", WarningRuleChangeViewSet, basename="warning-rule-change")
    router.register("classifications", ClassificationViewSet, basename="classification")
    router.register("provision-runs", ProvisionRunViewSet, basename="provision-run")
    router.register("watchlist", WatchlistViewSet, basename="watchlist")
    router.register("dashboard", DashboardViewSet, basename="dashboard")
