"""Token authentication and the deny-by-default permission of every API view."""
import logging

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import BasePermission

from ..access import model_permission
from .prepared import _token_statement


security_log = logging.getLogger("creditportal.security")


class ActiveUserTokenAuthentication(TokenAuthentication):
    """``Authorization: Token …``; inactive users are refused (DRF does this) and their tokens deleted.

    DRF's lookup (the token with its user, ``select_related("user").get(key=key)``) as one statement
    written once per token model and database (``_TokenStatement``) instead of building and compiling the
    queryset on every request; the same answers: an unknown key → "Invalid token.", an inactive user →
    "User inactive or deleted.". Permission checks then go through the backends as before."""

    def authenticate_credentials(self, key):
        model = self.get_model()
        token = _token_statement(model).fetch(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)


# The actions of DRF's model mixins and the model permission each needs, as Django names them; ``read`` and
# ``update`` stand for the pairs DRF routes together.
MODEL_ACTIONS = {
    "read": (("list", "retrieve"), "view"),
    "list": (("list",), "view"),
    "retrieve": (("retrieve",), "view"),
    "create": (("create",), "add"),
    "update": (("update", "partial_update"), "change"),
    "destroy": (("destroy",), "delete"),
}


def model_permissions(model, *standard: str, **actions) -> dict:
    """``action_permissions`` of a viewset over ``model``: each of the ``standard`` actions (``read``, ``list``,
    ``retrieve``, ``create``, ``update``, ``destroy``; see ``MODEL_ACTIONS``) needs the model's own permission,
    ``actions`` maps the viewset's other actions (``approve="app.approve_x"``)."""
    mapping = {}
    for name in standard:
        routed, verb = MODEL_ACTIONS[name]
        mapping.update(dict.fromkeys(routed, model_permission(model, verb)))
    return {**mapping, **actions}


class ActionPermission(BasePermission):
    """Deny by default: a view must map each of its actions to a Django permission.

    Viewsets set ``action_permissions = {"list": "app.view_x", "create": "app.add_x", "approve": …}``
    (``model_permissions(X, "read", "create", approve=…)`` writes the model's own ones);
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
