"""Pages of the monitoring app: thin views over the selectors and services."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.generic import DetailView, TemplateView, View

from creditportal.core import access
from creditportal.core.errors import ServiceError
from creditportal.core.filters import clean_params, report_invalid
from creditportal.core.lists import Column, PortalListView
from creditportal.core.views import PortalPermissionMixin, ServiceFormView, report_service_error
from customers.models import INDUSTRY_SECTION_CHOICES, Customer
from proposals import services as proposals
from proposals.views import ChangeDecideView, ChangeDetailView

from . import selectors, services
from .filtersets import (
    AlertFilterSet, ClassificationFilterSet, DashboardFilterSet, ExposureFilterSet, ProvisionLineFilterSet,
    WatchlistFilterSet,
)
from .forms import CommentForm, RatesForm, ReclassifyForm, RunForm, StartActionForm, WarningRuleForm, WatchlistForm
from .models import (
    Alert, AlertStatus, AssetClassification, ClassificationStatus, ProvisionRateChange, ProvisionRun, Severity, Tier,
    WarningRule, WarningRuleChange, WatchlistEntry,
)


# --- Alerts ------------------------------------------------------------------------------------------

class AlertListView(PortalListView):
    """Filtered by ``selectors.alert_list`` (status, severity, rule, age, q); ``?sort=`` and export through the
    shared list machinery (unsorted: the most severe first, then the newest)."""

    permission_required = "monitoring.view_alert"
    template_name = "monitoring/alert_list.html"
    export_name = "alerts"
    export_title = gettext_lazy("Alerts")
    columns = [
        Column("raised", gettext_lazy("Raised on"), "raised_on", sort="raised_on", kind="date"),
        Column("customer", gettext_lazy("Customer"), "customer.name", sort="customer__name"),
        Column("rule", gettext_lazy("Rule"), "rule.name", sort="rule__name"),
        Column("severity", gettext_lazy("Severity"), "get_severity_display", sort="severity_rank"),
        Column("status", gettext_lazy("Status"), "get_status_display", sort="status"),
        Column("value", gettext_lazy("Value"), "value", kind="number"),
        Column("last_seen", gettext_lazy("Last seen on"), "last_seen_on", kind="date"),
        Column("owner", gettext_lazy("Owner"), "owner.username"),
        Column("action", gettext_lazy("Recommended action"), "get_recommended_action_display"),
    ]

    def base_queryset(self):
        return selectors.alert_list(self.request.user, self.request.GET)

    params_filterset = AlertFilterSet

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            params=self.request.GET, severities=Severity.choices, statuses=[("active", pgettext("alert status", "active")), ("all", _("all")), *AlertStatus.choices],
            rules=WarningRule.objects.order_by("name").values_list("code", "name"),
            sorts=[("", _("severity, newest")), ("-raised", _("newest")), ("raised", _("oldest")),
                   ("customer", _("customer")), ("rule", _("rule"))],
        )
        return context


class AlertDetailView(PortalPermissionMixin, DetailView):
    permission_required = "monitoring.view_alert"
    template_name = "monitoring/alert_detail.html"
    context_object_name = "alert"

    def get_queryset(self):
        return Alert.objects.visible_to(self.request.user).select_related("rule", "customer", "owner", "handled_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        alert = self.object
        user = self.request.user
        watch_form = WatchlistForm(initial={"reason": alert.rule.name})
        for name in ("customer", "customer_name"):
            del watch_form.fields[name]
        recommended = services.recommended_actions_for(alert, user)
        context.update(
            actions=services.available_actions(alert, user),
            recommended=recommended,
            comment_form=CommentForm(),
            action_form=StartActionForm(actions=recommended, initial={"action": alert.recommended_action}),
            can_watch=services.may_watch_from_alert(alert, user),
            watch_form=watch_form,
            detail_rows=selectors.alert_detail_rows(alert),
        )
        return context


class AlertTransitionView(PortalPermissionMixin, View):
    permission_required = "monitoring.handle_alert"
    SERVICES = {"acknowledge": services.alert_acknowledge, "resolve": services.alert_resolve,
                "dismiss": services.alert_dismiss}

    def post(self, request, pk, transition):
        alert = get_object_or_404(Alert.objects.visible_to(request.user), pk=pk)
        service = self.SERVICES.get(transition)
        if service is None:
            raise Http404
        form = CommentForm(request.POST)
        form.is_valid()
        try:
            service(actor=request.user, alert=alert, comment=form.cleaned_data.get("comment", ""))
            messages.success(request, _("Alert updated."))
        except ServiceError as error:
            messages.error(request, error.message)
        return redirect("monitoring:alert_detail", pk=pk)


class AlertStartActionView(PortalPermissionMixin, View):
    permission_required = "monitoring.handle_alert"

    def post(self, request, pk):
        alert = get_object_or_404(Alert.objects.visible_to(request.user), pk=pk)
        form = StartActionForm(request.POST, actions=services.recommended_actions_for(alert, request.user))
        if not form.is_valid():
            messages.error(request, _("Choose an action."))
            return redirect("monitoring:alert_detail", pk=pk)
        try:
            services.alert_start_action(actor=request.user, alert=alert, action=form.cleaned_data["action"],
                                        comment=form.cleaned_data["comment"],
                                        new_limit=form.cleaned_data.get("new_limit"))
            messages.success(request, _("Action started and recorded on the alert."))
        except ServiceError as error:
            messages.error(request, error.message)
        except PermissionDenied as error:
            messages.error(request, str(error) or _("You do not have the permission to do this."))
        return redirect("monitoring:alert_detail", pk=pk)


class AlertWatchView(PortalPermissionMixin, View):
    permission_required = "monitoring.add_watchlistentry"

    def post(self, request, pk):
        alert = get_object_or_404(Alert.objects.visible_to(request.user), pk=pk)
        form = WatchlistForm(request.POST)
        form.is_valid()
        try:
            services.watchlist_add(actor=request.user, customer=alert.customer,
                                   reason=form.cleaned_data.get("reason", ""), until=form.cleaned_data.get("until"),
                                   alert=alert)
            messages.success(request, _("Customer added to the watchlist."))
        except ServiceError as error:
            messages.error(request, error.message)
        return redirect("monitoring:alert_detail", pk=pk)


# --- Rules and rates -----------------------------------------------------------------------------------

class RuleListView(PortalListView):
    permission_required = "monitoring.view_warningrule"
    template_name = "monitoring/rule_list.html"
    paginate_by = 100
    default_sort = "code"
    export_name = "warning-rules"
    export_title = gettext_lazy("Warning rules")
    columns = [
        Column("code", gettext_lazy("Code"), "code", sort="code"),
        Column("name", pgettext_lazy("warning rule", "Name"), "name", sort="name"),
        Column("metric", gettext_lazy("Metric"), "get_metric_display", sort="metric"),
        Column("comparison", gettext_lazy("Comparison"), "comparison"),
        Column("threshold", gettext_lazy("Threshold"), "threshold", kind="number"),
        Column("window", gettext_lazy("Window (days)"), "window_days", kind="number"),
        Column("severity", gettext_lazy("Severity"), "get_severity_display", sort="severity"),
        Column("action", gettext_lazy("Recommended action"), "get_recommended_action_display"),
        Column("enabled", gettext_lazy("Enabled"), "enabled", sort="enabled"),
    ]

    def base_queryset(self):
        return selectors.rules_list(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        pending = list(services.pending_rule_changes()) if access.has(
            self.request.user, "monitoring.view_warningrulechange") else []
        context.update(pending_changes=pending, pending_codes={c.code for c in pending})
        return context


class RuleFormView(ServiceFormView):
    """A new rule or a change of one is proposed here; it takes effect once another risk administrator
    approves it (``RuleChangeDetailView``)."""

    template_name = "monitoring/rule_form.html"
    form_class = WarningRuleForm
    cancel_url = "monitoring:rule_list"
    success_message = gettext_lazy("Rule proposed; it takes effect once another risk administrator approves it.")

    def get_permission_required(self):
        return ["monitoring.change_warningrule" if "pk" in self.kwargs else "monitoring.add_warningrule"]

    def dispatch(self, request, *args, **kwargs):
        self.rule = get_object_or_404(WarningRule, pk=kwargs["pk"]) if "pk" in kwargs else None
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.rule or WarningRule()
        return kwargs

    def get_title(self):
        return self.rule.name if self.rule else _("New rule")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rule"] = self.rule
        context["pending_change"] = (services.pending_rule_changes().filter(code=self.rule.code).first()
                                     if self.rule else None)
        return context

    def perform(self, data):
        fields = {k: v for k, v in data.items() if k != "code"}
        if self.rule:
            return services.warning_rule_propose(actor=self.request.user, rule=self.rule, **fields)
        return services.warning_rule_propose(actor=self.request.user, code=data["code"], **fields)

    def success_url_for(self, change):
        return reverse("monitoring:rule_change_detail", args=[change.pk])


class RuleChangeDetailView(ChangeDetailView):
    """A proposed rule or change of a rule on the shared decision page (in force → proposed)."""

    model = WarningRuleChange
    url_names = {"approve": "monitoring:rule_change_approve", "reject": "monitoring:rule_change_reject",
                 "withdraw": "monitoring:rule_change_withdraw"}
    rows_id = "rule-change-rows"
    back = ("monitoring:rule_list", gettext_lazy("Warning rules"))

    def get_queryset(self):
        return selectors.rule_changes_list(self.request.user)


class RuleChangeDecideView(ChangeDecideView):
    """Approve, reject or withdraw a proposed rule (the shared service checks four-eyes)."""

    model = WarningRuleChange
    detail_url_name = "monitoring:rule_change_detail"
    decide_permission = withdraw_permission = "monitoring.change_warningrule"


# --- Watchlist ---------------------------------------------------------------------------------------------

class WatchlistView(PortalListView):
    permission_required = "monitoring.view_watchlistentry"
    template_name = "monitoring/watchlist.html"
    paginate_by = 50
    default_sort = "-since"
    export_name = "watchlist"
    export_title = gettext_lazy("Watchlist")
    columns = [
        Column("customer", gettext_lazy("Customer"), "customer.name", sort="customer__name"),
        Column("reason", gettext_lazy("Reason"), "reason"),
        Column("owner", gettext_lazy("Owner"), "owner.username", sort="owner__username"),
        Column("since", gettext_lazy("Since"), "since", sort="since", kind="date"),
        Column("until", gettext_lazy("Until"), "until", sort="until", kind="date"),
        Column("alert", gettext_lazy("From alert"), "alert.pk"),
    ]

    params_filterset = WatchlistFilterSet

    def base_queryset(self):
        return selectors.watchlist_entries(self.request.user, self.request.GET)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["show_all"] = clean_params(WatchlistFilterSet, self.request.GET)[0].get("all") == "1"
        context["can_change"] = access.has(self.request.user, "monitoring.change_watchlistentry")
        return context


class WatchlistAddView(ServiceFormView):
    permission_required = "monitoring.add_watchlistentry"
    template_name = "monitoring/watchlist_form.html"
    form_class = WatchlistForm
    cancel_url = "monitoring:watchlist"
    success_message = gettext_lazy("Customer added to the watchlist.")

    def dispatch(self, request, *args, **kwargs):
        self.customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=kwargs["customer_pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"customer": self.customer.pk, "customer_name": self.customer.name}

    def get_title(self):
        return _("Put %(name)s on the watchlist") % {"name": self.customer.name}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["customer"] = self.customer
        return context

    def perform(self, data):
        return services.watchlist_add(actor=self.request.user, customer=self.customer, reason=data["reason"],
                                      until=data.get("until"))


class WatchlistEndView(PortalPermissionMixin, View):
    permission_required = "monitoring.change_watchlistentry"

    def post(self, request, pk):
        entry = get_object_or_404(WatchlistEntry.objects.visible_to(request.user), pk=pk)
        try:
            services.watchlist_end(actor=request.user, entry=entry)
            messages.success(request, _("Taken off the watchlist."))
        except ServiceError as error:
            messages.error(request, error.message)
        return redirect("monitoring:watchlist")


# --- Classification ---------------------------------------------------------------------------------------

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


class ClassificationRunView(PortalPermissionMixin, View):
    permission_required = "monitoring.classify_exposure"

    def post(self, request):
        form = RunForm(request.POST)
        form.is_valid()
        try:
            result = services.classification_run(actor=request.user, period=form.cleaned_data.get("period"))
            messages.success(request, _("Month %(period)s classified: %(created)s new, %(updated)s updated.")
                             % {"period": f"{result['period']:%Y-%m}", "created": result["created"],
                                "updated": result["updated"]})
        except ServiceError as error:
            messages.error(request, error.message)
        return redirect("monitoring:classification_list")


class ClassificationDetailView(PortalPermissionMixin, DetailView):
    permission_required = "monitoring.view_assetclassification"
    template_name = "monitoring/classification_detail.html"
    context_object_name = "classification"

    def get_queryset(self):
        return AssetClassification.objects.visible_to(self.request.user).select_related(
            "customer", "requested_by", "approved_by")

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


# --- Provisions ------------------------------------------------------------------------------------------

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
        Column("run_by", gettext_lazy("Run by"), "run_by.username"),
        Column("run_at", gettext_lazy("Run at"), "run_at", kind="date"),
    ]

    def base_queryset(self):
        return ProvisionRun.objects.visible_to(self.request.user).select_related("run_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        can_rates = access.has(user, "monitoring.change_provisionrate")
        pending = services.pending_rate_change()
        context.update(can_run=access.has(user, "monitoring.run_provisions"), run_form=RunForm(),
                       can_rates=can_rates,
                       rates_form=RatesForm(rates=services.current_rates()), rates=services.current_rates(),
                       tiers=Tier.choices, pending_change=pending,
                       pending_rows=[(label, pending.previous.get(tier), pending.rates.get(tier))
                                     for tier, label in Tier.choices if tier in pending.rates] if pending else [],
                       can_decide_change=bool(pending and proposals.may_decide(user, pending)))
        return context


class ProvisionRunView(PortalPermissionMixin, View):
    permission_required = "monitoring.run_provisions"

    def post(self, request):
        form = RunForm(request.POST)
        form.is_valid()
        try:
            run = services.provision_run(actor=request.user, period=form.cleaned_data.get("period"))
            messages.success(request, _("Provisions for %(period)s computed.") % {"period": f"{run.period:%Y-%m}"})
            return redirect("monitoring:provision_run_detail", pk=run.pk)
        except ServiceError as error:
            messages.error(request, error.message)
        return redirect("monitoring:provision_run_list")


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


class ProvisionRateChangeDetailView(ChangeDetailView):
    """The proposed provision rates on the shared decision page (in force → proposed)."""

    model = ProvisionRateChange
    url_names = {"approve": "monitoring:provision_rates_approve", "reject": "monitoring:provision_rates_reject",
                 "withdraw": "monitoring:provision_rates_withdraw"}
    rows_id = "rate-change-rows"
    back = ("monitoring:provision_run_list", gettext_lazy("Provisions"))


class ProvisionRateChangeDecideView(ChangeDecideView):
    """Approve, reject or withdraw the proposed provision rates (the shared service checks four-eyes)."""

    model = ProvisionRateChange
    decide_permission = withdraw_permission = "monitoring.change_provisionrate"

    def redirect_after(self, pk):
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


# --- Exposure list and dashboard ----------------------------------------------------------------------------

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
