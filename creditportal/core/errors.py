"""Errors raised by services; pages turn them into messages, the API into JSON (see ``core.api``)."""
from django.core.exceptions import PermissionDenied


class ServiceError(Exception):
    """A business rule refused the request. ``message`` is for people; ``field_errors`` per field."""

    status_code = 400
    default_code = "invalid"

    def __init__(self, message, *, code=None, field_errors=None):
        super().__init__(str(message))
        self.message = message
        self.code = code or self.default_code
        self.field_errors = field_errors or {}


class ValidationFailed(ServiceError):
    """Input is wrong; nothing was changed."""


class Conflict(ServiceError):
    """The object changed under the caller, or the transition is not allowed from its current state."""

    status_code = 409
    default_code = "conflict"


class NotAllowed(PermissionDenied):
    """The actor may not do this (role, portfolio or four-eyes)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message
