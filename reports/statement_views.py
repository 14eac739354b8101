"""The statement of account (对账单) of one customer as a PDF: ``/reports/customers/<pk>/statement.pdf``
``?start=&end=&lang=`` (default: from the first day of the month two months back to today)."""
import datetime as dt

from django import forms
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.views import View

from creditportal.core import clock
from creditportal.core.errors import ServiceError
from creditportal.core.filters import PlausibleDateField
from creditportal.core.views import PortalPermissionMixin

from . import services
from .api import pdf_response
from .documents.common import normalise_language


class StatementPeriodForm(forms.Form):
    start = PlausibleDateField(required=False)
    end = PlausibleDateField(required=False)


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    year, month = divmod(today.year * 12 + today.month - 1 - 2, 12)
    return dt.date(year, month + 1, 1), today


class StatementOfAccountView(PortalPermissionMixin, View):
    permission_required = "collection.view_invoice"  # what it shows: the collector's letter, not a stored report

    def get(self, request, pk):
        from customers.models import Customer

        customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)
        form = StatementPeriodForm(request.GET)
        if not form.is_valid():
            errors = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in form.errors.items())
            return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
        start, end = default_period(clock.today())
        start = form.cleaned_data.get("start") or start
        end = form.cleaned_data.get("end") or end
        try:
            content, filename = services.statement_of_account_download(
                actor=request.user, customer=customer, start=start, end=end,
                language=normalise_language(request.GET.get("lang") or getattr(request, "LANGUAGE_CODE", None)))
        except ServiceError as error:
            return HttpResponse(str(error.message), status=error.status_code, content_type="text/plain; charset=utf-8")
        return pdf_response(content, filename)
