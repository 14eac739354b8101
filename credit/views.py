"""Credit pages. Objects are looked up through ``visible_to(user)`` (another portfolio → 404); every write
goes through a service, whose refusals are shown to the user."""
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.generic import FormView, ListView, TemplateView, View

from creditportal.core import access, clock
from creditportal.core.errors import Conflict, NotAllowed, ServiceError
from creditportal.core.lists import Column, PortalListView
from creditportal.core.views import PortalPermissionMixin, report_service_error
from customers.models import Customer, CustomerGroup
from proposals.models import Proposal

from . import rules, selectors, services
from .filtersets import ApplicationFilterSet, FacilityFilterSet
from .forms import (
    ActionForm,
    ApplicationEditForm,
    ApplicationForm,
    ApproverAuthorityForm,
    AuthorityLevelForm,
    GroupLimitForm,
    PolicyCreateForm,
    PolicyForm,
    PolicyRuleFormSet,
    CollateralForm,
    CovenantForm,
    DelegationForm,
    FacilityReasonForm,
    GuarantorForm,
    LimitCheckForm,
    OrderForm,
    facility_choices,
)
from .models import (
    ApproverAuthority,
    AuthorityLevel,
    CovenantBreach,
    CreditApplication,
    CreditPolicy,
    Decision,
    Delegation,
    Facility,
    GroupLimit,
    Order,
)


def _error(request, error):
    messages.error(request, getattr(error, "message", str(error)))


# --- Work queue and applications --------------------------------------------------------------

class QueueView(PortalPermissionMixin, TemplateView):
    permission_required = "credit.view_creditapplication"
    template_name = "credit/queue.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = list(selectors.work_queue(self.request.user)[:500])
        today = clock.today()
        context["rows"] = [(app, selectors.age_days(app, today)) for app in rows]
        return context


class ApplicationListView(PortalListView):
    permission_required = "credit.view_creditapplication"
    template_name = "credit/application_list.html"
    filterset_class = ApplicationFilterSet
    default_sort = "-created"
    export_name = "credit-applications"
    export_title = gettext_lazy("Credit applications")
    columns = [
        Column("id", "#", "pk", sort="id", kind="number"),
        Column("customer", gettext_lazy("Customer"), "customer.name", sort="customer__name"),
        Column("type", gettext_lazy("Type"), "get_application_type_display", sort="application_type"),
        Column("product", gettext_lazy("Product"), "get_product_display", sort="product"),
        Column("amount", gettext_lazy("Amount"), "amount", sort="amount", kind="money", currency="currency"),
        Column("term", gettext_lazy("Term (months)"), "term_months", sort="term_months", kind="number"),
        Column("status", gettext_lazy("Status"), "get_status_display", sort="status"),
        Column("made_by", gettext_lazy("Made by"), "created_by.username", sort="created_by__username"),
        Column("created", pgettext_lazy("creation time", "Created"), "created_at", sort="created_at", kind="date"),
    ]

    def base_queryset(self):
        return CreditApplication.objects.visible_to(self.request.user).select_related("customer", "created_by")


class ApplicationCreateView(PortalPermissionMixin, FormView):
    permission_required = "credit.add_creditapplication"
    template_name = "credit/form.html"
    form_class = ApplicationForm
    application = None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        customers = Customer.objects.visible_to(self.request.user).order_by("name")
        kwargs["customers"] = customers
        facilities = Facility.objects.visible_to(self.request.user)
        chosen = self.request.GET.get("customer", "")
        if self.request.method == "GET" and chosen.isdigit():
            # opened from a customer's page: offer that customer's facilities (a POST accepts any visible one
            # and the service says which customer a facility belongs to)
            facilities = facilities.filter(customer_id=int(chosen))
        kwargs["facilities"] = facility_choices(facilities).select_related("customer")
        return kwargs

    def get_initial(self):
        initial = {"currency": "CNY", "term_months": 12}
        if self.request.GET.get("customer"):
            initial["customer"] = self.request.GET["customer"]
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("New credit application")
        return context

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        try:
            app = services.application_create(actor=self.request.user, **data)
        except ServiceError as error:
            report_service_error(self.request, form, error)
            return self.form_invalid(form)
        except NotAllowed as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        messages.success(self.request, _("Application #%(id)s saved as a draft.") % {"id": app.pk})
        return redirect("credit:application_detail", pk=app.pk)


