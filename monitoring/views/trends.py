"""The portfolio over time (``monitoring:trends``): the page of ``monitoring.trends.portfolio_trend``."""
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from creditportal.core.views import PortalPermissionMixin

from ..trends import DIMENSIONS, portfolio_trend

MONTH_CHOICES = (12, 24, 36)


class TrendView(PortalPermissionMixin, TemplateView):
    """Monthly overdue rate, NPL ratio, provision coverage, letters and their moves; the latest month by
    relationship manager or industry. Each user sees the customers they may see (their own book for a
    relationship manager)."""

    permission_required = "monitoring.view_assetclassification"
    template_name = "monitoring/trends.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            months = int(self.request.GET.get("months", 24))
        except ValueError:
            months = 24
        months = months if months in MONTH_CHOICES else 24
        dimension = self.request.GET.get("by", "manager")
        trend = portfolio_trend(self.request.user, months=months,
                                dimension=dimension if dimension in DIMENSIONS else "manager")
        context.update(trend=trend, months=months, month_choices=MONTH_CHOICES, chart_data=trend["chart"],
                       chart_names={"overdue_rate": _("Overdue rate (%)"), "npl_ratio": _("NPL ratio (%)"),
                                    "provision_coverage": _("Provision coverage (%)"), "not_rated": _("Not rated")})
        return context
