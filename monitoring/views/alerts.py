"""Alert pages: the list, an alert with its workflow and recommended actions, watching its customer."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.generic import View

from creditportal.core.errors import ServiceError
from creditportal.core.lists import Column, PortalListView
from creditportal.core.views import PortalDetailView, PortalPermissionMixin

from .. import selectors, services
from ..filtersets import AlertFilterSet
from ..forms import CommentForm, StartActionForm, WatchlistForm
from ..models import Alert, AlertStatus, Severity, WarningRule


class AlertListView(PortalListView):
    """Filtered by ``selectors.alert_list`` (status, severity, rule, age, q); ``?sort=`` and export through the
    shared list machinery (unsorted: the most severe first, then the newest)."""

    permission_required = "monitoring.view_alert"
    template_name = "monitoring/alert_list.html"
    export_name = "alerts"
    export_title = gettext_lazy("Alerts")
    table_columns = [  # the table's columns, for the column chooser
        ("severity", gettext_lazy("Severity")), ("customer", gettext_lazy("Customer")),
        ("rule", gettext_lazy("Rule")), ("value", gettext_lazy("Value")), ("status", gettext_lazy("Status")),
        ("raised", gettext_lazy("Raised")), ("last_seen", gettext_lazy("Last seen")),
        ("owner", gettext_lazy("Owner")),
    ]
    columns = [
        Column("raised", gettext_lazy("Raised on"), "raised_on", sort="raised_on", kind="date"),
        Column("customer", gettext_lazy("Customer"), "customer.name", sort="customer__name"),
        Column("rule", gettext_lazy("Rule"), "rule.localized_name", sort="rule__name"),
        Column("severity", gettext_lazy("Severity"), "get_severity_display", sort="severity_rank"),
        Column("status", gettext_lazy("Status"), "get_status_display", sort="status"),
        Column("value", gettext_lazy("Value"), "value", kind="number"),
        Column("last_seen", gettext_lazy("Last seen on"), "last_seen_on", kind="date"),
        Column("owner", gettext_lazy("Owner"), "owner", kind="person"),
        Column("action", gettext_lazy("Recommended action"), "get_recommended_action_display"),
    ]

    def base_queryset(self):
        return selectors.alert_list(self.request.user, self.request.GET)

    params_filterset = AlertFilterSet

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            params=self.request.GET, severities=Severity.choices, statuses=[("active", pgettext("alert status", "Active")), ("all", _("All")), *AlertStatus.choices],
            rules=WarningRule.objects.order_by("name").values_list("code", "name"),
            sorts=[("", _("Severity, newest")), ("-raised", _("Newest")), ("raised", _("Oldest")),
                   ("customer", _("Customer")), ("rule", _("Rule"))],
        )
        return context


class AlertDetailView(PortalDetailView):
    permission_required = "monitoring.view_alert"
    template_name = "monitoring/alert_detail.html"
    context_object_name = "alert"
    queryset = Alert.objects.select_related("rule", "customer", "owner", "handled_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        alert = self.object
        user = self.request.user
        watch_form = WatchlistForm(initial={"reason": alert.rule.localized_name})
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
