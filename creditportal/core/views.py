"""Helpers for the server-rendered pages: permission mixins and turning service errors into messages."""
import functools
import logging

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied

from .errors import ServiceError

security_log = logging.getLogger("creditportal.security")


class PortalPermissionMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Login required, then the Django permission(s) in ``permission_required``; 403 otherwise.

    ``permission_required`` may be one permission, a list (all of them) or a set (any one of them).

    The check runs in the view function returned by ``as_view``, before ``dispatch``: a view that
    looks its object up in ``dispatch`` can never answer a refused role with 404 (which would tell
    them whether the id exists) or run any code for them.
    """

    raise_exception = False

    def has_permission(self):
        needed = self.get_permission_required()
        if isinstance(needed, (set, frozenset)):  # any one of these
            return any(self.request.user.has_perm(p) for p in needed)
        return self.request.user.has_perms(needed)

    def handle_no_permission(self):
        if self.request.user.is_authenticated:
            security_log.warning("refused: user=%s permission=%s page=%s %s", self.request.user.username,
                                 self.get_permission_required(), self.request.method, self.request.path)
            raise PermissionDenied
        return super().handle_no_permission()

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)

        def guarded(request, *args, **kwargs):
            gate = cls(**initkwargs)
            gate.setup(request, *args, **kwargs)
            if not request.user.is_authenticated or not gate.has_permission():
                return gate.handle_no_permission()
            return view(request, *args, **kwargs)

        functools.update_wrapper(guarded, view)
        guarded.view_class = view.view_class
        guarded.view_initkwargs = view.view_initkwargs
        return guarded


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
