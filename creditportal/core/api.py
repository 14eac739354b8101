"""The API's common parts: deny-by-default permissions, pagination, token auth (errors: ``api_errors``)."""
import logging

from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission


security_log = logging.getLogger("creditportal.security")


class ActiveUserTokenAuthentication(TokenAuthentication):
    """``Authorization: Token …``; inactive users are refused (DRF does this) and their tokens deleted."""


class ActionPermission(BasePermission):
    """Deny by default: a view must map each of its actions to a Django permission.

    Viewsets set ``action_permissions = {"list": "app.view_x", "create": "app.add_x", "approve": …}``;
    plain API views set ``required_permission``. ``None`` as a value means "any signed-in user"; a list
    means all of them, a set any one of them.
    An action that the map does not name is refused.
    """

    message = _("You do not have the permission to do this.")

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        mapping = getattr(view, "action_permissions", None)
        if mapping is not None:
            action = getattr(view, "action", None)
            if action is None and request.method == "OPTIONS":
                return True
            if action not in mapping:
                security_log.warning("refused: user=%s unmapped action %s on %s", user.username, action, type(view).__name__)
                return False
            needed = mapping[action]
        elif hasattr(view, "required_permission"):
            needed = view.required_permission
        else:
            return False
        if needed is None:
            return True
        if isinstance(needed, (set, frozenset)):  # any one of these
            allowed = any(user.has_perm(p) for p in needed)
            needs = sorted(needed)
        else:
            needs = needed if isinstance(needed, (list, tuple)) else [needed]
            allowed = all(user.has_perm(p) for p in needs)
        if not allowed:
            security_log.warning("refused: user=%s permission=%s", user.username, needs)
        return allowed


class StandardPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 500
