"""The OpenAPI schema documents the error answers of every operation, once, here.

``creditportal.core.api_errors.exception_handler`` gives every error the same body (``ErrorSerializer``:
``detail``, ``code`` and, for field errors, ``errors``). Which statuses an operation can answer follows from
what it takes and does:

- 400 when it takes a request body or query parameters (validation, filters);
- 401 and 403 always (no or bad credentials; the role or the portfolio does not allow it, or no CSRF token);
- 404 when its path or its request body names an object (none such visible to you), or it is paginated (a page
  past the end);
- 409 when it writes (a transition from the wrong state, a limit or a concurrent change);
- 429 when the view is throttled.

An ``@extend_schema(responses={...})`` on a view that names one of these statuses keeps its own description.
"""
import re

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse

from .api_errors import ErrorSerializer

ERROR_DESCRIPTIONS = {
    "400": "Invalid input: nothing was changed; `errors` holds the messages per field.",
    "401": "Not signed in, or the token is unknown or belongs to a deactivated user.",
    "403": "The role or the portfolio does not allow this, or the CSRF token is missing.",
    "404": "No such object visible to you (in the path or the request), or no such page.",
    "409": "Not allowed in the object's current state, or it changed meanwhile: reload and try again.",
    "429": "Too many requests: wait for the number of seconds in the Retry-After header.",
}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class AutoSchema(SpectacularAutoSchema):
    def error_statuses(self, operation: dict) -> list[str]:
        parameters = operation.get("parameters", [])
        statuses = ["401", "403"]
        if "requestBody" in operation or any(p.get("in") == "query" for p in parameters):
            statuses.append("400")
        if (any(p.get("in") == "path" for p in parameters) or "requestBody" in operation
                or self._is_list_view() and self._get_paginator()):
            statuses.append("404")
        if self.method in WRITE_METHODS:
            statuses.append("409")
        if self.view.get_throttles():
            statuses.append("429")
        return sorted(statuses)

    def get_override_parameters(self):
        """A view method marked ``@idempotent`` documents the optional ``Idempotency-Key`` header."""
        parameters = super().get_override_parameters()
        handler = getattr(self.view, getattr(self.view, "action", None) or self.method.lower(), None)
        if getattr(handler, "idempotent", False):
            from .idempotency import PARAMETER

            parameters = [*parameters, PARAMETER]
        return parameters

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:  # excluded from the schema
            return None
        responses = operation.setdefault("responses", {})
        for status in self.error_statuses(operation):
            if status not in responses:
                response = OpenApiResponse(response=ErrorSerializer, description=ERROR_DESCRIPTIONS[status])
                responses[status] = self._get_response_for_code(response, status, media_types=["application/json"])
        operation["responses"] = dict(sorted(responses.items()))
        return operation


DECIMAL_PATTERN = re.compile(r"^\^-\?\\d\{0,(\d+)\}\(\?:\\\.\\d\{0,(\d+)\}\)\?\$$")


def require_digits_in_decimals(result, generator, request, public):
    """drf-spectacular's pattern for a decimal string (``^-?\\d{0,16}(?:\\.\\d{0,2})?$``) allows "", "-" and
    ".", which the API refuses as "not a number": require at least one digit before the point."""
    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "string" and node.get("format") == "decimal":
                match = DECIMAL_PATTERN.match(node.get("pattern", ""))
                if match:
                    whole, fraction = match.groups()
                    node["pattern"] = rf"^-?\d{{1,{whole}}}(?:\.\d{{1,{fraction}}})?$"
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result.get("components", {}))
    walk(result.get("paths", {}))
    return result
