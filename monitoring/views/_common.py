"""Helpers shared by the monitoring pages' sections."""
from django.contrib import messages
from django.shortcuts import redirect
from django.views.generic import View

from creditportal.core.errors import ServiceError
from creditportal.core.views import PortalPermissionMixin

from ..forms import RunForm


class MonthRunView(PortalPermissionMixin, View):
    """A month-end job started from a button (the month from ``RunForm``, empty for the default month): a
    refusal is a message on the list page ``back``; ``succeeded(result)`` says what was done and where to go."""

    back = ""  # the URL name of the list page

    def run(self, period):
        raise NotImplementedError

    def succeeded(self, result):
        raise NotImplementedError

    def post(self, request):
        form = RunForm(request.POST)
        form.is_valid()
        try:
            result = self.run(form.cleaned_data.get("period"))
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect(self.back)
        return self.succeeded(result)
