"""Asset classification pages: the monthly list and run, an exposure's page and its reclassification."""
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from creditportal.core import access
from creditportal.core.errors import ServiceError
from creditportal.core.lists import Column, PortalListView
from creditportal.core.views import PortalDetailView, report_service_error

from .. import selectors, services
from ..filtersets import ClassificationFilterSet
from ..forms import ReclassifyForm, RunForm
from ..models import AssetClassification, ClassificationStatus, Tier
from ._common import MonthRunView


class ClassificationListView(PortalListView):
    """Filtered by ``selectors.classification_list`` (period, tier, status, manual, customer); ``?sort=`` and
    export through the shared list machinery."""

    permission_required = "monitoring.view_assetclassification"
    template_name = "monitoring/classification_list.html"
    paginate_by = 50
    export_name = "asset-classification"
    export_title = gettext_lazy("Asset classification")
    columns = [
        Column("period", gettext_lazy("Month end"), "period", sort="period", kind="date"),
        Column("customer", gettext_lazy("Customer"), "customer.name", sort="customer__name"),
        Column("dpd", gettext_lazy("Days past due"), "days_past_due", sort="days_past_due", kind="number"),
        Column("exposure", gettext_lazy("Exposure"), "exposure", sort="exposure", kind="money", currency="currency"),
        Column("letter", gettext_lazy("Rating letter"), "letter"),
        Column("floor", gettext_lazy("Floor (the worse of days past due and grade)"), "get_floor_tier_display"),
        Column("tier", gettext_lazy("Tier"), "get_tier_display", sort="tier"),
        Column("manual", gettext_lazy("Classified manually"), "manual"),
        Column("status", gettext_lazy("Status"), "get_status_display", sort="status"),
    ]

    def base_queryset(self):
        return selectors.classification_list(self.request.user, self.request.GET)

    params_filterset = ClassificationFilterSet

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            params=self.request.GET, tiers=Tier.choices,
            statuses=ClassificationStatus.choices,
            periods=AssetClassification.objects.order_by("-period").values_list("period", flat=True).distinct()[:24],
            can_run=access.has(user, "monitoring.classify_exposure"), run_form=RunForm(),
        )
        return context


class ClassificationRunView(MonthRunView):
    permission_required = "monitoring.classify_exposure"
    back = "monitoring:classification_list"

    def run(self, period):
        return services.classification_run(actor=self.request.user, period=period)

    def succeeded(self, result):
        messages.success(self.request, _("Month %(period)s classified: %(created)s new, %(updated)s updated.")
                         % {"period": f"{result['period']:%Y-%m}", "created": result["created"],
                            "updated": result["updated"]})
        return redirect(self.back)


class ClassificationDetailView(PortalDetailView):
    permission_required = "monitoring.view_assetclassification"
    template_name = "monitoring/classification_detail.html"
    context_object_name = "classification"
    queryset = AssetClassification.objects.select_related("customer", "requested_by", "approved_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        obj, user = self.object, self.request.user
        form = kwargs.get("form") or ReclassifyForm()
        form.fields["tier"].choices = services.reclassification_tiers(obj)
        actions = services.classification_available_actions(obj, user)
        context.update(
            form=form, can_request="request" in actions, can_decide="decide" in actions,
            history=AssetClassification.objects.visible_to(user).filter(customer=obj.customer)
            .order_by("-period")[:12],
        )
        return context

    def get_permission_required(self):
        # Reading needs view; a POST requests a reclassification or decides one.
        if self.request.method == "POST":
            return {"monitoring.classify_exposure", "monitoring.approve_classification"}
        return ["monitoring.view_assetclassification"]

    def post(self, request, pk):
        self.object = get_object_or_404(self.get_queryset(), pk=pk)
        decision = request.POST.get("decision")
        try:
            if decision in ("approve", "reject"):
                service = services.classification_approve if decision == "approve" else services.classification_reject
                service(actor=request.user, classification=self.object, comment=request.POST.get("comment", ""))
                messages.success(request, _("Decision recorded."))
                return redirect("monitoring:classification_detail", pk=pk)
            form = ReclassifyForm(request.POST)
            form.fields["tier"].choices = Tier.choices
            if not form.is_valid():
                return self.render_to_response(self.get_context_data(form=form))
            services.classification_request(actor=request.user, classification=self.object,
                                            tier=form.cleaned_data["tier"], reason=form.cleaned_data["reason"])
            messages.success(request, _("Reclassification requested; another person must approve it."))
        except ServiceError as error:
            form = ReclassifyForm(request.POST)
            report_service_error(request, form, error)
            messages.error(request, error.message)
        return redirect("monitoring:classification_detail", pk=pk)
