"""The portfolio dashboard and the exposure list behind its figures."""
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.generic import TemplateView, View

from creditportal.core.errors import ServiceError
from creditportal.core.filters import clean_params, report_invalid
from creditportal.core.links import url_of
from creditportal.core.lists import Column, PortalListView
from creditportal.core.views import PortalPermissionMixin
from customers.models import INDUSTRY_SECTION_CHOICES

from .. import selectors, services
from ..filtersets import DashboardFilterSet, ExposureFilterSet


class DashboardAccessMixin(PortalPermissionMixin):
    """Risk staff and auditors: readers of the whole portfolio."""

    permission_required = services.DASHBOARD_PERMISSIONS


class ExposureListView(DashboardAccessMixin, PortalListView):
    """Filtered by ``selectors.exposure_list``; paginated and exported as CSV/XLSX through the shared machinery."""

    template_name = "monitoring/exposure_list.html"
    paginate_by = 50
    export_name = "exposure"
    export_title = gettext_lazy("Exposure by customer")
    columns = [
        Column("customer", gettext_lazy("Customer"), "name"),
        Column("code", gettext_lazy("Code"), "identifier"),
        Column("grade", gettext_lazy("Grade"), "grade"),
        Column("industry", gettext_lazy("Industry"), "get_industry_section_display"),
        Column("group", pgettext_lazy("customer group", "Group"), "group.name"),
        Column("exposure", gettext_lazy("Exposure"), "exposure", kind="money"),
    ]

    params_filterset = ExposureFilterSet

    def base_queryset(self):
        return selectors.exposure_list(self.request.user, self.request.GET)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(params=self.request.GET, filter_labels=selectors.exposure_filter_labels(self.request.GET),
                       missing_rates=selectors.currencies_without_rate(self.request.user),
                       industries=dict(INDUSTRY_SECTION_CHOICES))
        return context


class DashboardView(DashboardAccessMixin, TemplateView):
    """The figures of users who see every customer come from the snapshot (``selectors.dashboard_for``)."""

    template_name = "monitoring/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        dates, errors = clean_params(DashboardFilterSet, self.request.GET)
        report_invalid(self.request, errors)
        data = selectors.dashboard_for(self.request.user, start=dates.get("start"), end=dates.get("end"))
        chart = {
            "grades": {"labels": [r["grade"] for r in data["by_grade"]],
                       "values": [str(r["exposure"]) for r in data["by_grade"]]},
            "industries": {"labels": [r["label"] or r["code"] for r in data["by_industry"]],
                           "values": [str(r["exposure"]) for r in data["by_industry"]]},
            "alerts": {"labels": [str(r["label"]) for r in data["alerts"]], "values": [r["total"] for r in data["alerts"]]},
            "provisions": {"labels": [str(r["label"]) for r in data["provisions"]],
                           "values": [str(r["provision"]) for r in data["provisions"]]},
            "aging": {"labels": [r["label"] for r in data["aging"]], "values": [str(r["amount"]) for r in data["aging"]]},
        }
        context.update(data=data, chart_data=chart, missing_rates=data["missing_rates"],
                       explicit_dates={key: value.isoformat() for key, value in dates.items() if value},
                       age_labels={"d0_7": _("0–7 days"), "d8_30": _("8–30 days"), "d31_90": _("31–90 days"),
                                   "over_90": _("over 90 days")})
        return context


class DashboardRefreshView(DashboardAccessMixin, View):
    """"Refresh now": the dashboard's snapshot of the shown period recomputed in the background (POST only)."""

    def post(self, request):
        dates, _errors = clean_params(DashboardFilterSet, request.POST)
        dates = {key: value for key, value in dates.items() if value}
        try:
            services.dashboard_refresh_request(actor=request.user, start=dates.get("start"), end=dates.get("end"))
            messages.success(request, _("The figures are being recomputed; reload the page in a moment."))
        except ServiceError as error:
            messages.error(request, error.message)
        query = urlencode({key: value.isoformat() for key, value in dates.items()})
        return redirect(url_of("monitoring:dashboard") + (f"?{query}" if query else ""))
