"""The portfolio dashboard and the exposure list behind its figures."""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.generic import TemplateView

from creditportal.core.filters import clean_params, report_invalid
from creditportal.core.lists import Column, PortalListView
from creditportal.core.views import PortalPermissionMixin
from customers.models import INDUSTRY_SECTION_CHOICES

from .. import selectors
from ..filtersets import DashboardFilterSet, ExposureFilterSet


class DashboardAccessMixin(PortalPermissionMixin):
    """Risk staff and auditors: readers of the whole portfolio."""

    permission_required = ("monitoring.view_alert", "customers.view_all_customers")


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
    template_name = "monitoring/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        dates, errors = clean_params(DashboardFilterSet, self.request.GET)
        report_invalid(self.request, errors)
        data = selectors.dashboard(self.request.user, start=dates.get("start"), end=dates.get("end"))
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
        context.update(data=data, chart_data=chart, missing_rates=selectors.currencies_without_rate(self.request.user),
                       age_labels={"d0_7": _("0–7 days"), "d8_30": _("8–30 days"), "d31_90": _("31–90 days"),
                                   "over_90": _("over 90 days")})
        return context
