"""Credit pages. Objects are looked up through ``visible_to(user)`` (another portfolio → 404); every write
goes through a service, whose refusals are shown to the user."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, ListView, TemplateView, View

from creditportal.core import access, clock
from creditportal.core.errors import NotAllowed, ServiceError
from creditportal.core.views import PortalPermissionMixin, report_service_error
from customers.models import Customer

from . import rules, selectors, services
from .forms import (
    ActionForm,
    ApplicationForm,
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


class ApplicationListView(PortalPermissionMixin, ListView):
    permission_required = "credit.view_creditapplication"
    template_name = "credit/application_list.html"
    paginate_by = 25

    def get_queryset(self):
        qs = CreditApplication.objects.visible_to(self.request.user).select_related("customer", "created_by")
        status = self.request.GET.get("status")
        if status in CreditApplication.Status.values:
            qs = qs.filter(status=status)
        return qs.order_by("-created_at", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["statuses"] = CreditApplication.Status.choices
        return context


class ApplicationCreateView(PortalPermissionMixin, FormView):
    permission_required = "credit.add_creditapplication"
    template_name = "credit/form.html"
    form_class = ApplicationForm
    application = None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        customers = Customer.objects.visible_to(self.request.user).order_by("name")
        kwargs["customers"] = customers
        kwargs["facilities"] = facility_choices(Facility.objects.visible_to(self.request.user)).select_related("customer")
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


def _visible_application(user, pk):
    return get_object_or_404(
        CreditApplication.objects.visible_to(user).select_related("customer", "created_by", "reviewer", "facility",
                                                                  "policy", "rating"),
        pk=pk)


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
            "decisions": list(app.decisions.select_related("actor", "on_behalf_of")),
            "collaterals": collaterals,
            "guarantors": guarantors,
            "covenants": list(app.covenants.all()),
            "secured": secured,
            "coverage": coverage,
            "coverage_percent": None if coverage is None else rules.q2(coverage * 100),
            "actions": [(a, ACTION_LABELS[a]) for a in actions],
            "action_form": ActionForm(initial={"level": app.current_level or None}),
            "editable": editable,
            "collateral_form": CollateralForm(initial={"currency": app.currency, "haircut": "0.3",
                                                       "valuation_date": clock.today()}) if editable else None,
            "guarantor_form": GuarantorForm(customers=Customer.objects.visible_to(user).exclude(pk=app.customer_id),
                                            initial={"currency": app.currency}) if editable else None,
            "covenant_form": CovenantForm() if editable else None,
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


class ApplicationItemView(PortalPermissionMixin, View):
    """POST: add a collateral, guarantor or covenant to a draft (through ``application_update``)."""

    permission_required = "credit.change_creditapplication"

    def post(self, request, pk, kind):
        if kind not in ("collateral", "guarantor", "covenant"):
            raise Http404
        app = _visible_application(request.user, pk)
        if kind == "collateral":
            form = CollateralForm(request.POST)
        elif kind == "guarantor":
            form = GuarantorForm(request.POST, customers=Customer.objects.visible_to(request.user))
        elif kind == "covenant":
            form = CovenantForm(request.POST)
        else:
            raise PermissionDenied
        if not form.is_valid():
            messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
            return redirect("credit:application_detail", pk=pk)
        data = form.cleaned_data
        try:
            if kind == "collateral":
                items = [{f: getattr(c, f) for f in ("kind", "description", "market_value", "currency", "haircut",
                                                     "valuation_date", "revaluation_due")}
                         for c in app.collaterals.all()] + [data]
                services.application_update(actor=request.user, application=app, collaterals=items)
            elif kind == "guarantor":
                items = [{"customer": g.customer, "outside_name": g.outside_name, "amount": g.amount,
                          "currency": g.currency} for g in app.guarantors.all()] + [data]
                services.application_update(actor=request.user, application=app, guarantors=items)
            else:
                items = [{f: getattr(c, f) for f in ("ratio", "comparison", "threshold", "frequency")}
                         for c in app.covenants.all()] + [data]
                services.application_update(actor=request.user, application=app, covenants=items)
        except ServiceError as error:
            _error(request, error)
        except NotAllowed as error:
            raise PermissionDenied(error.message) from error
        return redirect("credit:application_detail", pk=pk)


# --- Facilities -------------------------------------------------------------------------------

class FacilityListView(PortalPermissionMixin, ListView):
    permission_required = "credit.view_facility"
    template_name = "credit/facility_list.html"
    paginate_by = 25

    def get_queryset(self):
        qs = Facility.objects.visible_to(self.request.user).select_related("customer")
        status = self.request.GET.get("status")
        if status in Facility.Status.values:
            qs = qs.filter(status=status)
        return qs.order_by("customer__name", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = list(context["object_list"])
        used = selectors.utilisation(rows)
        context["rows"] = [(f, used[f.pk], rules.utilisation_share(f.limit, used[f.pk])) for f in rows]
        context["statuses"] = Facility.Status.choices
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
            "order_form": OrderForm(initial={"currency": facility.currency}),
            "reason_form": FacilityReasonForm(),
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
                if not form.is_valid():
                    messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
                    return redirect("credit:facility_detail", pk=pk)
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
    actions = ("suspend", "resume")


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
            services.delegation_create(actor=self.request.user, **form.cleaned_data)
        except ServiceError as error:
            report_service_error(self.request, form, error)
            return self.form_invalid(form)
        except NotAllowed as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
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

