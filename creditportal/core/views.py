"""Helpers for the server-rendered pages: permission mixins and turning service errors into messages."""
import functools
import logging

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, resolve_url
from django.urls import reverse
from django.views.generic import DetailView, FormView

from .errors import ServiceError
from .querysets import VisibleRowsMixin

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


class PortalDetailView(PortalPermissionMixin, VisibleRowsMixin, DetailView):
    """A detail page: the permission first, then the object among the declared ``queryset``'s rows the user may
    see (another portfolio's object answers 404 as a missing one does)."""


def visible_or_404(model, user, pk, *related):
    """The object a page's URL names, among the rows ``user`` may see (``visible_to``), ``related`` joined;
    404 for another portfolio's object as for a missing one."""
    return get_object_or_404(model.objects.visible_to(user).select_related(*related), pk=pk)


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


class ServiceFormView(PortalPermissionMixin, FormView):
    """The one form-page base view: a form whose valid data goes to one service call.

    Subclasses set ``form_class``, ``permission_required``, ``title`` and implement ``perform(data)`` (call the
    service with ``actor=self.request.user``; return what it returns). A ``ServiceError`` is shown next to the
    field it names (or above the form) and the input stays; ``NotAllowed`` answers 403. On success the
    ``success_message`` (formatted with the result as ``{result}``) is shown and the browser goes to
    ``success_url_for(result)`` (``success_url_name`` with the result's pk, else ``cancel_url``). The page is ``creditportal/form_page.html`` (apps
    extend it for an intro). ``get_cancel_url()`` honours a safe ``?next=``.
    """

    template_name = "creditportal/form_page.html"
    title = ""
    cancel_url = None  # a URL name or path
    success_url_name = None  # the URL name of the result's page (its pk the argument); default: ``cancel_url``
    success_message = ""
    pass_user = False  # give the form ``user=request.user``
    multipart = False

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.pass_user:
            kwargs["user"] = self.request.user
        return kwargs

    def get_title(self):
        return self.title

    def get_cancel_url(self):
        from django.utils.http import url_has_allowed_host_and_scheme

        nxt = self.request.GET.get("next")
        if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={self.request.get_host()},
                                                   require_https=self.request.is_secure()):
            return nxt
        return resolve_url(self.cancel_url) if self.cancel_url else ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("title", self.get_title())
        context.setdefault("cancel_url", self.get_cancel_url())
        context.setdefault("multipart", self.multipart)
        return context

    def perform(self, data):
        raise NotImplementedError

    def success_url_for(self, result):
        if self.success_url_name:
            return reverse(self.success_url_name, args=[result.pk])
        return self.get_cancel_url()

    def get_success_message(self, result):
        return str(self.success_message)

    def form_valid(self, form):
        from .errors import NotAllowed

        try:
            result = self.perform(form.cleaned_data)
        except NotAllowed as error:
            raise PermissionDenied(error.message) from error
        except ServiceError as error:
            report_service_error(self.request, form, error)
            return self.form_invalid(form)
        message = self.get_success_message(result)
        if message:
            messages.success(self.request, message)
        return HttpResponseRedirect(resolve_url(self.success_url_for(result)))
