"""Collection pages. Every object is looked up through ``visible_to(user)`` (another portfolio → 404); every
write goes through a service, whose refusals are shown next to the fields (the input is kept)."""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, FormView, ListView, TemplateView, View

from audit.models import AuditEvent
from audit.services import audit_record
from creditportal.core import clock
from creditportal.core.errors import ServiceError, ValidationFailed
from creditportal.core.lists import Column, ExportMixin, PortalListView
from creditportal.core.views import PortalPermissionMixin, report_service_error
from proposals.views import ChangeDecideView, ChangeDetailView

from . import forms, rules, selectors, services
from .filtersets import AgingFilterForm, CaseFilterSet, InvoiceFilterSet, PaymentFilterSet
from .models import (
    ClaimPayout,
    CollectionCase,
    DunningAction,
    DunningLevel,
    DunningPolicy,
    DunningPolicyChange,
    Invoice,
    Payment,
    WriteOff,
    WriteOffState,
)

BUCKET_LABELS = selectors.AGING_BUCKET_LABELS


def _query_without(request, *keys):
    query = request.GET.copy()
    for key in ("page", *keys):
        query.pop(key, None)
    return query.urlencode()


class SortedFilteredListView(PortalListView):
    """A collection list page: the shared list machinery (filter, ``?sort=``, 25 per page, CSV/XLSX export)."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["today"] = clock.today()
        return context


class ServiceFormView(PortalPermissionMixin, FormView):
    """A form page that calls one service; its refusal is shown on the form, which keeps the input."""

    template_name = "collection/form.html"
    title = ""
    success_message = ""
    pass_user = False

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.pass_user:
            kwargs["user"] = self.request.user
        return kwargs

    def perform(self, data):
        raise NotImplementedError

    def success_url_for(self, result):
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = self.title
        context["cancel_url"] = self.request.GET.get("next") or reverse("collection:work_queue")
        return context

    def form_valid(self, form):
        try:
            result = self.perform(form.cleaned_data)
        except ServiceError as error:
            report_service_error(self.request, form, error)
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message)
        return redirect(self.success_url_for(result))


# --- invoices, payments, claims ---------------------------------------------------------------

class InvoiceListView(SortedFilteredListView):
    permission_required = "collection.view_invoice"
    template_name = "collection/invoice_list.html"
    filterset_class = InvoiceFilterSet
    default_sort = "due"
    export_name = "invoices"
    export_title = gettext_lazy("Invoices")
    columns = [
        Column("number", gettext_lazy("Number"), "number", sort="number"),
        Column("customer", gettext_lazy("Customer"), "customer.name", sort="customer__name"),
        Column("issued", gettext_lazy("Issue date"), "issue_date", sort="issue_date", kind="date"),
        Column("due", gettext_lazy("Due date"), "due_date", sort="due_date", kind="date"),
        Column("amount", gettext_lazy("Amount"), "amount", sort="amount", kind="money", currency="currency"),
        Column("outstanding", gettext_lazy("Outstanding"), "open_amount", sort="open_amount", kind="money",
               currency="currency"),
        Column("status", gettext_lazy("Status"), "get_status_display", sort="status"),
    ]

    def base_queryset(self):
        return Invoice.objects.visible_to(self.request.user).with_outstanding().select_related("customer")


class InvoiceDetailView(PortalPermissionMixin, DetailView):
    permission_required = "collection.view_invoice"
    template_name = "collection/invoice_detail.html"
    context_object_name = "invoice"

    def get_queryset(self):
        return Invoice.objects.visible_to(self.request.user).select_related("customer")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        invoice = self.object
        context["allocations"] = invoice.allocations.select_related("payment")
        context["days_past_due"] = rules.days_past_due(invoice.due_date, clock.today())
        policy = services.active_policy()
        if policy and invoice.status == "open":
            context["late_fee"] = selectors.late_fees([invoice], as_of=clock.today(),
                                                      daily_rate=policy.late_fee_daily_rate)[invoice.pk]
        return context


class InvoiceCreateView(ServiceFormView):
    permission_required = "collection.add_invoice"
    form_class = forms.InvoiceForm
    pass_user = True
    title = gettext_lazy("New invoice")

    def perform(self, d):
        return services.invoice_create(actor=self.request.user, customer=d["customer"], number=d["number"],
                                       issue_date=d["issue_date"], due_date=d["due_date"], amount=d["amount"],
                                       currency=d["currency"], description=d["description"],
                                       facility=d.get("facility"))

    def success_url_for(self, invoice):
        messages.success(self.request, _("Invoice %(n)s saved.") % {"n": invoice.number})
        return reverse("collection:invoice_detail", args=[invoice.pk])


class ImportView(ServiceFormView):
    form_class = forms.ImportForm
    template_name = "collection/import.html"
    kind = "invoices"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["columns"] = services.INVOICE_COLUMNS if self.kind == "invoices" else services.PAYMENT_COLUMNS
        context["rows"] = getattr(self, "rows", None)
        return context

    def form_valid(self, form):
        content = form.cleaned_data["file"].read()
        try:
            if self.kind == "invoices":
                result = services.invoices_import(actor=self.request.user, content=content)
            else:
                result = services.payments_import(actor=self.request.user, content=content)
        except services.ImportRefused as error:
            self.rows = error.rows
            form.add_error(None, _("Nothing was imported: %(n)s bad row(s), listed below.") % {"n": len(error.rows)})
            return self.form_invalid(form)
        except ServiceError as error:
            report_service_error(self.request, form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("%(n)s row(s) imported.") % {"n": result.created})
        return redirect("collection:invoice_list" if self.kind == "invoices" else "collection:payment_list")


class InvoiceImportView(ImportView):
    permission_required = "collection.add_invoice"
    title = gettext_lazy("Import invoices")
    kind = "invoices"


class PaymentImportView(ImportView):
    permission_required = "collection.add_payment"
    title = gettext_lazy("Import payments")
    kind = "payments"


class PaymentListView(SortedFilteredListView):
    permission_required = "collection.view_payment"
    template_name = "collection/payment_list.html"
    filterset_class = PaymentFilterSet
    default_sort = "-date"
    export_name = "payments"
    export_title = gettext_lazy("Payments")
    columns = [
        Column("date", gettext_lazy("Received on"), "received_on", sort="received_on", kind="date"),
        Column("customer", gettext_lazy("Customer"), "customer.name", sort="customer__name"),
        Column("amount", gettext_lazy("Amount"), "amount", sort="amount", kind="money", currency="currency"),
        Column("allocated", gettext_lazy("Allocated"), "allocated_amount", sort="allocated_amount", kind="money",
               currency="currency"),
        Column("reference", gettext_lazy("Reference"), "reference", sort="reference"),
        Column("recovery", gettext_lazy("Recovery"), "is_recovery"),
    ]

    def base_queryset(self):
        return Payment.objects.visible_to(self.request.user).select_related("customer")


class PaymentCreateView(ServiceFormView):
    permission_required = "collection.add_payment"
    form_class = forms.PaymentForm
    pass_user = True
    title = gettext_lazy("Post a payment")
    success_message = gettext_lazy("Payment posted.")

    def get_initial(self):
        return {"received_on": clock.today(), "customer": self.request.GET.get("customer")}

    def perform(self, d):
        allocations = None
        if d["allocations"]:
            numbers = dict(Invoice.objects.filter(number__in=[n for n, _a in d["allocations"]])
                           .values_list("number", "pk"))
            missing = [n for n, _a in d["allocations"] if n not in numbers]
            if missing:
                raise ValidationFailed(_("Unknown invoice: %(n)s") % {"n": ", ".join(missing)},
                                       field_errors={"allocations": _("Unknown invoice: %(n)s")
                                                     % {"n": ", ".join(missing)}})
            allocations = [(numbers[n], a) for n, a in d["allocations"]]
        return services.payment_post(actor=self.request.user, customer=d["customer"], amount=d["amount"],
                                     received_on=d["received_on"], currency=d["currency"], reference=d["reference"],
                                     allocations=allocations)

    def success_url_for(self, payment):
        return reverse("collection:payment_list") + f"?customer={payment.customer_id}"


class ClaimPayoutListView(SortedFilteredListView):
    permission_required = "collection.view_claimpayout"
    template_name = "collection/claim_list.html"
    default_sort = "-date"
    export_name = "claims"
    export_title = gettext_lazy("Claim payouts")
    columns = [
        Column("date", gettext_lazy("Date"), "paid_on", sort="paid_on", kind="date"),
        Column("customer", gettext_lazy("Customer"), "customer.name", sort="customer__name"),
        Column("kind", gettext_lazy("Kind"), "get_kind_display", sort="kind"),
        Column("amount", gettext_lazy("Amount"), "amount", sort="amount", kind="money", currency="currency"),
        Column("invoice", gettext_lazy("Invoice"), "invoice.number"),
        Column("reason", gettext_lazy("Reason"), "reason"),
    ]

    def base_queryset(self):
        return ClaimPayout.objects.visible_to(self.request.user).select_related("customer", "invoice")


class ClaimPayoutCreateView(ServiceFormView):
    permission_required = "collection.add_claimpayout"
    form_class = forms.ClaimPayoutForm
    pass_user = True
    title = gettext_lazy("New claim payout or credit note")
    success_message = gettext_lazy("Claim payout saved.")

    def perform(self, d):
        invoice = None
        if d["invoice_number"]:
            invoice = Invoice.objects.filter(number=d["invoice_number"]).first()
            if invoice is None:
                raise ValidationFailed(_("Unknown invoice."),
                                       field_errors={"invoice_number": _("Unknown invoice.")})
        return services.claim_payout_create(actor=self.request.user, customer=d["customer"], amount=d["amount"],
                                            currency=d["currency"], paid_on=d["paid_on"], reason=d["reason"],
                                            kind=d["kind"], invoice=invoice)

    def success_url_for(self, claim):
        return reverse("collection:claim_list")


# --- aging ------------------------------------------------------------------------------------

class AgingMixin:
    def aging(self):
        form = AgingFilterForm(self.request.GET or None)
        filters = form.filters() if form.is_valid() else {}
        as_of = clock.today()
        qs = selectors.aging_queryset(user=self.request.user, as_of=as_of, **filters)
        rows, missing, finish = selectors.aging_by_customer(qs, as_of=as_of,
                                                            sort=self.request.GET.get("sort", "-total"))
        return form, qs, rows, missing, finish, as_of


class AgingView(AgingMixin, PortalPermissionMixin, TemplateView):
    permission_required = "collection.view_invoice"
    template_name = "collection/aging.html"

    def get_context_data(self, **kwargs):
        from django.core.paginator import Paginator

        context = super().get_context_data(**kwargs)
        form, qs, rows, missing, finish, as_of = self.aging()
        page = Paginator(rows, 25).get_page(self.request.GET.get("page"))
        context.update({
            "form": form, "page_obj": page, "rows": [finish(r) for r in page.object_list],
            "portfolio": selectors.aging_portfolio(qs, as_of=as_of), "missing": missing, "as_of": as_of,
            "buckets": list(BUCKET_LABELS.items()), "query": _query_without(self.request),
            "sort_query": _query_without(self.request, "sort"), "sort": self.request.GET.get("sort", "-total"),
        })
        return context


class AgingExportView(AgingMixin, ExportMixin, PortalPermissionMixin, View):
    """The aging table as CSV/XLSX through the shared export machinery (cap, audit, refusal)."""

    permission_required = "collection.view_invoice"
    export_name = "aging"
    export_title = gettext_lazy("Aging")
    list_url_name = "collection:aging"

    def get(self, request):
        self.form, self.qs, self.rows, _missing, self.finish, self.as_of = self.aging()
        return self.export(self.export_format or "csv")

    def export_object_type(self):
        return "collection.invoice"

    def export_count(self):
        return self.rows.count()

    def export_header(self):
        currency = settings.REPORTING_CURRENCY
        return [_("Customer"), _("Manager"), _("Industry"),
                *[f"{label} ({currency})" for label in BUCKET_LABELS.values()], _("Total") + f" ({currency})",
                _("Overdue") + f" ({currency})", _("DSO"), _("Max days past due")]

    def export_rows(self):
        for raw in self.rows.iterator(chunk_size=2000):
            r = self.finish(raw)
            yield [r["customer__name"], r["customer__relationship_manager__username"],
                   r["customer__industry_section"], *[r[k] for k in BUCKET_LABELS], r["total"], r["overdue"],
                   r["dso"] if r["dso"] is not None else "", r["max_days_past_due"]]
        p = selectors.aging_portfolio(self.qs, as_of=self.as_of)
        yield [_("Portfolio"), "", "", *[p[k] for k in BUCKET_LABELS], p["total"], p["overdue"],
               p["dso"] if p["dso"] is not None else "", p["max_days_past_due"]]


# --- dunning ----------------------------------------------------------------------------------

class DunningPolicyListView(PortalPermissionMixin, ListView):
    permission_required = "collection.view_dunningpolicy"
    template_name = "collection/policy_list.html"

    def get_queryset(self):
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

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        policy = getattr(self, "policy", None)
        context["cancel_url"] = reverse("collection:policy_list")
        context["form_note"] = _("Saving proposes the change; it takes effect once another risk administrator "
                                 "approves it.")
        context["pending_change"] = (services.pending_dunning_changes().filter(policy=policy).first()
                                     if policy else None)
        return context

    def success_url_for(self, change):
        return reverse("collection:dunning_change_detail", args=[change.pk])


class DunningPolicyCreateView(DunningProposalMixin, ServiceFormView):
    permission_required = "collection.add_dunningpolicy"
    form_class = forms.DunningPolicyForm
    title = gettext_lazy("Dunning policy")

    @cached_property
    def policy(self):
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(DunningPolicy, pk=self.kwargs["pk"])

    def get_initial(self):
        if not self.policy:
            return {"small_amount_tolerance": "100.00", "late_fee_daily_rate": "0.0005", "letter_language": "zh-hans"}
        return {f: getattr(self.policy, f) for f in services.POLICY_FIELDS}

    def perform(self, d):
        return services.dunning_policy_propose(actor=self.request.user, policy=self.policy, **d)


class DunningPolicyEditView(DunningPolicyCreateView):
    permission_required = "collection.change_dunningpolicy"


class DunningLevelFormView(DunningProposalMixin, ServiceFormView):
    permission_required = "collection.change_dunningpolicy"
    form_class = forms.DunningLevelForm
    title = gettext_lazy("Dunning level")

    @cached_property
    def policy(self):
        return get_object_or_404(DunningPolicy, pk=self.kwargs["pk"])

    @cached_property
    def level(self):
        if "level_pk" not in self.kwargs:
            return None
        return get_object_or_404(DunningLevel, pk=self.kwargs["level_pk"], policy=self.policy)

    def get(self, request, *args, **kwargs):
        self.policy  # 404 before showing the form
        return super().get(request, *args, **kwargs)

    def get_initial(self):
        if not self.level:
            return {}
        return {f: getattr(self.level, f) for f in ["order", "name", "days_past_due", "action"]}

    def perform(self, d):
        return services.dunning_level_propose(actor=self.request.user, policy=self.policy, level=self.level, **d)


class DunningChangeDetailView(ChangeDetailView):
    """A proposed change of the dunning configuration on the shared decision page (in force → proposed)."""

    model = DunningPolicyChange
    url_names = {"approve": "collection:dunning_change_approve", "reject": "collection:dunning_change_reject",
                 "withdraw": "collection:dunning_change_withdraw"}
    rows_id = "dunning-change-rows"
    back = ("collection:policy_list", gettext_lazy("Dunning policies"))

    def get_queryset(self):
        return selectors.dunning_changes(self.request.user)


class DunningChangeDecideView(ChangeDecideView):
    """Approve, reject or withdraw a proposed dunning change (the shared service checks four-eyes)."""

    model = DunningPolicyChange
    detail_url_name = "collection:dunning_change_detail"
    decide_permission = withdraw_permission = "collection.change_dunningpolicy"


class DunningActionListView(SortedFilteredListView):
    permission_required = "collection.view_dunningaction"
    template_name = "collection/dunning_list.html"
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
        Column("assigned", gettext_lazy("Assigned to"), "assigned_to.username", sort="assigned_to__username"),
        Column("outcome", gettext_lazy("Outcome"), "get_outcome_display", sort="outcome"),
    ]

    def base_queryset(self):
        qs = DunningAction.objects.visible_to(self.request.user).select_related("customer", "assigned_to")
        if self.request.GET.get("open"):
            qs = qs.open()
        return qs

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
        from .letters import letter_pdf

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


# --- cases ------------------------------------------------------------------------------------

class CaseListView(SortedFilteredListView):
    permission_required = "collection.view_collectioncase"
    template_name = "collection/case_list.html"
    filterset_class = CaseFilterSet
    default_sort = "opened"
    export_name = "collection-cases"
    export_title = gettext_lazy("Collection cases")
    columns = [
        Column("customer", gettext_lazy("Customer"), "customer.name", sort="customer__name"),
        Column("opened", gettext_lazy("Opened on"), "opened_on", sort="opened_on", kind="date"),
        Column("state", gettext_lazy("State"), "get_state_display", sort="state"),
        Column("collector", gettext_lazy("Collector"), "assigned_to.username", sort="assigned_to__username"),
        Column("next", gettext_lazy("Next action"), "next_action_on", sort="next_action_on", kind="date"),
        Column("broken", gettext_lazy("Broken promises"), "broken_promises", sort="broken_promises", kind="number"),
    ]

    def base_queryset(self):
        return CollectionCase.objects.visible_to(self.request.user).select_related("customer", "assigned_to")


class CaseDetailView(PortalPermissionMixin, DetailView):
    permission_required = "collection.view_collectioncase"
    template_name = "collection/case_detail.html"
    context_object_name = "case"

    def get_queryset(self):
        return CollectionCase.objects.visible_to(self.request.user).select_related("customer", "assigned_to")

    def get_context_data(self, **kwargs):
        from django_fsm import can_proceed

        context = super().get_context_data(**kwargs)
        case = self.object
        invoices = list(case.invoices.all())
        policy = services.active_policy()
        fees = selectors.late_fees([i for i in invoices if i.status == "open"], as_of=clock.today(),
                                   daily_rate=policy.late_fee_daily_rate) if policy else {}
        context.update({
            "invoices": [(i, fees.get(i.pk)) for i in invoices],
            "activities": case.activities.select_related("created_by"),
            "promises": case.promises.all(),
            "write_offs": case.write_offs.select_related("proposed_by", "decided_by"),
            "recoveries": case.payments.filter(is_recovery=True),
            "totals": selectors.case_totals(case),
            "can": {name: can_proceed(getattr(case, name)) for name in ("start", "escalate", "close", "mark_paid", "promise",
                                                                        "write_off")},
            "pending_writeoff": case.write_offs.filter(state=WriteOffState.PROPOSED).first(),
        })
        return context


class CaseOpenView(ServiceFormView):
    permission_required = "collection.add_collectioncase"
    form_class = forms.CaseOpenForm
    pass_user = True
    title = gettext_lazy("Open a collection case")
    success_message = gettext_lazy("Case opened.")

    def get_initial(self):
        return {"customer": self.request.GET.get("customer")}

    def perform(self, d):
        return services.case_open(actor=self.request.user, customer=d["customer"], assigned_to=d["assigned_to"],
                                  note=d["note"])

    def success_url_for(self, case):
        return reverse("collection:case_detail", args=[case.pk])


class CaseActionView(ServiceFormView):
    """A form on one case (transition, activity, promise, write-off proposal, recovery)."""

    @cached_property
    def case(self):
        """Looked up after the permission check (another portfolio → 404)."""
        return get_object_or_404(CollectionCase.objects.visible_to(self.request.user).select_related("customer"),
                                 pk=self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        self.case
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.case
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["case"] = self.case
        context["cancel_url"] = reverse("collection:case_detail", args=[self.case.pk])
        return context

    def success_url_for(self, result):
        return reverse("collection:case_detail", args=[self.case.pk])


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
    default_sort = "-proposed"
    export_name = "write-offs"
    export_title = gettext_lazy("Write-offs")
    columns = [
        Column("proposed", gettext_lazy("Proposed on"), "proposed_on", sort="proposed_on", kind="date"),
        Column("customer", gettext_lazy("Customer"), "case.customer.name", sort="case__customer__name"),
        Column("amount", gettext_lazy("Amount"), "amount", sort="amount", kind="money", currency="currency"),
        Column("state", gettext_lazy("State"), "get_state_display", sort="state"),
        Column("proposed_by", gettext_lazy("Proposed by"), "proposed_by.username"),
        Column("decided_by", gettext_lazy("Decided by"), "decided_by.username"),
        Column("decided_on", gettext_lazy("Decided on"), "decided_on", kind="date"),
        Column("reason", gettext_lazy("Reason"), "reason"),
    ]

    def base_queryset(self):
        qs = WriteOff.objects.visible_to(self.request.user).select_related("case__customer", "proposed_by",
                                                                           "decided_by")
        state = self.request.GET.get("state")
        return qs.filter(state=state) if state in WriteOffState.values else qs


class WriteOffDecideView(ServiceFormView):
    permission_required = "collection.approve_writeoff"
    form_class = forms.NoteForm
    approve = True

    @cached_property
    def writeoff(self):
        return get_object_or_404(WriteOff.objects.visible_to(self.request.user).select_related("case"),
                                 pk=self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        self.writeoff
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.writeoff
        return super().post(request, *args, **kwargs)

    @property
    def title(self):
        return _("Approve the write-off") if self.approve else _("Reject the write-off")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["writeoff"] = self.writeoff
        # what the approver writes off, invoice by invoice in its own currency (the total may be converted)
        context["writeoff_items"] = self.writeoff.items.select_related("invoice").order_by("invoice__due_date", "pk")
        context["cancel_url"] = reverse("collection:case_detail", args=[self.writeoff.case_id])
        return context

    def perform(self, d):
        if self.approve:
            return services.writeoff_approve(actor=self.request.user, writeoff=self.writeoff, note=d["note"])
        return services.writeoff_reject(actor=self.request.user, writeoff=self.writeoff, note=d["note"])

    def success_url_for(self, writeoff):
        messages.success(self.request, _("Write-off decided."))
        return reverse("collection:case_detail", args=[writeoff.case_id])


# --- work queue -------------------------------------------------------------------------------

class WorkQueueView(PortalPermissionMixin, TemplateView):
    permission_required = "collection.view_collectioncase"
    template_name = "collection/work_queue.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["queue"] = selectors.work_queue(self.request.user, limit=50)
        return context
