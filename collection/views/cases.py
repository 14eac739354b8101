"""Collection case pages: the list, a case with what the user may do on it now, its transitions and records,
the write-offs and the collector's work queue."""
from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from creditportal.core import clock
from creditportal.core.errors import NotAllowed, ValidationFailed
from creditportal.core.lists import Column
from creditportal.core.views import PortalDetailView, PortalPermissionMixin

from .. import forms, selectors, services
from ..filtersets import CaseFilterSet, WriteOffFilterSet
from ..models import CollectionCase, WriteOff, WriteOffState
from ._common import ObjectFormView, ServiceFormView, SortedFilteredListView


class CaseListView(SortedFilteredListView):
    permission_required = "collection.view_collectioncase"
    template_name = "collection/case_list.html"
    filterset_class = CaseFilterSet
    default_sort = "opened"
    export_name = "collection-cases"
    export_title = gettext_lazy("Collection cases")
    table_columns = [  # the table's columns, for the column chooser
        ("number", "#"), ("customer", gettext_lazy("Customer")), ("state", gettext_lazy("State")),
        ("collector", gettext_lazy("Collector")), ("opened", gettext_lazy("Opened")),
        ("next", gettext_lazy("Next action")),
    ]
    columns = [
        Column("customer", gettext_lazy("Customer"), "customer.name", sort="customer__name"),
        Column("opened", gettext_lazy("Opened on"), "opened_on", sort="opened_on", kind="date"),
        Column("state", gettext_lazy("State"), "get_state_display", sort="state"),
        Column("collector", gettext_lazy("Collector"), "assigned_to", kind="person", sort="assigned_to__username"),
        Column("next", gettext_lazy("Next action"), "next_action_on", sort="next_action_on", kind="date"),
        Column("broken", gettext_lazy("Broken promises"), "broken_promises", sort="broken_promises", kind="number"),
    ]

    queryset = CollectionCase.objects.select_related("customer", "assigned_to")


class CaseDetailView(PortalDetailView):
    permission_required = "collection.view_collectioncase"
    template_name = "collection/case_detail.html"
    context_object_name = "case"
    queryset = CollectionCase.objects.select_related("customer", "assigned_to")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        case = self.object
        invoices = list(case.invoices.all())
        fees = selectors.open_late_fees(invoices, as_of=clock.today())
        pending_writeoff = case.write_offs.filter(state=WriteOffState.PROPOSED).first()
        context.update({
            "invoices": [(i, fees.get(i.pk)) for i in invoices],
            "activities": case.activities.select_related("created_by"),
            "promises": case.promises.all(),
            "write_offs": case.write_offs.select_related("proposed_by", "decided_by"),
            "recoveries": case.payments.filter(is_recovery=True),
            "totals": selectors.case_totals(case),
            "actions": selectors.case_actions(case, self.request.user, pending_writeoff=pending_writeoff),
            "pending_writeoff": pending_writeoff,
            "contacts": list(case.customer.contacts.order_by("-is_primary", "name")),
            "today": clock.today(),
        })
        return context


class CaseOpenView(ServiceFormView):
    permission_required = "collection.add_collectioncase"
    form_class = forms.CaseOpenForm
    pass_user = True
    title = gettext_lazy("Open a collection case")
    success_message = gettext_lazy("Case opened.")
    success_url_name = "collection:case_detail"

    def get_initial(self):
        return {"customer": self.request.GET.get("customer")}

    def perform(self, d):
        return services.case_open(actor=self.request.user, customer=d["customer"], assigned_to=d["assigned_to"],
                                  note=d["note"])


class CaseActionView(ObjectFormView):
    """A form on one case (transition, activity, promise, write-off proposal, recovery); back to the case."""

    def get_subject(self):
        return get_object_or_404(CollectionCase.objects.visible_to(self.request.user).select_related("customer"),
                                 pk=self.kwargs["pk"])

    @property
    def case(self):
        return self.subject

    def get_cancel_url(self):
        return reverse("collection:case_detail", args=[self.case.pk])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["case"] = self.case
        return context


class CaseStartView(CaseActionView):
    permission_required = "collection.change_collectioncase"
    form_class = forms.NoteForm
    title = gettext_lazy("Start working the case")

    def perform(self, d):
        return services.case_start(actor=self.request.user, case=self.case)


class CaseEscalateView(CaseActionView):
    permission_required = "collection.change_collectioncase"
    form_class = forms.EscalateForm
    title = gettext_lazy("Escalate the case")

    def perform(self, d):
        return services.case_escalate(actor=self.request.user, case=self.case, channel=d["channel"])


class CaseCloseView(CaseActionView):
    permission_required = "collection.change_collectioncase"
    form_class = forms.NoteForm
    title = gettext_lazy("Close the case")

    def perform(self, d):
        return services.case_close(actor=self.request.user, case=self.case, note=d["note"])


