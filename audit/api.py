from rest_framework import serializers, viewsets

from creditportal.core.api import model_permissions

from .filtersets import AuditEventFilterSet
from .models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = ["id", "occurred_at", "actor_id", "actor_username", "action", "verb", "object_type", "object_id",
                  "object_repr", "before", "after", "ip_address"]


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilterSet
    ordering_fields = ["occurred_at"]
    action_permissions = model_permissions(AuditEvent, "read")


def register(router):
    router.register("audit-events", AuditEventViewSet, basename="audit-event")
