"""Pages of the detailed statements: the three-year view with the peers' quartiles, and spreading an XLSX in two
steps (upload → preview of the mapping → confirm). Thin: selectors and services do the work."""
from __future__ import annotations

import secrets
from decimal import Decimal

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View

from creditportal.core.errors import NotAllowed, ServiceError
from creditportal.core.views import PortalPermissionMixin, report_service_error

from . import rules as ratio_math
from . import selectors, spreading_io
from .forms import StatementSheetForm
from .labels import RATIO_LABELS, SECTION_LABELS, STATEMENT_LABELS, line_name
from .services import spreading
from .views import CustomerFormView, visible_customer

TEN_THOUSAND = Decimal(10000)
SESSION_PREFIX = "statement_sheet:"


def _wan(value):
    return None if value is None else (value / TEN_THOUSAND).quantize(Decimal("0.01"))


class StatementComparisonView(PortalPermissionMixin, TemplateView):
    """Every line of the latest three annual statements with the change year on year, and the customer's ratios
    beside its peers' quartiles (same industry section and size, from the nightly store)."""

    permission_required = "customers.view_financialstatement"
    template_name = "customers/statement_comparison.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        customer = visible_customer(self.request.user, self.kwargs["pk"])
        comparison = selectors.statement_comparison(customer)
        sections = []
        if comparison:
            for statement_key, section, rows in comparison["sections"]:
                sections.append({
                    "statement": STATEMENT_LABELS[statement_key], "label": SECTION_LABELS[section],
                    "rows": [{"line": row["line"], "name": line_name(row["line"].code),
                              "cells": [{"value": _wan(c["value"]), "change": _wan(c["change"]),
                                         "change_pct": None if c["change_pct"] is None
                                         else (c["change_pct"] * 100).quantize(Decimal("0.1"))}
                                        for c in row["cells"]]}
                             for row in rows]})
        context.update({"customer": customer, "title": _("Three-year view") + " · " + customer.name,
                        "statements": comparison["statements"] if comparison else [], "sections": sections,
                        "peers": peer_rows(customer)})
        return context


def peer_rows(customer):
    """The customer's latest ratios beside the stored quartiles of its peers (``selectors.peer_statistics``)."""
    latest = selectors.latest_ratios_for([customer.pk]).get(customer.pk)
    stored = selectors.peer_statistics(customer.industry_section, customer.size)
    if latest is None and not stored["ratios"]:
        return None
    rows = []
    for key in ratio_math.RATIO_KEYS:
        peer = stored["ratios"].get(key)
        value = latest["ratios"].get(key) if latest else None
        position = None
        if value is not None and peer is not None:
            position = ("below" if value < peer["p25"] else "above" if value > peer["p75"] else "within")
        rows.append({"key": key, "label": RATIO_LABELS[key], "kind": ratio_math.RATIO_KINDS[key], "value": value,
                     "peer": peer, "position": position})
    return {"rows": rows, "computed_on": stored["computed_on"], "count": stored["count"],
            "period_end": latest["period_end"] if latest else None}


class StatementSheetView(CustomerFormView):
    """Step 1 and 2: upload the sheet, then see the mapping (matched lines, unmatched rows, bad rows, refusals per
    period) with a Confirm button when everything can be imported. Nothing is saved here."""

    permission_required = "customers.add_financialstatement"
    form_class = StatementSheetForm
    template_name = "customers/statement_sheet.html"
    tab = "financials"
    multipart = True
    title = gettext_lazy("Spread statements from a sheet")

    def form_valid(self, form):
        header = {name: form.cleaned_data.get(name) for name in spreading.SHEET_HEADER_FIELDS}
        try:
            preview = spreading.statement_sheet_preview(actor=self.request.user, customer=self.customer,
                                                        uploaded_file=form.cleaned_data["file"], header=header)
        except NotAllowed:
            raise
        except ServiceError as error:
            report_service_error(self.request, form, error)
            return self.form_invalid(form)
        token = ""
        if preview.importable:
            token = secrets.token_urlsafe(16)
            self.request.session[SESSION_PREFIX + token] = {"customer": self.customer.pk, **preview.payload()}
        return self.render_to_response(self.get_context_data(form=form, preview=preview, token=token,
                                                             preview_rows=_preview_rows(preview)))


def _preview_rows(preview):
    return [{"sheet": row.sheet, "row": row.row, "text": row.name or row.code_text, "code": row.code,
             "line": line_name(row.code), "how": row.how,
             "amounts": [_plain(row.amounts.get(period)) for period in preview.periods]}
            for row in preview.matched]


def _plain(value):
    return None if value is None else value


class StatementSheetConfirmView(PortalPermissionMixin, View):
    """Step 3: save the previewed periods (all or none)."""

    permission_required = "customers.add_financialstatement"

    def post(self, request, pk):
        customer = visible_customer(request.user, pk)
        token = request.POST.get("token", "")
        payload = request.session.get(SESSION_PREFIX + token) if token else None
        if not payload or payload.get("customer") != customer.pk:
            messages.error(request, _("This preview has expired: upload the file again."))
            return redirect("customers:statement_sheet", pk=customer.pk)
        try:
            created = spreading.statement_sheet_import(actor=request.user, customer=customer, payload=payload)
        except NotAllowed:
            raise
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect("customers:statement_sheet", pk=customer.pk)
        request.session.pop(SESSION_PREFIX + token, None)
        messages.success(request, _("%(n)d statement(s) imported.") % {"n": len(created)})
        return redirect(reverse("customers:customer_detail", kwargs={"pk": customer.pk}) + "?tab=financials")


class StatementSheetTemplateView(PortalPermissionMixin, View):
    permission_required = "customers.view_financialstatement"

    def get(self, request):
        content = spreading_io.xlsx_template(language_zh=(get_language() or "").lower().startswith("zh"))
        response = HttpResponse(content,
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = 'attachment; filename="statement-sheet-template.xlsx"'
        return response


__all__ = ["StatementComparisonView", "StatementSheetView", "StatementSheetConfirmView", "StatementSheetTemplateView",
           "render", "Http404"]