class CaseMarkPaidView(CaseActionView):
    permission_required = "collection.change_collectioncase"
    form_class = forms.NoteForm
    title = gettext_lazy("Mark the case paid")

    def perform(self, d):
        return services.case_mark_paid(actor=self.request.user, case=self.case)


class CaseAssignView(CaseActionView):
    permission_required = "collection.change_collectioncase"
    form_class = forms.AssignForm
    title = gettext_lazy("Reassign the case")

    def perform(self, d):
        return services.case_assign(actor=self.request.user, case=self.case, collector=d["collector"])


class ActivityCreateView(CaseActionView):
    permission_required = "collection.add_collectionactivity"
    form_class = forms.ActivityForm
    title = gettext_lazy("Record an activity")
    success_message = gettext_lazy("Activity recorded.")

    def get_initial(self):
        return {"occurred_on": clock.today(), "kind": "call"}

    def perform(self, d):
        return services.activity_add(actor=self.request.user, case=self.case, **d)


class PromiseCreateView(CaseActionView):
    permission_required = "collection.add_promisetopay"
    form_class = forms.PromiseForm
    title = gettext_lazy("Record a promise to pay")
    success_message = gettext_lazy("Promise recorded.")

    def perform(self, d):
        return services.promise_add(actor=self.request.user, case=self.case, **d)


class WriteOffProposeView(CaseActionView):
    permission_required = "collection.propose_writeoff"
    form_class = forms.ReasonForm
    title = gettext_lazy("Propose a write-off")
    success_message = gettext_lazy("Write-off proposed; an approver must decide.")

    def perform(self, d):
        return services.writeoff_propose(actor=self.request.user, case=self.case, reason=d["reason"])


class RecoveryCreateView(CaseActionView):
    permission_required = "collection.add_payment"
    form_class = forms.RecoveryForm
    title = gettext_lazy("Record a recovery after write-off")
    success_message = gettext_lazy("Recovery recorded.")

    def get_initial(self):
        return {"received_on": clock.today()}

    def perform(self, d):
        return services.recovery_record(actor=self.request.user, case=self.case, **d)


class WriteOffListView(SortedFilteredListView):
    permission_required = "collection.view_writeoff"
    template_name = "collection/writeoff_list.html"
    filterset_class = WriteOffFilterSet
    default_sort = "-proposed"
    export_name = "write-offs"
    export_title = gettext_lazy("Write-offs")
    columns = [
        Column("proposed", gettext_lazy("Proposed on"), "proposed_on", sort="proposed_on", kind="date"),
        Column("customer", gettext_lazy("Customer"), "case.customer.name", sort="case__customer__name"),
        Column("amount", gettext_lazy("Amount"), "amount", sort="amount", kind="money", currency="currency"),
        Column("state", gettext_lazy("State"), "get_state_display", sort="state"),
        Column("proposed_by", gettext_lazy("Proposed by"), "proposed_by", kind="person"),
        Column("decided_by", gettext_lazy("Decided by"), "decided_by", kind="person"),
        Column("decided_on", gettext_lazy("Decided on"), "decided_on", kind="date"),
        Column("reason", gettext_lazy("Reason"), "reason"),
    ]

    queryset = WriteOff.objects.select_related("case__customer", "proposed_by", "decided_by")


class WriteOffDecideView(ObjectFormView):
    """Approve or reject a proposed write-off; a refusal of the four-eyes rule or of the approver's authority
    is shown on the form."""

    permission_required = "collection.approve_writeoff"
    form_class = forms.NoteForm
    success_message = gettext_lazy("Write-off decided.")
    approve = True

    def get_subject(self):
        return get_object_or_404(WriteOff.objects.visible_to(self.request.user).select_related("case"),
                                 pk=self.kwargs["pk"])

    @property
    def writeoff(self):
        return self.subject

    def get_title(self):
        return _("Approve the write-off") if self.approve else _("Reject the write-off")

    def get_cancel_url(self):
        return reverse("collection:case_detail", args=[self.writeoff.case_id])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["writeoff"] = self.writeoff
        # what the approver writes off, invoice by invoice in its own currency (the total may be converted)
        context["writeoff_items"] = self.writeoff.items.select_related("invoice").order_by("invoice__due_date", "pk")
        return context

    def perform(self, d):
        decide = services.writeoff_approve if self.approve else services.writeoff_reject
        try:
            return decide(actor=self.request.user, writeoff=self.writeoff, note=d["note"])
        except NotAllowed as error:
            raise ValidationFailed(error.message) from error


class WorkQueueView(PortalPermissionMixin, TemplateView):
    permission_required = "collection.view_collectioncase"
    template_name = "collection/work_queue.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["queue"] = selectors.work_queue(self.request.user, limit=50)
        context["worklist"] = selectors.worklist(self.request.user)
        return context
