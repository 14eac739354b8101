"""Provision pages: the runs, a run's lines, the rates and the decision pages of a rate change."""
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View

from creditportal.core import access
from creditportal.core.errors import ServiceError
from creditportal.core.filters import clean_params
from creditportal.core.formatting import percent
from creditportal.core.lists import Column, PortalListView
from creditportal.core.views import PortalPermissionMixin
from proposals import services as proposals

from .. import selectors, services
from ..filtersets import ProvisionLineFilterSet
from ..forms import RatesForm, RunForm
from ..models import ProvisionRun, Tier
from ._common import MonthRunView


class ProvisionRunListView(PortalListView):
    permission_required = "monitoring.view_provisionrun"
    template_name = "monitoring/provision_run_list.html"
    paginate_by = 24
    default_sort = "-period"
    export_name = "provision-runs"
    export_title = gettext_lazy("Provisions")
    columns = [
        Column("period", gettext_lazy("Month end"), "period", sort="period", kind="date"),
        Column("customers", gettext_lazy("Customers"), "customer_count", kind="number"),
        Column("exposure", gettext_lazy("Exposure"), "total_exposure", kind="money", currency="currency"),
        Column("provision", gettext_lazy("Provision"), "total_provision", kind="money", currency="currency"),
        Column("run_by", gettext_lazy("Run by"), "run_by", kind="person"),
        Column("run_at", gettext_lazy("Run at"), "run_at", kind="date"),
    ]

    queryset = ProvisionRun.objects.select_related("run_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        can_rates = access.has(user, "monitoring.change_provisionrate")
        pending = services.pending_rate_change()
        context.update(can_run=access.has(user, "monitoring.run_provisions"), run_form=RunForm(),
                       can_rates=can_rates,
                       rates_form=RatesForm(rates=services.current_rates()), rates=services.current_rates(),
                       tiers=Tier.choices, pending_change=pending,
                       pending_rows=[{"label": label, "before": percent(pending.previous.get(tier)),
                                      "after": percent(pending.rates.get(tier))}
                                     for tier, label in Tier.choices if tier in pending.rates] if pending else [],
                       can_decide_change=bool(pending and proposals.may_decide(user, pending)),
                       url_names={"detail": "monitoring:provision_rates_change_detail",
                                  "approve": "monitoring:provision_rates_approve",
                                  "reject": "monitoring:provision_rates_reject"})
        return context


class ProvisionRunView(MonthRunView):
    permission_required = "monitoring.run_provisions"
    back = "monitoring:provision_run_list"

    def run(self, period):
        return services.provision_run(actor=self.request.user, period=period)

    def succeeded(self, run):
        messages.success(self.request, _("Provisions for %(period)s computed.") % {"period": f"{run.period:%Y-%m}"})
        return redirect("monitoring:provision_run_detail", pk=run.pk)


class ProvisionRatesView(PortalPermissionMixin, View):
    permission_required = "monitoring.change_provisionrate"

    def post(self, request):
        form = RatesForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("A rate is a fraction between 0 and 1."))
            return redirect("monitoring:provision_run_list")
        try:
            services.provision_rates_propose(actor=request.user, rates=form.cleaned_data)
            messages.success(request, _("New provision rates proposed; they apply once another risk administrator "
                                        "approves them."))
        except ServiceError as error:
            messages.error(request, error.message)
        return redirect("monitoring:provision_run_list")






class ProvisionRunDetailView(PortalListView):
    """A provision run: the movement by tier since the previous month and its lines (filtered by
    ``selectors.provision_lines``; paginated and exportable through the shared list machinery)."""

    permission_required = "monitoring.view_provisionrun"
    template_name = "monitoring/provision_run_detail.html"
    paginate_by = 50
    params_filterset = ProvisionLineFilterSet
    export_name = "provision-lines"
    export_title = gettext_lazy("Provision lines")
    columns = [
        Column("customer", gettext_lazy("Customer"), "customer.name", sort="customer__name"),
        Column("tier", gettext_lazy("Tier"), "get_tier_display", sort="tier"),
        Column("exposure", gettext_lazy("Exposure"), "exposure", sort="exposure", kind="money",
               currency="run.currency"),
        Column("rate", gettext_lazy("Rate"), "rate", kind="number"),
        Column("amount", gettext_lazy("Provision"), "amount", sort="amount", kind="money", currency="run.currency"),
    ]

    def get(self, request, *args, **kwargs):
        self.run = get_object_or_404(ProvisionRun.objects.visible_to(request.user), pk=kwargs["pk"])
        return super().get(request, *args, **kwargs)

    def base_queryset(self):
        return selectors.provision_lines(self.request.user, self.run, self.request.GET).select_related("run")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        tier = clean_params(ProvisionLineFilterSet, self.request.GET)[0].get("tier", "")
        context.update(run=self.run, object=self.run, comparison=selectors.provision_comparison(self.run),
                       lines=context["object_list"], tiers=Tier.choices, tier=tier)
        return context
