"""API of facilities (limit check, suspension, changes) and orders."""
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from creditportal.core.api import DecimalField as AsciiDecimalField
from creditportal.core.api import IntegerField as AsciiIntegerField
from creditportal.core.api import (
    CachedFieldsMixin, EstimatedCountPagination, FastListSerializer, VisibleRelatedField, model_permissions,
    validated,
)
from creditportal.core.idempotency import idempotent
from creditportal.core.money import CURRENCIES
from creditportal.core.querysets import VisibleRowsMixin

from .. import rules, selectors, services
from ..filtersets import FacilityApiFilterSet
from ..models import Facility, Order
from ._common import CreditViewSetMixin
from .holds import ORDER_CHECK_SCHEMA, order_check_payload


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


class FacilityViewSet(VisibleRowsMixin, CreditViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):
    serializer_class = FacilitySerializer
    filterset_class = FacilityApiFilterSet
    search_fields = ["customer__name"]
    ordering_fields = ["expiry_date", "limit"]
    pagination_class = EstimatedCountPagination
    action_permissions = model_permissions(Facility, "read", check="credit.check_facility",
                                           order_check="credit.check_facility", suspend="credit.suspend_facility",
                                           resume="credit.resume_facility", reduce_limit="credit.change_facility",
                                           close="credit.change_facility")
    queryset = Facility.objects.select_related("customer").order_by("customer_id", "-id")

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
        data = validated(CheckSerializer(data=request.data))
        result = services.limit_check(actor=request.user, facility=facility, amount=data["amount"],
                                      currency=data.get("currency") or facility.currency)
        return Response(check_payload(result))

    @extend_schema(request=CheckSerializer, responses=ORDER_CHECK_SCHEMA)
    @action(detail=True, methods=["post"], url_path="order-check")
    def order_check(self, request, pk=None):
        """May a new order of ``amount`` ship now, and if not, why not: a hold on the customer's deliveries (days
        past due beyond the policy's tolerance, a facility over its limit) and the facility's limit check."""
        facility = self.get_object()
        data = validated(CheckSerializer(data=request.data))
        result = services.order_check(actor=request.user, facility=facility, amount=data["amount"],
                                      currency=data.get("currency") or facility.currency)
        return Response(order_check_payload(result))

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
        data = validated(ReduceSerializer(data=request.data))
        return self._facility(services.facility_reduce_limit(actor=request.user, facility=self.get_object(),
                                                             **data))

    @extend_schema(request=ReasonSerializer, responses=FacilitySerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._facility(services.facility_close(actor=request.user, facility=self.get_object(),
                                                      reason=request.data.get("reason", "")))


class OrderSerializer(CachedFieldsMixin, serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    facility = VisibleRelatedField(Facility)
    payment_term_days = AsciiIntegerField(min_value=1, max_value=3650, required=False, allow_null=True,
                                          help_text="Days from invoice to due date; empty: the customer's term. "
                                                    "Longer than the customer's is a policy exception "
                                                    "(term_exception_reason, top level of the authority matrix).")

    class Meta:
        list_serializer_class = FastListSerializer
        model = Order
        fields = ["id", "facility", "reference", "amount", "currency", "payment_term_days", "term_exception_reason",
                  "status", "created_by", "created_at", "released_at"]
        read_only_fields = ["status", "created_by", "created_at", "released_at"]
        validators = []


class OrderViewSet(VisibleRowsMixin, CreditViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                   mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = OrderSerializer
    filterset_fields = ["facility", "status"]
    pagination_class = EstimatedCountPagination
    action_permissions = model_permissions(Order, "read", "create", release="credit.change_order",
                                           cancel="credit.change_order")
    queryset = Order.objects.select_related("created_by").order_by("-created_at", "-id")

    @idempotent
    def create(self, request, *args, **kwargs):
        data = validated(OrderSerializer(data=request.data, context=self.get_serializer_context()))
        order = services.order_record(actor=request.user, **data)
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
