"""The work queue and the credit applications: list, create, edit, items, detail, workflow actions."""
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.generic import TemplateView, View

from creditportal.core import clock
from creditportal.core.errors import Conflict, NotAllowed, ServiceError
from creditportal.core.lists import Column, PortalListView
from creditportal.core.views import PortalPermissionMixin
from customers.models import Customer

from .. import rules, security, selectors, services
from ..providers import decision_warnings
from ..filtersets import ApplicationFilterSet
from ..forms import (
    ActionForm,
    ApplicationEditForm,
    ApplicationForm,
    CollateralForm,
    CovenantForm,
    GuarantorForm,
    facility_choices,
)
from ..models import CreditApplication, Decision, Facility
from ._common import ConfigFormView, _error, run_action


# --- Work queue and applications --------------------------------------------------------------

class QueueView(PortalPermissionMixin, TemplateView):
    permission_required = "credit.view_creditapplication"
    template_name = "credit/queue.html"

    paginate_by = 50  # a department's queue runs to hundreds: a page at a time, oldest first, with its count

    def get_context_data(self, **kwargs):
        from django.core.paginator import Paginator

        context = super().get_context_data(**kwargs)
        try:  # ?page_size= as on every list (the pager offers it), within 1..500
            size = max(1, min(int(self.request.GET.get("page_size", self.paginate_by)), 500))
        except ValueError:
            size = self.paginate_by
        page = Paginator(selectors.work_queue(self.request.user), size).get_page(self.request.GET.get("page"))
        today = clock.today()
        context.update({"page_obj": page, "paginator": page.paginator, "is_paginated": page.has_other_pages(),
                        "rows": [(app, selectors.age_days(app, today)) for app in page.object_list]})
        return context


class ApplicationListView(PortalListView):
    permission_required = "credit.view_creditapplication"
    template_name = "credit/application_list.html"
    filterset_class = ApplicationFilterSet
    default_sort = "-created"
    export_name = "credit-applications"
    export_title = gettext_lazy("Credit applications")
    table_columns = [  # the table's columns, for the column chooser
        ("number", "#"), ("customer", gettext_lazy("Customer")), ("type", gettext_lazy("Type")),
        ("product", gettext_lazy("Product")), ("amount", gettext_lazy("Amount")), ("status", gettext_lazy("Status")),
        ("made_by", gettext_lazy("Made by")), ("created", pgettext_lazy("creation time", "Created")),
    ]
    columns = [
        Column("id", "#", "pk", sort="id", kind="number"),
        Column("customer", gettext_lazy("Customer"), "customer.name", sort="customer__name"),
        Column("type", gettext_lazy("Type"), "get_application_type_display", sort="application_type"),
        Column("product", gettext_lazy("Product"), "get_product_display", sort="product"),
        Column("amount", gettext_lazy("Amount"), "amount", sort="amount", kind="money", currency="currency"),
        Column("term", gettext_lazy("Term (months)"), "term_months", sort="term_months", kind="number"),
        Column("status", gettext_lazy("Status"), "get_status_display", sort="status"),
        Column("made_by", gettext_lazy("Made by"), "created_by", kind="person", sort="created_by__username"),
        Column("created", pgettext_lazy("creation time", "Created"), "created_at", sort="created_at", kind="date"),
    ]

    queryset = CreditApplication.objects.select_related("customer", "created_by")


class ApplicationCreateView(ConfigFormView):
    permission_required = "credit.add_creditapplication"
    form_class = ApplicationForm
    title = gettext_lazy("New credit application")
    cancel_url = "credit:application_list"
    refusal_on_form = True

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
            kwargs["facility_list"] = True
        kwargs["facilities"] = facility_choices(facilities).select_related("customer")
        return kwargs

    def get_initial(self):
        initial = {"currency": "CNY", "term_months": 12}
        if self.request.GET.get("customer"):
            initial["customer"] = self.request.GET["customer"]
        return initial

    template_name = "credit/application_form.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        chosen = self.request.GET.get("customer", "")
        customer = (Customer.objects.visible_to(self.request.user).filter(pk=int(chosen)).first()
                    if chosen.isdigit() else None)
        if customer is not None:  # opened from a customer's page: what the grade's policy sets for terms
            context["grade_terms"] = services.customer_grade_terms(customer)
        return context

    def save(self, data):
        return services.application_create(actor=self.request.user, **data)

    def get_success_message(self, app):
        return _("Application #%(id)s saved as a draft.") % {"id": app.pk}

    def saved_url(self, app):
        return reverse("credit:application_detail", args=[app.pk])


