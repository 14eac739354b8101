"""Customer pages. Every object is looked up through ``visible_to(user)`` (another portfolio → 404);
every write goes through a service, whose refusals are shown next to the fields."""
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, FormView, ListView, View

from creditportal.core import clock
from creditportal.core.errors import NotAllowed, ServiceError
from creditportal.core.lists import Column, PortalListView
from creditportal.core.views import PortalPermissionMixin, report_service_error

from . import selectors, services, statement_io
from .filtersets import CustomerFilterSet, CustomerGroupFilterSet
from .forms import (
    ContactForm, CustomerForm, CustomerGroupForm, DocumentUploadForm, NegativeRecordForm, ReassignForm,
    ServiceModelForm, StatementForm, StatementImportForm, CustomerReasonForm,
)
from .models import Contact, Customer, CustomerDocument, CustomerGroup, FinancialStatement, NegativeRecord
from .tabs import get_tab, tabs_for


def visible_customer(user, pk):
    return get_object_or_404(Customer.objects.visible_to(user).select_related("relationship_manager", "group"), pk=pk)


def _query_without_page(request):
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- Customers --------------------------------------------------------------------------------

class CustomerListView(PortalListView):
    permission_required = "customers.view_customer"
    template_name = "customers/customer_list.html"
    filterset_class = CustomerFilterSet
    default_sort = "name"
    export_name = "customers"
    export_title = gettext_lazy("Customers")
    columns = [
        Column("name", gettext_lazy("Name"), "name", sort="name"),
        Column("name_en", gettext_lazy("English name"), "name_en"),
        Column("code", gettext_lazy("Code"), "identifier", sort="credit_code"),
        Column("industry", gettext_lazy("Industry"), "get_industry_section_display", sort="industry_section"),
        Column("size", gettext_lazy("Size"), "get_size_display", sort="size"),
        Column("status", gettext_lazy("Status"), "get_status_display", sort="status"),
        Column("manager", gettext_lazy("Manager"), "relationship_manager.username",
               sort="relationship_manager__username"),
        Column("group", gettext_lazy("Group"), "group.name", sort="group__name"),
        Column("latest_statement", gettext_lazy("Latest statement"), "latest_period_end", sort="latest_period_end",
               kind="date"),
    ]

    def get(self, request, *args, **kwargs):
        # The search box of the top bar sends ``?q=``: this list's filter is ``search``.
        if "q" in request.GET and "search" not in request.GET:
            query = request.GET.copy()
            query["search"] = query.pop("q")[-1]
            return redirect(f"{request.path}?{query.urlencode()}")
        return super().get(request, *args, **kwargs)

    def base_queryset(self):
        return selectors.customer_list(self.request.user)

    def filterset_kwargs(self):
        return {"request": self.request}


class CustomerCreateView(PortalPermissionMixin, FormView):
    permission_required = "customers.add_customer"
    template_name = "customers/customer_form.html"
    form_class = CustomerForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        try:
            customer = services.customer_create(actor=self.request.user, **form.service_kwargs())
        except ServiceError as error:
            report_service_error(self.request, form, error)
            return self.form_invalid(form)
        except NotAllowed as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        messages.success(self.request, _("Customer %(name)s created.") % {"name": customer.name})
        return redirect("customers:customer_detail", pk=customer.pk)


