"""Dunning pages: the policies and their proposed changes (four-eyes), the dunning actions, "Run dunning now",
the letters and the collectors' call tasks."""
from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View

from audit.models import AuditEvent
from audit.services import audit_record
from creditportal.core.errors import ServiceError
from creditportal.core.lists import Column
from creditportal.core.views import PortalPermissionMixin

from .. import forms, services
from ..filtersets import DunningActionFilterSet
from ..models import DunningAction, DunningLevel, DunningPolicy
from ._common import ObjectFormView, SortedFilteredListView


class DunningPolicyListView(SortedFilteredListView):
    permission_required = "collection.view_dunningpolicy"
    template_name = "collection/policy_list.html"
    export_name = "dunning-policies"
    export_title = gettext_lazy("Dunning policies")
    columns = [  # the rows keep the model's order (the active policy first, then by name)
        Column("name", gettext_lazy("Name"), "name"),
        Column("active", gettext_lazy("Active"), "is_active"),
        Column("tolerance", gettext_lazy("Small-amount tolerance"), "small_amount_tolerance", kind="number"),
        Column("late_fee", gettext_lazy("Late fee daily rate"), "late_fee_daily_rate", kind="number"),
        Column("case_open", gettext_lazy("Open a case at level"), "case_open_order", kind="number"),
        Column("language", gettext_lazy("Letter language"), "get_letter_language_display"),
    ]

    def base_queryset(self):
        return DunningPolicy.objects.prefetch_related("levels")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        pending = list(services.pending_dunning_changes()) if self.request.user.has_perm(
            "collection.view_dunningpolicychange") else []
        context.update(pending_changes=pending, pending_policy_ids={c.policy_id for c in pending if c.policy_id})
        return context


class DunningProposalMixin:
    """The policy and level forms propose: the change takes effect once another risk administrator approves it."""

    success_message = gettext_lazy("Change proposed; it takes effect once another risk administrator approves it.")
    cancel_url = "collection:policy_list"
    success_url_name = "collection:dunning_change_detail"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        policy = self.subject
        context["form_note"] = _("Saving proposes the change; it takes effect once another risk administrator "
                                 "approves it.")
        context["pending_change"] = (services.pending_dunning_changes().filter(policy=policy).first()
                                     if policy else None)
        return context


class DunningPolicyCreateView(DunningProposalMixin, ObjectFormView):
    """A new policy, or (``pk``) a change of one."""

    permission_required = "collection.add_dunningpolicy"
    form_class = forms.DunningPolicyForm
    title = gettext_lazy("Dunning policy")

    def get_subject(self):
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(DunningPolicy, pk=self.kwargs["pk"])

    @property
    def policy(self):
        return self.subject

    def get_initial(self):
        if not self.policy:
            return {"small_amount_tolerance": Decimal("100.00"), "late_fee_daily_rate": Decimal("0.0005"),
                    "letter_language": "zh-hans"}
        return {f: getattr(self.policy, f) for f in services.POLICY_FIELDS}

    def perform(self, d):
        return services.dunning_policy_propose(actor=self.request.user, policy=self.policy, **d)


class DunningPolicyEditView(DunningPolicyCreateView):
    permission_required = "collection.change_dunningpolicy"


class DunningLevelFormView(DunningProposalMixin, ObjectFormView):
    """A new level of the policy, or (``level_pk``) a change of one."""

    permission_required = "collection.change_dunningpolicy"
    form_class = forms.DunningLevelForm
    title = gettext_lazy("Dunning level")

    def get_subject(self):
        return get_object_or_404(DunningPolicy, pk=self.kwargs["pk"])

    @property
    def policy(self):
        return self.subject

    @cached_property
    def level(self):
        if "level_pk" not in self.kwargs:
            return None
        return get_object_or_404(DunningLevel, pk=self.kwargs["level_pk"], policy=self.policy)

    def get_initial(self):
        if not self.level:
            return {}
        return {f: getattr(self.level, f) for f in ["order", "name", "name_en", "days_past_due", "action"]}

    def perform(self, d):
        return services.dunning_level_propose(actor=self.request.user, policy=self.policy, level=self.level, **d)


