"""Warning rule pages: the list, the form proposing a rule (four-eyes) and the decision pages."""
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from creditportal.core import access
from creditportal.core.lists import Column, PortalListView
from creditportal.core.views import ServiceFormView

from .. import selectors, services
from ..forms import WarningRuleForm
from ..models import WarningRule


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
    approves it (the decision page of ``proposals.views.change_pages``)."""

    template_name = "monitoring/rule_form.html"
    form_class = WarningRuleForm
    cancel_url = "monitoring:rule_list"
    success_message = gettext_lazy("Rule proposed; it takes effect once another risk administrator approves it.")
    success_url_name = "monitoring:rule_change_detail"

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
        return self.rule.localized_name if self.rule else _("New rule")

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


