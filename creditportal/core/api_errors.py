"""The API's error format: JSON with a message a person can act on; 409 for the wrong state."""
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import NotAllowed, ServiceError


def exception_handler(exc, context):
    """JSON errors with a message a person can act on; 409 for a transition from the wrong state."""
    if isinstance(exc, ServiceError):
        body = {"detail": str(exc.message), "code": exc.code}
        if exc.field_errors:
            body["errors"] = {k: [str(m) for m in (v if isinstance(v, (list, tuple)) else [v])] for k, v in exc.field_errors.items()}
        return Response(body, status=exc.status_code)
    if isinstance(exc, TransitionNotAllowed):
        return Response(
            {"detail": _("This action is not allowed in the object's current state."), "code": "conflict"},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, NotAllowed):
        return Response({"detail": str(exc.message), "code": "permission_denied"}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            errors = {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
            return Response({"detail": detail, "code": "invalid", "errors": errors}, status=400)
        return Response({"detail": " ".join(exc.messages), "code": "invalid"}, status=400)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, Http404):
        # Django's "No Customer matches the given query." is English only and names the model: the portal's
        # message is the same for a missing object and another portfolio's.
        exc = exceptions.NotFound(not_found_message())
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" not in response.data:
        # Field errors from a serializer: keep them per field and add a one-line summary.
        errors = response.data
        summary = "; ".join(
            f"{field}: {' '.join(str(m) for m in (msgs if isinstance(msgs, list) else [msgs]))}"
            for field, msgs in errors.items()
        )
        response.data = {"detail": summary, "code": "invalid", "errors": errors}
    elif response is not None and isinstance(response.data, list):
        response.data = {"detail": " ".join(str(m) for m in response.data), "code": "invalid"}
    elif response is not None and isinstance(response.data, dict) and "code" not in response.data:
        # DRF's own answers (401, 403, 404, 405, 406, 415, 429) carry only "detail": add its code.
        detail = response.data["detail"]
        response.data["code"] = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    return response


def not_found_message():
    return _("The page or object does not exist, or is not in your portfolio.")


def is_api_request(request) -> bool:
    return request.path.startswith("/api/")


def api_not_found(request):
    """A URL under /api/ that names no route: the API's JSON error, not the HTML page."""
    return JsonResponse({"detail": not_found_message(), "code": "not_found"}, status=404,
                        json_dumps_params={"ensure_ascii": False})


def api_server_error(request):
    return JsonResponse({"detail": _("The portal could not finish this request. The error is logged: try again, "
                                     "or tell your administrator the time it happened."), "code": "error"},
                        status=500, json_dumps_params={"ensure_ascii": False})


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer (documented on every operation by ``creditportal.core.schema``)."""

    detail = serializers.CharField(help_text="A message a person can act on (in the request's language).")
    code = serializers.CharField(help_text='A stable code: "invalid", "not_authenticated", "permission_denied", '
                                           '"not_found", "conflict", "throttled", …')
    errors = serializers.DictField(child=serializers.JSONField(), required=False,
                                   help_text="Per field: its messages (400 only).")