ITEM_FIELDS = {
    "collateral": ("collaterals", ("kind", "description", "market_value", "currency", "haircut", "haircut_reason",
                                   "table_haircut", "valuation_date", "revaluation_due")),
    "guarantor": ("guarantors", ("customer", "outside_name", "external_agency", "external_grade", "mapped_grade",
                                 "external_rated_on", "amount", "currency")),
    "covenant": ("covenants", ("ratio", "comparison", "threshold", "frequency")),
}


def _items(app, kind):
    """The application's items of ``kind`` as the dicts ``application_update`` takes, with their rows."""
    related, fields = ITEM_FIELDS[kind]
    rows = list(getattr(app, related).all())
    return related, [(row, {f: getattr(row, f) for f in fields}) for row in rows]


class ApplicationEditView(ConfigFormView):
    """Change the terms of a draft or a returned application (amount, term, type, product, purpose...)."""

    permission_required = "credit.change_creditapplication"
    form_class = ApplicationEditForm
    cancel_url = "credit:application_list"
    refusal_on_form = True

    @cached_property
    def application(self):
        # Looked up after the permission check.
        return _visible_application(self.request.user, self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        if self.application.status not in selectors.EDITABLE_APPLICATION_STATES:
            messages.error(request, _("Only a draft or returned application can be changed."))
            return redirect("credit:application_detail", pk=self.application.pk)
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["customers"] = Customer.objects.none()
        kwargs["facilities"] = facility_choices(
            Facility.objects.visible_to(self.request.user).filter(customer_id=self.application.customer_id)
        ).select_related("customer")
        kwargs["facility_list"] = True
        return kwargs

    def get_initial(self):
        app = self.application
        return {name: getattr(app, name) for name in services.APPLICATION_FIELDS}

    def get_title(self):
        return _("Application #%(id)s · %(customer)s") % {"id": self.application.pk,
                                                         "customer": self.application.customer.name}

    template_name = "credit/application_form.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update({"application": self.application, "trade": services.trade_terms_view(self.application)})
        return context

    def save(self, data):
        return services.application_update(actor=self.request.user, application=self.application, **data)

    def saved_url(self, app):
        return reverse("credit:application_detail", args=[self.application.pk])


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
        run_action(request, lambda: services.application_update(
            actor=request.user, application=app, **{related: [data for row, data in items if row.pk != item_pk]}),
            _("Removed."))
        return redirect("credit:application_detail", pk=pk)


def _visible_application(user, pk):
    return get_object_or_404(
        CreditApplication.objects.visible_to(user).select_related("customer", "created_by", "reviewer", "facility",
                                                                  "policy", "rating"),
        pk=pk)


# Why an application needs the levels it was sent to (``rules.required_levels``' reason codes).
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
        from creditportal.core.money import MissingRate, RateTable

        items = security.security_by_application([app.pk])[app.pk]
        try:
            secured = security.secured_value(items, app.currency, RateTable(clock.today()))
            coverage = rules.coverage_ratio(secured, app.amount)
        except MissingRate:
            secured, coverage = None, None
        actions = services.available_actions(user, app)
        editable = selectors.application_editable(user, app)
        warnings = decision_warnings(app.customer) if "approve" in actions else []
        context.update({
            "app": app,
            "decisions": list(app.decisions.select_related("actor", "on_behalf_of")),  # comment_text: in words
            "reporting_currency": settings.REPORTING_CURRENCY,
            "security_items": items,
            "guarantee_cycles": cycles_for_page(user, [app.customer_id]),
            "covenants": list(app.covenants.all()),
            "secured": secured,
            "coverage": coverage,
            "coverage_percent": None if coverage is None else rules.q2(coverage * 100),
            "actions": [(a, ACTION_LABELS[a]) for a in actions],
            "action_form": ActionForm(initial={"level": app.current_level or None}, warnings=warnings),
            "warnings": warnings,
            "editable": editable,
            "collateral_form": kwargs.get("collateral_form") or (CollateralForm(
                initial={"currency": app.currency, "valuation_date": clock.today()})
                if editable else None),
            "guarantor_form": kwargs.get("guarantor_form") or (GuarantorForm(
                customers=guarantor_choices(user, app), initial={"currency": app.currency}) if editable else None),
            "covenant_form": kwargs.get("covenant_form") or (CovenantForm() if editable else None),
            "open_item": kwargs.get("open_item", ""),
            "violations": (app.policy_result or {}).get("violations", []),
            "today": clock.today(),
            "trade": services.trade_terms_view(app),
        })
        return context


class ApplicationActionView(PortalPermissionMixin, View):
    """POST ``<pk>/<action>/``: one workflow action through its service; only what the user may do now."""

    permission_required = "credit.decide_creditapplication"

    def post(self, request, pk, action):
        app = _visible_application(request.user, pk)
        form = ActionForm(request.POST, warnings=decision_warnings(app.customer) if action == "approve" else ())
        form.is_valid()
        comment = form.cleaned_data.get("comment", "") if hasattr(form, "cleaned_data") else ""
        level = form.cleaned_data.get("level") if hasattr(form, "cleaned_data") else None
        acknowledged = request.POST.getlist("acknowledged_warnings")
        calls = {
            "submit": lambda: services.application_submit(actor=request.user, application=app,
                                                          exception_reason=comment),
            "start_review": lambda: services.application_start_review(actor=request.user, application=app),
            "recommend": lambda: services.application_recommend(actor=request.user, application=app, opinion=comment),
            "approve": lambda: services.application_approve(actor=request.user, application=app, comment=comment,
                                                            expected_level=level, acknowledged_warnings=acknowledged),
            "reject": lambda: services.application_reject(actor=request.user, application=app, comment=comment,
                                                          expected_level=level),
            "return": lambda: services.application_return(actor=request.user, application=app, reason=comment,
                                                          expected_level=level),
            "withdraw": lambda: services.application_withdraw(actor=request.user, application=app, comment=comment),
        }
        if action not in calls:
            raise PermissionDenied
        run_action(request, calls[action], ACTION_DONE[action] % {"id": app.pk})
        return redirect("credit:application_detail", pk=pk)


ACTION_DONE = {
    "submit": gettext_lazy("Application #%(id)s is submitted for review."),
    "start_review": gettext_lazy("You are reviewing application #%(id)s."),
    "recommend": gettext_lazy("Application #%(id)s is recommended and sent for approval."),
    "approve": gettext_lazy("Application #%(id)s is approved at your level."),
    "reject": gettext_lazy("Application #%(id)s is rejected."),
    "return": gettext_lazy("Application #%(id)s is returned to the relationship manager."),
    "withdraw": gettext_lazy("Application #%(id)s is withdrawn."),
}


def cycles_for_page(user, customer_ids):
    """The guarantee cycles touching ``customer_ids`` (``security.guarantee_cycles``) with the names the user
    may see: a customer outside their portfolio is named as such, never by its name."""
    cycles = security.guarantee_cycles(customer_ids)
    if not cycles:
        return []
    visible = set(Customer.objects.visible_to(user).filter(pk__in={i for c in cycles for i in c["ids"]})
                  .values_list("pk", flat=True))
    for cycle in cycles:
        cycle["names"] = [c.name if c.pk in visible else _("a customer outside your portfolio")
                          for c in cycle["customers"]]
    return cycles


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
