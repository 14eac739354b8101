"""API of order holds (暂停交货): the list, one hold, its release (approvers, with a reason), and the order check."""
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from creditportal.core.api import model_permissions, validated
from creditportal.core.querysets import VisibleRowsMixin

from .. import services
from ..filtersets import HoldFilterSet
from ..models import CustomerHold
from ._common import CreditViewSetMixin


class HoldSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    released_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    reason_texts = serializers.SerializerMethodField()

    class Meta:
        model = CustomerHold
        fields = ["id", "customer", "customer_name", "status", "reasons", "reason_texts", "detail", "since",
                  "placed_at", "released_at", "released_by", "release_kind", "release_reason", "override"]
        read_only_fields = fields

    def get_reason_texts(self, hold) -> list[str]:
        return services.hold_reason_texts(hold)


class HoldReleaseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class HoldViewSet(VisibleRowsMixin, CreditViewSetMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = HoldSerializer
    filterset_class = HoldFilterSet
    ordering_fields = ["since"]
    action_permissions = model_permissions(CustomerHold, "read", release="credit.release_customerhold")
    queryset = CustomerHold.objects.select_related("customer", "released_by").order_by("-since", "-id")

    @extend_schema(request=HoldReleaseSerializer, responses=HoldSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        """Let deliveries resume while the causes last (the release stands for them), with a reason."""
        hold = self.get_object()
        data = validated(HoldReleaseSerializer(data=request.data))
        hold = services.hold_release(actor=request.user, hold=hold, reason=data["reason"])
        return Response(HoldSerializer(CustomerHold.objects.select_related("customer", "released_by")
                                       .get(pk=hold.pk)).data)


ORDER_CHECK_SCHEMA = inline_serializer("OrderCheck", {
    "allowed": serializers.BooleanField(), "held": serializers.BooleanField(),
    "hold": serializers.IntegerField(allow_null=True),
    "reasons": serializers.ListField(child=serializers.DictField()),
    "limit": serializers.CharField(), "utilised": serializers.CharField(), "free": serializers.CharField(),
    "group_free": serializers.CharField(allow_null=True)})


def order_check_payload(check) -> dict:
    texts = services.order_check_texts(check)
    limit = check.limit
    return {
        "allowed": check.allowed, "held": check.hold.held,
        "hold": check.hold.hold.pk if check.hold.hold else None,
        "reasons": [{"code": code, "message": text} for code, text in zip(check.reasons, texts)],
        "limit": str(limit.limit), "utilised": str(limit.utilised), "free": str(limit.free),
        "group_free": None if limit.group_free is None else str(limit.group_free),
    }