class DunningActionListView(SortedFilteredListView):
    permission_required = "collection.view_dunningaction"
    template_name = "collection/dunning_list.html"
    filterset_class = DunningActionFilterSet
    default_sort = "-date"
    export_name = "dunning-actions"
    export_title = gettext_lazy("Dunning actions")
    columns = [
        Column("date", gettext_lazy("Date"), "business_date", sort="business_date", kind="date"),
        Column("customer", gettext_lazy("Customer"), "customer.name", sort="customer__name"),
        Column("level", gettext_lazy("Level"), "level_order", sort="level_order", kind="number"),
        Column("action", gettext_lazy("Action"), "get_action_display", sort="action"),
        Column("dpd", gettext_lazy("Days past due"), "max_days_past_due", sort="max_days_past_due", kind="number"),
        Column("amount", gettext_lazy("Overdue amount"), "overdue_amount", sort="overdue_amount", kind="money",
               currency="currency"),
        Column("assigned", gettext_lazy("Assigned to"), "assigned_to", kind="person", sort="assigned_to__username"),
        Column("outcome", gettext_lazy("Outcome"), "get_outcome_display", sort="outcome"),
    ]

    queryset = DunningAction.objects.select_related("customer", "assigned_to")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.user.has_perm("collection.run_dunning"):
            context["can_run_dunning"] = True
            context["run"] = services.dunning_run_now_status()
        return context


class DunningRunNowView(PortalPermissionMixin, View):
    """POST: enqueue the nightly collection job for today (idempotent per business date); answers with the
    progress block for htmx, or back to the dunning list."""

    permission_required = "collection.run_dunning"

    def post(self, request):
        try:
            run = services.dunning_run_now(actor=request.user)
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect("collection:dunning_list")
        if request.headers.get("HX-Request"):
            return render(request, "collection/_dunning_run.html", {"run": run, "can_run_dunning": True})
        messages.success(request, _("Dunning run for %(date)s started.") % {"date": run["as_of"]})
        return redirect("collection:dunning_list")


class DunningRunStatusView(PortalPermissionMixin, View):
    """GET: the progress block of today's run (polled by htmx every 2 seconds until it is done)."""

    permission_required = "collection.run_dunning"

    def get(self, request):
        return render(request, "collection/_dunning_run.html",
                      {"run": services.dunning_run_now_status(), "can_run_dunning": True})


class DunningLetterView(PortalPermissionMixin, View):
    """The dunning letter of an action as PDF (Chinese or English); the download is audited."""

    permission_required = "collection.view_dunningaction"

    def get(self, request, pk):
        from ..letters import letter_pdf

        action = get_object_or_404(DunningAction.objects.visible_to(request.user)
                                   .select_related("customer", "level__policy"), pk=pk)
        language = request.GET.get("lang") or action.level.policy.letter_language
        if language not in ("zh-hans", "en"):
            raise Http404
        pdf = letter_pdf(action, language=language)
        audit_record(actor=request.user, action=AuditEvent.Action.DOWNLOAD, obj=action, verb="dunning_letter",
                     after={"language": language})
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="dunning-{action.pk}-{language}.pdf"'
        return response


class DunningTaskDoneView(PortalPermissionMixin, View):
    permission_required = "collection.change_collectioncase"

    def post(self, request, pk):
        action = get_object_or_404(DunningAction.objects.visible_to(request.user), pk=pk)
        try:
            services.dunning_task_complete(actor=request.user, action=action, note=request.POST.get("note", ""))
            messages.success(request, _("Task done."))
        except ServiceError as error:
            messages.error(request, error.message)
        return redirect("collection:work_queue")
