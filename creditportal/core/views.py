"""Helpers for the server-rendered pages: permission mixins and turning service errors into messages."""
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied

from .errors import ServiceError


class PortalPermissionMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Login required, then the Django permission(s) in ``permission_required``; 403 otherwise."""

    raise_exception = False

    def handle_no_permission(self):
        if self.request.user.is_authenticated:
            raise PermissionDenied
        return super().handle_no_permission()


def report_service_error(request, form, error: ServiceError):
    """Show a service's refusal next to the fields it names, or at the top of the form."""
    placed = False
    if form is not None:
        for field, message in error.field_errors.items():
            if field in form.fields:
                form.add_error(field, message)
                placed = True
    if not placed:
        if form is not None:
            form.add_error(None, error.message)
        else:
            messages.error(request, error.message)