ITEM_FIELDS = {
    "collateral": ("collaterals", ("kind", "description", "market_value", "currency", "haircut", "valuation_date",
                                   "revaluation_due")),
    "guarantor": ("guarantors", ("customer", "outside_name", "amount", "currency")),
    "covenant": ("covenants", ("ratio", "comparison", "threshold", "frequency")),
}


def _items(app, kind):
    """The application's items of ``kind`` as the dicts ``application_update`` takes, with their rows."""
    related, fields = ITEM_FIELDS[kind]
    rows = list(getattr(app, related).all())
    return related, [(row, {f: getattr(row, f) for f in fields}) for row in rows]


class ApplicationEditView(PortalPermissionMixin, FormView):
    """Change the terms of a draft or a returned application (amount, term, type, product, purpose...)."""

    permission_required = "credit.change_creditapplication"
    template_name = "credit/form.html"
    form_class = ApplicationEditForm

    @cached_property
    def application(self):
        # Looked up after the permission check.
        return _visible_application(self.request.user, self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        if self.application.status not in (CreditApplication.Status.DRAFT, CreditApplication.Status.RETURNED):
            messages.error(request, _("Only a draft or returned application can be changed."))
            return redirect("credit:application_detail", pk=self.application.pk)
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["customers"] = Customer.objects.none()
        kwargs["facilities"] = facility_choices(
            Facility.objects.visible_to(self.request.user).filter(customer_id=self.application.customer_id)
        ).select_related("customer")
        return kwargs

    def get_initial(self):
        app = self.application
        return {name: getattr(app, name) for name in services.APPLICATION_FIELDS}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("Application #%(id)s · %(customer)s") % {"id": self.application.pk,
                                                                     "customer": self.application.customer.name}
        context["cancel_url"] = reverse("credit:application_detail", args=[self.application.pk])
        return context

    def form_valid(self, form):
        try:
            services.application_update(actor=self.request.user, application=self.application, **form.cleaned_data)
        except ServiceError as error:
            report_service_error(self.request, form, error)
            return self.form_invalid(form)
        except NotAllowed as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect("credit:application_detail", pk=self.application.pk)


class ApplicationItemRemoveView(PortalPermissionMixin, View):
    """POST: take one collateral, guarantor or covenant off a draft or returned application."""

    permission_required = "credit.change_creditapplication"

    def post(self, request, pk, kind, item_pk):
        if kind not in ITEM_FIELDS:
            raise Http404
        app = _visible_application(request.user, pk)
        related, items = _items(app, kind)
        if not any(row.pk == item_pk for row, _data in items):
            raise Http404
        try:
            services.application_update(actor=request.user, application=app,
                                        **{related: [data for row, data in items if row.pk != item_pk]})
        except ServiceError as error:
            _error(request, error)
        except NotAllowed as error:
            raise PermissionDenied(error.message) from error
        else:
            messages.success(request, _("Removed."))
        return redirect("credit:application_detail", pk=pk)


def _visible_application(user, pk):
    return get_object_or_404(
        CreditApplication.objects.visible_to(user).select_related("customer", "created_by", "reviewer", "facility",
                                                                  "policy", "rating"),
        pk=pk)


# Why an application needs the levels it was sent to (``rules.required_levels``' reason codes).
ROUTE_REASONS = {
    "amount": gettext_lazy("the amount with the group's exposure"),
    "grade": gettext_lazy("the rating grade"),
    "policy_exception": gettext_lazy("a policy exception (the top level decides)"),
    "decrease": gettext_lazy("a decrease of the limit (one level)"),
    "no_matrix": gettext_lazy("no authority matrix"),
    "beyond_matrix": gettext_lazy("beyond the authority matrix"),
}


def decision_rows(decisions):
    """The timeline's decisions; a routing decision's comment (reason codes) is said in words."""
    for decision in decisions:
        decision.comment_text = decision.comment
        if decision.action == Decision.Action.ROUTE and decision.comment:
            codes = [c for c in decision.comment.split(",") if c]
            decision.comment_text = _("Because of %(reasons)s.") % {
                "reasons": ", ".join(str(ROUTE_REASONS.get(c, c)) for c in codes)}
    return decisions


ACTION_LABELS = {
    "submit": gettext_lazy("Submit"), "start_review": gettext_lazy("Start the review"), "recommend": gettext_lazy("Recommend"),
    "approve": gettext_lazy("Approve"), "reject": gettext_lazy("Reject"), "return": gettext_lazy("Return to the manager"), "withdraw": gettext_lazy("Withdraw"),
}


class ApplicationDetailView(PortalPermissionMixin, TemplateView):
    permission_required = "credit.view_creditapplication"
    template_name = "credit/application_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        app = _visible_application(self.request.user, kwargs["pk"])
        user = self.request.user
        collaterals = list(app.collaterals.all())
        guarantors = list(app.guarantors.select_related("customer"))
        from creditportal.core.money import MissingRate, RateTable

        try:
            secured = services.secured_amount(app, RateTable(clock.today()))
            coverage = rules.coverage_ratio(secured, app.amount)
        except MissingRate:
            secured, coverage = None, None
        actions = services.available_actions(user, app)
        editable = app.status in (CreditApplication.Status.DRAFT, CreditApplication.Status.RETURNED) and \
            access.has(user, "credit.change_creditapplication")
        context.update({
            "app": app,
            "decisions": decision_rows(list(app.decisions.select_related("actor", "on_behalf_of"))),
            "reporting_currency": settings.REPORTING_CURRENCY,
            "collaterals": collaterals,
            "guarantors": guarantors,
            "covenants": list(app.covenants.all()),
            "secured": secured,
            "coverage": coverage,
            "coverage_percent": None if coverage is None else rules.q2(coverage * 100),
            "actions": [(a, ACTION_LABELS[a]) for a in actions],
            "action_form": ActionForm(initial={"level": app.current_level or None}),
            "editable": editable,
            "collateral_form": kwargs.get("collateral_form") or (CollateralForm(
                initial={"currency": app.currency, "haircut": "0.3", "valuation_date": clock.today()})
                if editable else None),
            "guarantor_form": kwargs.get("guarantor_form") or (GuarantorForm(
                customers=guarantor_choices(user, app), initial={"currency": app.currency}) if editable else None),
            "covenant_form": kwargs.get("covenant_form") or (CovenantForm() if editable else None),
            "open_item": kwargs.get("open_item", ""),
            "violations": (app.policy_result or {}).get("violations", []),
            "today": clock.today(),
        })
        return context


class ApplicationActionView(PortalPermissionMixin, View):
    """POST ``<pk>/<action>/``: one workflow action through its service; only what the user may do now."""

    permission_required = "credit.decide_creditapplication"

    def post(self, request, pk, action):
        app = _visible_application(request.user, pk)
        form = ActionForm(request.POST)
        form.is_valid()
        comment = form.cleaned_data.get("comment", "") if hasattr(form, "cleaned_data") else ""
        level = form.cleaned_data.get("level") if hasattr(form, "cleaned_data") else None
        calls = {
            "submit": lambda: services.application_submit(actor=request.user, application=app,
                                                          exception_reason=comment),
            "start_review": lambda: services.application_start_review(actor=request.user, application=app),
            "recommend": lambda: services.application_recommend(actor=request.user, application=app, opinion=comment),
            "approve": lambda: services.application_approve(actor=request.user, application=app, comment=comment,
                                                            expected_level=level),
            "reject": lambda: services.application_reject(actor=request.user, application=app, comment=comment,
                                                          expected_level=level),
            "return": lambda: services.application_return(actor=request.user, application=app, reason=comment,
                                                          expected_level=level),
            "withdraw": lambda: services.application_withdraw(actor=request.user, application=app, comment=comment),
        }
        if action not in calls:
            raise PermissionDenied
        try:
            calls[action]()
        except ServiceError as error:
            _error(request, error)
        except NotAllowed as error:
            raise PermissionDenied(error.message) from error
        else:
            messages.success(request, _("Done: %(action)s.") % {"action": ACTION_LABELS[action]})
        return redirect("credit:application_detail", pk=pk)


def guarantor_choices(user, app):
    """The customers a manager may name as guarantor of ``app``: their own, not the applicant itself."""
    return Customer.objects.visible_to(user).exclude(pk=app.customer_id).order_by("name")


class ApplicationItemView(PortalPermissionMixin, View):
    """POST: add a collateral, guarantor or covenant to a draft (through ``application_update``).

    A refusal (of the form or the service) shows the application page again with the errors next to the
    fields of that form, which stays open and keeps what the user typed."""

    permission_required = "credit.change_creditapplication"

    def post(self, request, pk, kind):
        if kind not in ("collateral", "guarantor", "covenant"):
            raise Http404
        app = _visible_application(request.user, pk)
        if kind == "collateral":
            form = CollateralForm(request.POST)
        elif kind == "guarantor":
            form = GuarantorForm(request.POST, customers=guarantor_choices(request.user, app))
        elif kind == "covenant":
            form = CovenantForm(request.POST)
        else:
            raise PermissionDenied
        if not form.is_valid():
            return self.redisplay(request, pk, kind, form)
        data = form.cleaned_data
        try:
            related, items = _items(app, kind)
            services.application_update(actor=request.user, application=app,
                                        **{related: [item for _row, item in items] + [data]})
        except Conflict as error:  # no longer a draft: the page has no form to show it in
            _error(request, error)
            return redirect("credit:application_detail", pk=pk)
        except ServiceError as error:
            _place_item_error(form, kind, error)
            return self.redisplay(request, pk, kind, form)
        except NotAllowed as error:
            raise PermissionDenied(error.message) from error
        messages.success(request, _("Saved."))
        return redirect("credit:application_detail", pk=pk)

    def redisplay(self, request, pk, kind, form):
        page = ApplicationDetailView()
        page.setup(request, pk=pk)
        context = page.get_context_data(pk=pk, open_item=kind, **{f"{kind}_form": form})
        return render(request, page.template_name, context, status=400)


def _place_item_error(form, kind, error):
    """A service error about the list of items (``collaterals.0.haircut``, ``guarantors``) on the added item's
    field when the message names one, otherwise above that form."""
    placed = False
    for key, message in (error.field_errors or {}).items():
        field = str(key).rsplit(".", 1)[-1]
        if field in form.fields:
            form.add_error(field, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


# --- Facilities -------------------------------------------------------------------------------

class FacilityListView(PortalListView):
    permission_required = "credit.view_facility"
    template_name = "credit/facility_list.html"
    filterset_class = FacilityFilterSet
    default_sort = "customer"
    export_name = "facilities"
    export_title = gettext_lazy("Facilities")
    columns = [
        Column("id", "#", "pk", sort="id", kind="number"),
        Column("customer", gettext_lazy("Customer"), "customer.name", sort="customer__name"),
        Column("product", gettext_lazy("Product"), "get_product_display", sort="product"),
        Column("limit", gettext_lazy("Limit"), "limit", sort="limit", kind="money", currency="currency"),
        Column("utilised", gettext_lazy("Utilised"), "utilised", kind="money", currency="currency"),
        Column("start", gettext_lazy("Start"), "start_date", sort="start_date", kind="date"),
        Column("expiry", gettext_lazy("Expiry"), "expiry_date", sort="expiry_date", kind="date"),
        Column("temporary", gettext_lazy("Temporary"), "temporary"),
        Column("status", gettext_lazy("Status"), "get_status_display", sort="status"),
    ]

    def base_queryset(self):
        return Facility.objects.visible_to(self.request.user).select_related("customer")

    def export_rows(self):
        """Utilisation is computed set-wise, one chunk of facilities at a time."""
        columns = self.export_columns()
        chunk = []
        for facility in self.object_list.iterator(chunk_size=self.export_chunk):
            chunk.append(facility)
            if len(chunk) == self.export_chunk:
                yield from self._rows(chunk, columns)
                chunk = []
        yield from self._rows(chunk, columns)

    def _rows(self, facilities, columns):
        used = selectors.utilisation(facilities) if facilities else {}
        for facility in facilities:
            facility.utilised = used[facility.pk]
            yield [cell for c in columns for cell in c.cells(facility)]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = list(context["object_list"])
        used = selectors.utilisation(rows)
        context["rows"] = [(f, used[f.pk], rules.utilisation_share(f.limit, used[f.pk])) for f in rows]
        return context


def _visible_facility(user, pk):
    return get_object_or_404(Facility.objects.visible_to(user).select_related("customer", "application"), pk=pk)


class FacilityDetailView(PortalPermissionMixin, TemplateView):
    permission_required = "credit.view_facility"
    template_name = "credit/facility_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        facility = _visible_facility(self.request.user, kwargs["pk"])
        used = selectors.utilisation([facility])[facility.pk]
        check = None
        if "amount" in self.request.GET:   # the limit check: a read, so a GET form
            check_form = LimitCheckForm(self.request.GET)
            if check_form.is_valid():
                check = services.limit_check(actor=self.request.user, facility=facility, **check_form.cleaned_data)
        else:
            check_form = LimitCheckForm(initial={"currency": facility.currency})
        context.update({
            "facility": facility,
            "utilised": used,
            "free": rules.free_limit(facility.limit, used),
            "percent": rules.utilisation_share(facility.limit, used),
            "orders": list(facility.orders.select_related("created_by")[:50]),
            "check_form": check_form,
            "order_form": kwargs.get("order_form") or OrderForm(initial={"currency": facility.currency}),
            "reason_form": kwargs.get("reason_form") or FacilityReasonForm(),
            "check": check,
            "check_reasons": [services.limit_reason_text(r) for r in check.reasons] if check else [],
            "group_limit": selectors.group_limit_for(facility.customer),
        })
        return context


class FacilityActionView(PortalPermissionMixin, View):
    """POST ``<pk>/<action>/``; each subclass is one group of actions with the permission it needs."""

    permission_required = None
    actions = ()

    def post(self, request, pk, action):
        if action not in self.actions:
            raise PermissionDenied
        facility = _visible_facility(request.user, pk)
        try:
            if action == "order":
                form = OrderForm(request.POST)
                if not form.is_valid():  # the errors next to the fields, the input kept
                    page = FacilityDetailView()
                    page.setup(request, pk=pk)
                    return render(request, page.template_name, page.get_context_data(pk=pk, order_form=form),
                                  status=400)
                services.order_record(actor=request.user, facility=facility, **form.cleaned_data)
                messages.success(request, _("Order recorded; the limit is reserved."))
            elif action in ("suspend", "resume", "reduce_limit", "close"):
                form = FacilityReasonForm(request.POST)
                form.is_valid()
                reason = form.cleaned_data.get("reason", "")
                if action == "suspend":
                    services.facility_suspend(actor=request.user, facility=facility, reason=reason)
                elif action == "resume":
                    services.facility_resume(actor=request.user, facility=facility, reason=reason)
                elif action == "close":
                    services.facility_close(actor=request.user, facility=facility, reason=reason)
                else:
                    services.facility_reduce_limit(actor=request.user, facility=facility, reason=reason,
                                                   new_limit=form.cleaned_data.get("new_limit") or facility.limit)
                messages.success(request, _("The facility is saved."))
            else:
                order = get_object_or_404(Order.objects.visible_to(request.user), pk=request.POST.get("order"),
                                          facility=facility)
                services.order_release(actor=request.user, order=order, cancel=action == "cancel")
                messages.success(request, _("Order %(reference)s cancelled; its reservation is released.")
                                 % {"reference": order.reference} if action == "cancel"
                                 else _("Order %(reference)s released.") % {"reference": order.reference})
        except ServiceError as error:
            _error(request, error)
        except NotAllowed as error:
            raise PermissionDenied(error.message) from error
        return redirect("credit:facility_detail", pk=pk)


class FacilityOrderView(FacilityActionView):
    permission_required = "credit.add_order"
    actions = ("order",)


class FacilitySuspendView(FacilityActionView):
    permission_required = "credit.suspend_facility"
    actions = ("suspend",)


class FacilityResumeView(FacilityActionView):
    permission_required = "credit.resume_facility"
    actions = ("resume",)


class FacilityChangeView(FacilityActionView):
    permission_required = "credit.change_facility"
    actions = ("reduce_limit", "close")


class FacilityOrderReleaseView(FacilityActionView):
    permission_required = "credit.change_order"
    actions = ("release", "cancel")


# --- Configuration pages ----------------------------------------------------------------------

class PolicyListView(PortalPermissionMixin, ListView):
    permission_required = "credit.view_creditpolicy"
    template_name = "credit/policy_list.html"

    def get_queryset(self):
        return CreditPolicy.objects.visible_to(self.request.user).select_related("created_by", "activated_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_add"] = access.has(self.request.user, "credit.add_creditpolicy")
        return context


class PolicyDetailView(PortalPermissionMixin, TemplateView):
    permission_required = "credit.view_creditpolicy"
    template_name = "credit/policy_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        policy = get_object_or_404(CreditPolicy.objects.visible_to(self.request.user)
                                   .select_related("created_by", "activated_by"), pk=kwargs["pk"])
        context["policy"] = policy
        context["rules"] = list(policy.rules.all())
        context["in_force"] = selectors.policy_in_force()
        context["may_change"] = access.has(self.request.user, "credit.change_creditpolicy")
        context["may_add"] = access.has(self.request.user, "credit.add_creditpolicy")
        context["may_activate"] = (policy.status == CreditPolicy.Status.DRAFT and policy.created_by_id != self.request.user.pk
                                   and access.has(self.request.user, "credit.approve_creditpolicy"))
        return context


class PolicyActivateView(PortalPermissionMixin, View):
    permission_required = "credit.approve_creditpolicy"

    def post(self, request, pk):
        policy = get_object_or_404(CreditPolicy.objects.visible_to(request.user), pk=pk)
        try:
            services.policy_activate(actor=request.user, policy=policy)
            messages.success(request, _("The policy is in force."))
        except ServiceError as error:
            _error(request, error)
        except NotAllowed as error:
            raise PermissionDenied(error.message) from error
        return redirect("credit:policy_detail", pk=pk)


class MatrixView(PortalPermissionMixin, TemplateView):
    permission_required = "credit.view_authoritylevel"
    template_name = "credit/matrix.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = clock.today()
        context.update({
            "levels": list(AuthorityLevel.objects.visible_to(self.request.user)),
            "approvers": list(ApproverAuthority.objects.visible_to(self.request.user).select_related("user", "level")),
            "delegations": [(d, rules.delegation_active(d.start_date, d.end_date, today, d.revoked))
                            for d in Delegation.objects.visible_to(self.request.user)
                            .select_related("delegator", "delegate", "level")[:100]],
            "group_limits": list(GroupLimit.objects.visible_to(self.request.user).select_related("group")),
            "my_authority": selectors.effective_authority(self.request.user),
            "may_delegate": access.has(self.request.user, "credit.add_delegation"),
            "may_add_level": access.has(self.request.user, "credit.add_authoritylevel"),
            "may_change_level": access.has(self.request.user, "credit.change_authoritylevel"),
            "may_assign": access.has(self.request.user, "credit.add_approverauthority")
            and access.has(self.request.user, "credit.change_approverauthority"),
        })
        context.setdefault("form", DelegationForm(initial={"delegator": self.request.user.pk, "start_date": today,
                                                          "end_date": today}))
        return context


class DelegationCreateView(PortalPermissionMixin, FormView):
    permission_required = "credit.add_delegation"
    template_name = "credit/matrix.html"
    form_class = DelegationForm

    def get_context_data(self, **kwargs):
        view = MatrixView()
        view.request = self.request
        view.kwargs = {}
        return view.get_context_data(**super().get_context_data(**kwargs))

    def form_valid(self, form):
        try:
            saved = services.delegation_create(actor=self.request.user, **form.cleaned_data)
        except ServiceError as error:
            report_service_error(self.request, form, error)
            return self.form_invalid(form)
        except NotAllowed as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        if isinstance(saved, Proposal):
            messages.success(self.request, _("Delegation proposed; it takes effect once a risk administrator "
                                             "approves it."))
            return redirect("proposals:detail", pk=saved.pk)
        messages.success(self.request, _("Delegation saved."))
        return redirect("credit:matrix")


class DelegationRevokeView(PortalPermissionMixin, View):
    permission_required = "credit.add_delegation"

    def post(self, request, pk):
        delegation = get_object_or_404(Delegation.objects.visible_to(request.user), pk=pk)
        try:
            services.delegation_revoke(actor=request.user, delegation=delegation)
        except NotAllowed as error:
            raise PermissionDenied(error.message) from error
        return redirect("credit:matrix")


# --- Configuration: create and edit (risk admins) ---------------------------------------------

class ConfigFormView(PortalPermissionMixin, FormView):
    """A form page that saves through one service call (``save(data)``); the service's refusal is shown
    next to the field it names (or above the form) and the user's input stays in the form."""

    template_name = "credit/config_form.html"
    title = ""
    cancel_url = "credit:matrix"
    success_message = gettext_lazy("Saved.")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("title", self.title)
        context.setdefault("cancel_url", self.cancel_url)
        return context

    def save(self, data):
        raise NotImplementedError

    def form_valid(self, form):
        try:
            saved = self.save(dict(form.cleaned_data))
        except ServiceError as error:
            report_service_error(self.request, form, error)
            return self.form_invalid(form)
        except NotAllowed as error:
            raise PermissionDenied(error.message) from error
        if isinstance(saved, Proposal):  # four-eyes configuration: proposed, not yet in force
            messages.success(self.request, _("Change proposed; it takes effect once another risk administrator "
                                             "approves it."))
            return redirect("proposals:detail", pk=saved.pk)
        messages.success(self.request, self.success_message)
        return self.after_save(saved)

    def after_save(self, saved):
        return redirect(self.cancel_url)


class PolicyCreateView(ConfigFormView):
    permission_required = "credit.add_creditpolicy"
    form_class = PolicyCreateForm
    title = gettext_lazy("New credit policy (draft)")
    cancel_url = "credit:policy_list"
    success_message = gettext_lazy("Policy draft saved; now set its grade rules.")

    def get_initial(self):
        return {"effective_from": clock.today()}

    def save(self, data):
        copy = data.pop("copy_in_force", False)
        in_force = selectors.policy_in_force() if copy else None
        copied = [{f: getattr(r, f) for f in services.RULE_FIELDS} for r in in_force.rules.all()] if in_force else []
        return services.policy_create(actor=self.request.user, rules=copied, **data)

    def after_save(self, policy):
        return redirect("credit:policy_edit", pk=policy.pk)


RULE_COLUMNS = [
    ("eligible", None), ("max_limit", "max_limit_hard"), ("max_equity_share", None),
    ("max_revenue_share", "share_hard"), ("max_term_months", "term_hard"), ("min_coverage", "coverage_hard"),
    ("pricing_spread_bps", None), ("review_months", None),
]


class PolicyEditView(PortalPermissionMixin, TemplateView):
    """A draft's name, date and notes, and one row per grade (a formset); a policy in force is read-only
    here and the service refuses any change to it."""

    permission_required = "credit.change_creditpolicy"
    template_name = "credit/policy_edit.html"

    @cached_property
    def policy(self):
        # Looked up after the permission check.
        return get_object_or_404(CreditPolicy.objects.visible_to(self.request.user), pk=self.kwargs["pk"])

    def _forms(self, data=None):
        policy = self.policy
        existing = {r.grade: r for r in policy.rules.all()}
        initial = []
        for grade in rules.DEFAULT_GRADES:
            rule = existing.get(grade)
            row = {"grade": grade, "include": rule is not None or not existing, "eligible": True,
                   "max_limit_hard": True, "pricing_spread_bps": 0, "review_months": 12}
            if rule is not None:
                row.update({f: getattr(rule, f) for f in services.RULE_FIELDS})
            initial.append(row)
        form = PolicyForm(data, initial={"name": policy.name, "effective_from": policy.effective_from,
                                         "notes": policy.notes})
        formset = PolicyRuleFormSet(data, initial=initial, prefix="rules")
        return form, formset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if "form" not in context:
            context["form"], context["formset"] = self._forms()
        formset = context["formset"]
        context.update({
            "policy": self.policy,
            "editable": self.policy.status == CreditPolicy.Status.DRAFT,
            "rows": [(f, [(f[name], f[hard] if hard else None) for name, hard in RULE_COLUMNS])
                     for f in formset.forms],
            "headers": [PolicyRuleFormSet.form.base_fields[name].label for name, _hard in RULE_COLUMNS],
        })
        return context

    def post(self, request, pk):
        form, formset = self._forms(request.POST)
        if form.is_valid() and formset.is_valid():
            rule_dicts = [f.rule() for f in formset.forms if f.cleaned_data.get("include")]
            try:
                services.policy_update(actor=request.user, policy=self.policy, rules=rule_dicts, **form.cleaned_data)
            except ServiceError as error:
                report_service_error(request, form, error)
            except NotAllowed as error:
                raise PermissionDenied(error.message) from error
            else:
                messages.success(request, _("The policy draft is saved."))
                return redirect("credit:policy_detail", pk=pk)
        return self.render_to_response(self.get_context_data(form=form, formset=formset))


class AuthorityLevelCreateView(ConfigFormView):
    permission_required = "credit.add_authoritylevel"
    form_class = AuthorityLevelForm
    title = gettext_lazy("New authority level")
    success_message = gettext_lazy("The authority level is saved.")

    def get_initial(self):
        last = AuthorityLevel.objects.order_by("-number").first()
        return {"number": (last.number + 1) if last else 1}

    def save(self, data):
        return services.authority_level_propose(actor=self.request.user, **data)


class AuthorityLevelEditView(AuthorityLevelCreateView):
    permission_required = "credit.change_authoritylevel"
    title = gettext_lazy("Edit authority level")

    @cached_property
    def level(self):
        # Looked up after the permission check.
        return get_object_or_404(AuthorityLevel.objects.visible_to(self.request.user), pk=self.kwargs["pk"])

    def get_initial(self):
        level = self.level
        return {"number": level.number, "name": level.name, "max_amount": level.max_amount,
                "weakest_grade": level.weakest_grade}

    def save(self, data):
        return services.authority_level_propose(actor=self.request.user, level=self.level, **data)


class ApproverAuthorityView(ConfigFormView):
    """Give an approver a level (or change it); the service asks for add or change as the case may be."""

    permission_required = {"credit.add_approverauthority", "credit.change_approverauthority"}
    form_class = ApproverAuthorityForm
    title = gettext_lazy("Assign an approver to a level")
    success_message = gettext_lazy("The approver's authority is saved.")

    def get_initial(self):
        initial = {"active": True}
        user_id = self.request.GET.get("user")
        if user_id and user_id.isdigit():
            row = ApproverAuthority.objects.visible_to(self.request.user).filter(user_id=user_id).first()
            initial["user"] = int(user_id)
            if row:
                initial.update(level=row.level_id, active=row.active)
        return initial

    def save(self, data):
        return services.approver_authority_propose(actor=self.request.user, **data)


class GroupLimitListView(PortalPermissionMixin, ListView):
    permission_required = "credit.view_grouplimit"
    template_name = "credit/group_limit_list.html"

    def get_queryset(self):
        return GroupLimit.objects.visible_to(self.request.user).select_related("group").order_by("group__name")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["may_add"] = access.has(user, "credit.add_grouplimit")
        context["may_change"] = access.has(user, "credit.change_grouplimit")
        context["today"] = clock.today()
        return context


class GroupLimitCreateView(ConfigFormView):
    permission_required = "credit.add_grouplimit"
    form_class = GroupLimitForm
    title = gettext_lazy("New group limit")
    cancel_url = "credit:group_limit_list"
    success_message = gettext_lazy("The group limit is saved.")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["groups"] = CustomerGroup.objects.visible_to(self.request.user).filter(
            credit_limit__isnull=True).order_by("name")
        return kwargs

    def get_initial(self):
        return {"currency": "CNY", "active": True}

    def save(self, data):
        return services.group_limit_propose(actor=self.request.user, **data)


class GroupLimitEditView(ConfigFormView):
    permission_required = "credit.change_grouplimit"
    form_class = GroupLimitForm
    cancel_url = "credit:group_limit_list"
    success_message = gettext_lazy("The group limit is saved.")

    @cached_property
    def group_limit(self):
        # Looked up after the permission check.
        return get_object_or_404(GroupLimit.objects.visible_to(self.request.user).select_related("group"),
                                 pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        kwargs.setdefault("title", _("Group limit: %(group)s") % {"group": self.group_limit.group.name})
        return super().get_context_data(**kwargs)

    def get_initial(self):
        row = self.group_limit
        return {"limit": row.limit, "currency": row.currency, "expiry_date": row.expiry_date, "active": row.active}

    def save(self, data):
        return services.group_limit_propose(actor=self.request.user, group=self.group_limit.group, **data)


# --- Customer tab -----------------------------------------------------------------------------

def customer_credit_tab(customer, user):
    """The "Credit" tab of the customer page: facilities with utilisation, applications, breaches."""
    facilities = list(Facility.objects.visible_to(user).filter(customer=customer).order_by("-id"))
    used = selectors.utilisation(facilities)
    return {
        "facility_rows": [(f, used[f.pk], rules.utilisation_share(f.limit, used[f.pk])) for f in facilities],
        "applications": list(CreditApplication.objects.visible_to(user).filter(customer=customer)
                             .order_by("-created_at")[:20]),
        "breaches": list(CovenantBreach.objects.visible_to(user).filter(customer=customer)
                         .select_related("covenant")[:20]),
        "may_apply": access.has(user, "credit.add_creditapplication"),
    }

