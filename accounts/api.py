from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny

from creditportal.core.api import validated
from creditportal.core.throttle import AtomicRateThrottle

from proposals.api import ChangeSerializer, proposed_response

User = get_user_model()


class TokenLoginThrottle(AtomicRateThrottle):
    """Token requests per address (``auth_token_address``) and per username and address (``auth_token``),
    the same keys as the login form's lock-out (``AXES_LOCKOUT_PARAMETERS``). DRF checks throttles in
    ``initial()``, before the view authenticates: a refused request never reaches the password hasher."""

    scope = "auth_token"

    def limits(self, request):
        address = self.get_ident(request)
        username = str(request.data.get("username", "")).lower()[:150] if hasattr(request, "data") else ""
        return [("auth_token_address", address), ("auth_token", f"{address}:{username}")]


class TokenView(ObtainAuthToken):
    """``POST username, password`` → ``{"token": …}`` for ``Authorization: Token …``."""

    permission_classes = [AllowAny]
    throttle_classes = [TokenLoginThrottle]

    @extend_schema(
        request=inline_serializer("TokenRequest", {"username": serializers.CharField(),
                                                   "password": serializers.CharField()}),
        responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class UserSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "email", "is_active", "roles"]

    def get_roles(self, user) -> list[str]:
        return [g.name for g in user.groups.all()]


class RolesSerializer(serializers.Serializer):
    roles = serializers.ListField(child=serializers.CharField(), allow_empty=True)


class UserViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = User.objects.exclude(username="system").prefetch_related("groups").order_by("username")
    serializer_class = UserSerializer
    search_fields = ["username", "first_name", "last_name"]
    action_permissions = {"list": "auth.view_user", "retrieve": "auth.view_user", "roles": "auth.change_user"}

    @extend_schema(request=RolesSerializer, responses={202: ChangeSerializer})
    @action(detail=True, methods=["post"])
    def roles(self, request, pk=None):
        """Propose the user's roles: 202 with the proposal (``config-changes``), which applies once another risk
        administrator approves it. One's own roles and incompatible roles are refused."""
        from . import services

        data = validated(RolesSerializer(data=request.data))
        change = services.user_roles_propose(actor=request.user, user=self.get_object(),
                                             roles=data["roles"])
        return proposed_response(change)




class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        from .models import Notification

        model = Notification
        fields = ["id", "title", "body", "url", "created_at", "read_at"]
        read_only_fields = fields


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = NotificationSerializer
    action_permissions = {"list": None, "retrieve": None, "read": None}

    def get_queryset(self):
        from .models import Notification

        return Notification.objects.visible_to(self.request.user)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        from . import services

        notification = services.notification_mark_read(actor=request.user, notification=self.get_object())
        return Response(self.get_serializer(notification).data)


def register(router):
    router.register("users", UserViewSet, basename="user")
    router.register("notifications", NotificationViewSet, basename="notification")