class CustomerEditView(PortalPermissionMixin, FormView):
    permission_required = "customers.change_customer"
    template_name = "customers/customer_form.html"
    form_class = CustomerForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.customer = visible_customer(request.user, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.customer, "user": self.request.user}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "customer": self.customer}

    def form_valid(self, form):
        try:
            services.customer_update(actor=self.request.user, customer=self.customer, **form.service_kwargs())
        except ServiceError as error:
            report_service_error(self.request, form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Customer %(name)s saved.") % {"name": self.customer.name})
        return redirect("customers:customer_detail", pk=self.customer.pk)


class CustomerReassignView(PortalPermissionMixin, FormView):
    permission_required = "customers.reassign_customer"
    template_name = "customers/simple_form.html"
    form_class = ReassignForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.customer = visible_customer(request.user, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"relationship_manager": self.customer.relationship_manager_id}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "customer": self.customer,
                "title": _("Reassign %(name)s") % {"name": self.customer.name}}

    def form_valid(self, form):
        try:
            services.customer_reassign(actor=self.request.user, customer=self.customer,
                                       relationship_manager=form.cleaned_data["relationship_manager"])
        except ServiceError as error:
            report_service_error(self.request, form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Customer reassigned."))
        return redirect("customers:customer_detail", pk=self.customer.pk)


class CustomerSuspendView(PortalPermissionMixin, FormView):
    """Suspend a customer with a reason (``customer_suspend``)."""

    permission_required = "customers.suspend_customer"
    template_name = "customers/simple_form.html"
    form_class = CustomerReasonForm
    resume = False

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.customer = visible_customer(request.user, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        title = _("Lift the suspension of %(name)s") if self.resume else _("Suspend %(name)s")
        return {**super().get_context_data(**kwargs), "customer": self.customer,
                "title": title % {"name": self.customer.name}}

    def form_valid(self, form):
        service = services.customer_resume if self.resume else services.customer_suspend
        try:
            service(actor=self.request.user, customer=self.customer, reason=form.cleaned_data["reason"])
        except ServiceError as error:
            report_service_error(self.request, form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Suspension lifted.") if self.resume else _("Customer suspended."))
        return redirect("customers:customer_detail", pk=self.customer.pk)


class CustomerResumeView(CustomerSuspendView):
    """Lift a customer's suspension with a reason (``customer_resume``: approvers only)."""

    permission_required = "customers.resume_customer"
    resume = True


class CustomerDetailView(PortalPermissionMixin, DetailView):
    """The customer page; only the active tab's context is computed (``?tab=<key>``)."""

    permission_required = "customers.view_customer"
    template_name = "customers/customer_detail.html"
    context_object_name = "customer"

    def get_object(self, queryset=None):
        return visible_customer(self.request.user, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        tabs = tabs_for(user)
        key = self.request.GET.get("tab") or (tabs[0].key if tabs else "")
        active = get_tab(key)
        if active is None or active not in tabs:
            raise Http404(_("No such tab."))
        context.update({"tabs": tabs, "active_tab": active, "tab_context": active.context_fn(self.object, user),
                        "today": clock.today()})
        return context


# --- Groups -----------------------------------------------------------------------------------

class GroupListView(PortalListView):
    permission_required = "customers.view_customergroup"
    template_name = "customers/group_list.html"
    paginate_by = 50
    filterset_class = CustomerGroupFilterSet
    default_sort = "name"
    export_name = "customer-groups"
    export_title = gettext_lazy("Groups of related companies")
    columns = [
        Column("name", gettext_lazy("Name"), "name", sort="name"),
        Column("parent", gettext_lazy("Parent company"), "visible_parent_name", sort="visible_parent_name"),
        Column("members", gettext_lazy("Members you can see"), "member_count", sort="member_count", kind="number"),
    ]

    def base_queryset(self):
        return selectors.groups_with_counts(self.request.user)


class GroupDetailView(PortalPermissionMixin, DetailView):
    permission_required = "customers.view_customergroup"
    template_name = "customers/group_detail.html"
    context_object_name = "group"

    def get_object(self, queryset=None):
        user = self.request.user
        return get_object_or_404(CustomerGroup.objects.visible_to(user).with_visible_parent(user),
                                 pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["members"] = selectors.customers_of_group(self.object, self.request.user).order_by("name")
        return context


class GroupFormView(PortalPermissionMixin, FormView):
    template_name = "customers/simple_form.html"
    form_class = CustomerGroupForm
    group = None

    def get_permission_required(self):
        return ["customers.change_customergroup" if "pk" in self.kwargs else "customers.add_customergroup"]

    def dispatch(self, request, *args, **kwargs):
        if "pk" in kwargs and request.user.is_authenticated:
            self.group = get_object_or_404(CustomerGroup.objects.visible_to(request.user), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.group, "user": self.request.user}

    def get_context_data(self, **kwargs):
        title = _("Edit group %(name)s") % {"name": self.group.name} if self.group else _("New group of related companies")
        return {**super().get_context_data(**kwargs), "title": title,
                "cancel_url": reverse("customers:group_list")}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            if self.group:
                parent = data["parent_company"]
                if parent is None and self.group.parent_company_id and not Customer.objects.visible_to(
                        self.request.user).filter(pk=self.group.parent_company_id).exists():
                    parent = self.group.parent_company  # another portfolio's parent: not on the form, kept
                group = services.group_update(actor=self.request.user, group=self.group, name=data["name"],
                                              parent_company=parent, notes=data["notes"])
            else:
                group = services.group_create(actor=self.request.user, name=data["name"],
                                              parent_company=data["parent_company"], notes=data["notes"])
        except ServiceError as error:
            report_service_error(self.request, form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Group %(name)s saved.") % {"name": group.name})
        return redirect("customers:group_detail", pk=group.pk)


# --- Children of a customer (contacts, documents, negative records, statements) ---------------

class CustomerChildFormView(PortalPermissionMixin, FormView):
    """A form about one customer (or one of its child objects), returning to a tab of its page."""

    template_name = "customers/simple_form.html"
    model = None  # child model when editing (``child_pk`` in the URL)
    tab = "profile"
    title = ""
    child = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            if "child_pk" in kwargs:
                self.child = get_object_or_404(self.model.objects.visible_to(request.user).select_related("customer"),
                                               pk=kwargs["child_pk"])
                self.customer = self.child.customer
            else:
                self.customer = visible_customer(request.user, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.child is not None and issubclass(self.form_class, ServiceModelForm):
            kwargs["instance"] = self.child
        return kwargs

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "customer": self.customer, "title": self.get_title(),
                "cancel_url": self.success_url()}

    def get_title(self):
        return f"{self.title} · {self.customer.name}"

    def success_url(self):
        return reverse("customers:customer_detail", kwargs={"pk": self.customer.pk}) + f"?tab={self.tab}"

    def form_valid(self, form):
        try:
            self.save(form)
        except ServiceError as error:
            report_service_error(self.request, form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect(self.success_url())


class ContactFormView(CustomerChildFormView):
    form_class = ContactForm
    model = Contact
    tab = "contacts"

    def get_permission_required(self):
        return ["customers.change_contact" if "child_pk" in self.kwargs else "customers.add_contact"]

    def get_title(self):
        return (_("Edit contact") if self.child else _("New contact")) + " · " + self.customer.name

    def save(self, form):
        data = {k: form.cleaned_data[k] for k in services.CONTACT_FIELDS}
        if self.child:
            services.contact_update(actor=self.request.user, contact=self.child, **data)
        else:
            services.contact_create(actor=self.request.user, customer=self.customer, **data)


class ContactDeleteView(PortalPermissionMixin, View):
    permission_required = "customers.delete_contact"

    def post(self, request, child_pk):
        contact = get_object_or_404(Contact.objects.visible_to(request.user), pk=child_pk)
        services.contact_delete(actor=request.user, contact=contact)
        messages.success(request, _("Contact deleted."))
        return redirect(reverse("customers:customer_detail", kwargs={"pk": contact.customer_id}) + "?tab=contacts")


class NegativeRecordFormView(CustomerChildFormView):
    form_class = NegativeRecordForm
    model = NegativeRecord
    tab = "negative"

    def get_permission_required(self):
        return ["customers.change_negativerecord" if "child_pk" in self.kwargs else "customers.add_negativerecord"]

    def get_title(self):
        return (_("Edit negative record") if self.child else _("New negative record")) + " · " + self.customer.name

    def save(self, form):
        data = {k: form.cleaned_data[k] for k in services.NEGATIVE_RECORD_FIELDS}
        if self.child:
            services.negative_record_update(actor=self.request.user, record=self.child, **data)
        else:
            services.negative_record_create(actor=self.request.user, customer=self.customer, **data)


class DocumentUploadView(CustomerChildFormView):
    permission_required = "customers.add_customerdocument"
    form_class = DocumentUploadForm
    tab = "documents"
    template_name = "customers/simple_form.html"

    def get_title(self):
        return _("Upload a document") + " · " + self.customer.name

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "multipart": True}

    def save(self, form):
        data = form.cleaned_data
        services.document_upload(actor=self.request.user, customer=self.customer, doc_type=data["doc_type"],
                                 uploaded_file=data["file"], title=data["title"], expires_on=data["expires_on"])


class DocumentDownloadView(PortalPermissionMixin, View):
    permission_required = "customers.view_customerdocument"

    def get(self, request, child_pk):
        document = get_object_or_404(CustomerDocument.objects.visible_to(request.user), pk=child_pk)
        handle = services.document_open(actor=request.user, document=document)
        return FileResponse(handle, as_attachment=True, filename=document.original_name,
                            content_type=document.content_type)


class DocumentDeleteView(PortalPermissionMixin, View):
    permission_required = "customers.delete_customerdocument"

    def post(self, request, child_pk):
        document = get_object_or_404(CustomerDocument.objects.visible_to(request.user), pk=child_pk)
        services.document_delete(actor=request.user, document=document)
        messages.success(request, _("Document deleted."))
        return redirect(reverse("customers:customer_detail", kwargs={"pk": document.customer_id}) + "?tab=documents")


class StatementFormView(CustomerChildFormView):
    form_class = StatementForm
    model = FinancialStatement
    tab = "financials"
    template_name = "customers/statement_form.html"

    def get_permission_required(self):
        return ["customers.change_financialstatement" if "child_pk" in self.kwargs else "customers.add_financialstatement"]

    def get_title(self):
        return (_("Edit financial statement") if self.child else _("New financial statement")) + " · " + self.customer.name

    def save(self, form):
        data = form.service_kwargs()
        if self.child:
            services.statement_update(actor=self.request.user, statement=self.child, **data)
        else:
            services.statement_create(actor=self.request.user, customer=self.customer, **data)


class StatementImportView(CustomerChildFormView):
    permission_required = "customers.add_financialstatement"
    form_class = StatementImportForm
    tab = "financials"
    template_name = "customers/statement_import.html"

    def get_title(self):
        return _("Import financial statements") + " · " + self.customer.name

    def form_valid(self, form):
        try:
            created = services.statements_import(actor=self.request.user, customer=self.customer,
                                                 uploaded_file=form.cleaned_data["file"])
        except services.ImportRejected as error:
            form.add_error(None, error.message)
            return self.render_to_response(self.get_context_data(form=form, rejected_rows=error.rows))
        except ServiceError as error:
            report_service_error(self.request, form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("%(n)d statement(s) imported.") % {"n": len(created)})
        return redirect(self.success_url())


class StatementTemplateView(PortalPermissionMixin, View):
    permission_required = "customers.view_financialstatement"

    def get(self, request, fmt):
        if fmt not in ("csv", "xlsx"):
            raise Http404
        if fmt == "xlsx":
            response = HttpResponse(
                statement_io.xlsx_template(),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        else:
            response = HttpResponse(statement_io.csv_template(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="statement-import-template.{fmt}"'
        return response
