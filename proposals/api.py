"""The one API shape of configuration changes: proposing answers 202 with the proposal; the proposal's
``approve`` / ``reject`` / ``withdraw`` actions; 409 when it was already decided. ``ChangeViewSet`` serves every
kind (the kinds with their own table subclass it with their serializer and permissions)."""
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from creditportal.core.api import model_permissions, validated

from . import services
from .models import DECIDE_PERMISSIONS, PROPOSE_PERMISSIONS, ChangeState, Proposal


#: the fields every kind of change shows (``ChangeSerializer`` and the kinds with a table of their own)
CHANGE_FIELDS = ["state", "values", "previous", "proposed_by", "proposed_at", "decided_by", "decided_at",
                 "decision_note"]


class ChangeSerializer(serializers.ModelSerializer):
    """A proposed configuration change: ``values`` (proposed) and ``previous`` (in force) of what it changes; it
    takes effect when a second person approves it. A kind with its own table subclasses it with its model and
    ``fields = ["id", …its own…, *CHANGE_FIELDS]``."""

    state = serializers.CharField(read_only=True, help_text=", ".join(ChangeState.values))
    proposed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Proposal
        fields = ["id", "kind", "subject", "object_id", "summary", *CHANGE_FIELDS]
        read_only_fields = fields


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="",
                                 help_text="Comment; the reason is required to reject.")


def proposed_response(change, serializer_class=ChangeSerializer):
    """What a write that proposes answers: 202 Accepted with the proposal."""
    return Response(serializer_class(change).data, status=status.HTTP_202_ACCEPTED)


def change_permissions(model, *, decide, withdraw=None) -> dict:
    """``action_permissions`` of a ``ChangeViewSet`` over the change table ``model``: its view permission reads,
    ``decide`` approves and rejects, ``withdraw`` (by default ``decide``) withdraws."""
    return model_permissions(model, "read", approve=decide, reject=decide,
                             withdraw=decide if withdraw is None else withdraw)


class ChangeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Proposed configuration changes (newest first); a second person POSTs ``approve`` (it takes effect) or
    ``reject`` (with the reason in ``note``); the proposer may ``withdraw``. The service checks the kind's
    permission, four-eyes and segregation of duties."""

    serializer_class = ChangeSerializer
    filter_backends = []
    action_permissions = change_permissions(Proposal, decide=DECIDE_PERMISSIONS, withdraw=PROPOSE_PERMISSIONS)

    def get_queryset(self):
        model = self.get_serializer_class().Meta.model
        return model.objects.visible_to(self.request.user).select_related("proposed_by", "decided_by")

    def _note(self, request):
        data = validated(DecisionSerializer(data=request.data))
        return data["note"]

    def _decided(self, change):
        return Response(self.get_serializer_class()(self.get_queryset().get(pk=change.pk)).data)

    @extend_schema(request=DecisionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        change = self.get_object()
        services.change_approve(actor=request.user, change=change, note=self._note(request))
        return self._decided(change)

    @extend_schema(request=DecisionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        change = self.get_object()
        services.change_reject(actor=request.user, change=change, note=self._note(request))
        return self._decided(change)

    @extend_schema(request=DecisionSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        change = self.get_object()
        services.change_withdraw(actor=request.user, change=change, note=self._note(request))
        return self._decided(change)


def register(router):
    router.register("config-changes", ChangeViewSet, basename="config-change")
