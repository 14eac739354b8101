"""Customer pages. Every object is looked up through ``visible_to(user)`` (another portfolio → 404);
every write goes through a service, whose refusals are shown next to the fields."""
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, View

from creditportal.core import clock
from creditportal.core.access import model_permission
from creditportal.core.errors import NotAllowed, ValidationFailed
from creditportal.core.lists import Column, PortalListView
from creditportal.core.views import PortalPermissionMixin, ServiceFormView

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


# --- Customers --------------------------------------------------------------------------------

class CustomerListView(PortalListView):
    permission_required = "customers.view_customer"
    template_name = "customers/customer_list.html"
    filterset_class = CustomerFilterSet
    default_sort = "name"
    export_name = "customers"
    export_title = gettext_lazy("Customers")
    table_columns = [  # the table's columns, for the column chooser
        ("name", gettext_lazy("Name")), ("code", gettext_lazy("Code")), ("industry", gettext_lazy("Industry")),
        ("size", gettext_lazy("Size")), ("status", gettext_lazy("Status")), ("manager", gettext_lazy("Manager")),
        ("group", gettext_lazy("Group")), ("latest_statement", gettext_lazy("Latest statement")),
    ]
    columns = [
        Column("name", gettext_lazy("Name"), "name", sort="name"),
        Column("name_en", gettext_lazy("English name"), "name_en"),
        Column("code", gettext_lazy("Code"), "identifier", sort="credit_code"),
        Column("industry", gettext_lazy("Industry"), "get_industry_section_display", sort="industry_section"),
        Column("size", gettext_lazy("Size"), "get_size_display", sort="size"),
        Column("status", gettext_lazy("Status"), "get_status_display", sort="status"),
        Column("manager", gettext_lazy("Manager"), "relationship_manager", kind="person",
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


def _values(data, names):
    """The service's keyword arguments from a form's cleaned data."""
    return {name: data.get(name) for name in names}


class CustomerCreateView(ServiceFormView):
    permission_required = "customers.add_customer"
    template_name = "customers/customer_form.html"
    form_class = CustomerForm
    pass_user = True
    title = gettext_lazy("New customer")
    cancel_url = "customers:customer_list"
    success_url_name = "customers:customer_detail"

    def perform(self, data):
        try:
            return services.customer_create(actor=self.request.user, **_values(data, services.CUSTOMER_FIELDS))
        except NotAllowed as error:  # shown on the form, not a 403 page
            raise ValidationFailed(error.message) from error

    def get_success_message(self, result):
        return _("Customer %(name)s created.") % {"name": result.name}


class CustomerFormView(ServiceFormView):
    """A form page about one customer (``pk`` in the URL, or a child object's ``child_pk``) returning to its
    page (``tab``: one of its tabs); Cancel goes there too. Its title is ``title`` and the customer's name."""

    tab = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.load(request.user, kwargs)
        return super().dispatch(request, *args, **kwargs)

    def load(self, user, kwargs):
        self.customer = visible_customer(user, kwargs["pk"])

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "customer": self.customer}

    def get_cancel_url(self):
        url = reverse("customers:customer_detail", kwargs={"pk": self.customer.pk})
        return f"{url}?tab={self.tab}" if self.tab else url

    def get_title(self):
        return f"{self.title} · {self.customer.name}"


class CustomerEditView(CustomerFormView):
    permission_required = "customers.change_customer"
    template_name = "customers/customer_form.html"
    form_class = CustomerForm
    pass_user = True

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.customer}

    def get_title(self):
        return _("Edit %(name)s") % {"name": self.customer.name}

    def perform(self, data):
        return services.customer_update(actor=self.request.user, customer=self.customer,
                                        **_values(data, services.CUSTOMER_FIELDS))

    def get_success_message(self, result):
        return _("Customer %(name)s saved.") % {"name": self.customer.name}


class CustomerReassignView(CustomerFormView):
    permission_required = "customers.reassign_customer"
    form_class = ReassignForm
    success_message = gettext_lazy("Customer reassigned.")

    def get_initial(self):
        return {"relationship_manager": self.customer.relationship_manager_id}

    def get_title(self):
        return _("Reassign %(name)s") % {"name": self.customer.name}

    def perform(self, data):
        return services.customer_reassign(actor=self.request.user, customer=self.customer,
                                          relationship_manager=data["relationship_manager"])


class CustomerSuspendView(CustomerFormView):
    """Suspend a customer with a reason (``customer_suspend``)."""

    permission_required = "customers.suspend_customer"
    form_class = CustomerReasonForm
    resume = False

    def get_title(self):
        title = _("Lift the suspension of %(name)s") if self.resume else _("Suspend %(name)s")
        return title % {"name": self.customer.name}

    def perform(self, data):
        service = services.customer_resume if self.resume else services.customer_suspend
        return service(actor=self.request.user, customer=self.customer, reason=data["reason"])

    def get_success_message(self, result):
        return _("Suspension lifted.") if self.resume else _("Customer suspended.")


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
                        "today": clock.today(), "actions": services.customer_actions(user, self.object)})
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
        from .group_panels import panels_for

        context["panels"] = panels_for(self.object, self.request.user, [c.pk for c in context["members"]])
        return context


class GroupFormView(ServiceFormView):
    form_class = CustomerGroupForm
    pass_user = True
    cancel_url = "customers:group_list"
    group = None

    def get_permission_required(self):
        return ["customers.change_customergroup" if "pk" in self.kwargs else "customers.add_customergroup"]

    def dispatch(self, request, *args, **kwargs):
        if "pk" in kwargs and request.user.is_authenticated:
            self.group = get_object_or_404(CustomerGroup.objects.visible_to(request.user), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.group}

    def get_title(self):
        return _("Edit group %(name)s") % {"name": self.group.name} if self.group else _("New group of related companies")

    def perform(self, data):
        if self.group:
            parent = data["parent_company"]
            if parent is None and self.group.parent_company_id and not Customer.objects.visible_to(
                    self.request.user).filter(pk=self.group.parent_company_id).exists():
                parent = self.group.parent_company  # another portfolio's parent: not on the form, kept
            return services.group_update(actor=self.request.user, group=self.group, name=data["name"],
                                         parent_company=parent, notes=data["notes"])
        return services.group_create(actor=self.request.user, name=data["name"],
                                     parent_company=data["parent_company"], notes=data["notes"])

    def get_success_message(self, result):
        return _("Group %(name)s saved.") % {"name": result.name}

    def success_url_for(self, result):
        return reverse("customers:group_detail", kwargs={"pk": result.pk})


# --- Children of a customer (contacts, documents, negative records, statements) ---------------

class CustomerChildFormView(CustomerFormView):
    """A form about one customer (or one of its child objects), returning to a tab of its page. With a ``model``
    the page adds one (``title``, the model's add permission, ``services.<create_service>(actor, customer,
    **values)``) or edits the one ``child_pk`` names (``edit_title``, its change permission,
    ``services.<update_service>(actor, <update_arg>=child, **values)``); ``values`` are the form's ``fields``
    (as the API's ``CustomerChildWritesMixin`` writes them)."""

    model = None  # child model when editing (``child_pk`` in the URL)
    tab = "profile"
    edit_title = ""
    child = None
    success_message = gettext_lazy("Saved.")
    fields: tuple[str, ...] = ()
    create_service = update_service = update_arg = ""

    def get_permission_required(self):
        if self.permission_required is None and self.model is not None:
            return [model_permission(self.model, "change" if "child_pk" in self.kwargs else "add")]
        return super().get_permission_required()

    def load(self, user, kwargs):
        if "child_pk" in kwargs:
            self.child = get_object_or_404(self.model.objects.visible_to(user).select_related("customer"),
                                           pk=kwargs["child_pk"])
            self.customer = self.child.customer
        else:
            super().load(user, kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.child is not None and issubclass(self.form_class, ServiceModelForm):
            kwargs["instance"] = self.child
        return kwargs

    def get_title(self):
        title = self.edit_title if self.child is not None else self.title
        return f"{title} · {self.customer.name}"

    def values(self, data) -> dict:
        return _values(data, self.fields)

    def perform(self, data):
        values = self.values(data)
        if self.child is not None:
            return getattr(services, self.update_service)(actor=self.request.user, **{self.update_arg: self.child},
                                                          **values)
        return getattr(services, self.create_service)(actor=self.request.user, customer=self.customer, **values)


class ContactFormView(CustomerChildFormView):
    form_class = ContactForm
    model = Contact
    tab = "contacts"
    title = gettext_lazy("New contact")
    edit_title = gettext_lazy("Edit contact")
    fields = services.CONTACT_FIELDS
    create_service, update_service, update_arg = "contact_create", "contact_update", "contact"


class CustomerChildDeleteView(PortalPermissionMixin, View):
    """POST: delete the ``model`` object ``child_pk`` names (the model's delete permission, among the rows the user
    may see) with ``services.<delete_service>(actor, <delete_arg>=obj)``, then back to the customer's ``tab``."""

    model = None
    delete_service = delete_arg = tab = ""
    deleted_message = ""

    def get_permission_required(self):
        return (model_permission(self.model, "delete"),)

    def post(self, request, child_pk):
        child = get_object_or_404(self.model.objects.visible_to(request.user), pk=child_pk)
        getattr(services, self.delete_service)(actor=request.user, **{self.delete_arg: child})
        messages.success(request, self.deleted_message)
        url = reverse("customers:customer_detail", kwargs={"pk": child.customer_id})
        return redirect(f"{url}?tab={self.tab}")


class ContactDeleteView(CustomerChildDeleteView):
    model = Contact
    delete_service, delete_arg, tab = "contact_delete", "contact", "contacts"
    deleted_message = gettext_lazy("Contact deleted.")


class NegativeRecordFormView(CustomerChildFormView):
    form_class = NegativeRecordForm
    model = NegativeRecord
    tab = "negative"
    title = gettext_lazy("New negative record")
    edit_title = gettext_lazy("Edit negative record")
    fields = services.NEGATIVE_RECORD_FIELDS
    create_service, update_service, update_arg = "negative_record_create", "negative_record_update", "record"


class DocumentUploadView(CustomerChildFormView):
    permission_required = "customers.add_customerdocument"
    form_class = DocumentUploadForm
    tab = "documents"
    multipart = True
    title = gettext_lazy("Upload a document")

    def perform(self, data):
        return services.document_upload(actor=self.request.user, customer=self.customer, doc_type=data["doc_type"],
                                 uploaded_file=data["file"], title=data["title"], expires_on=data["expires_on"])


class DocumentDownloadView(PortalPermissionMixin, View):
    permission_required = "customers.view_customerdocument"

    def get(self, request, child_pk):
        document = get_object_or_404(CustomerDocument.objects.visible_to(request.user), pk=child_pk)
        handle = services.document_open(actor=request.user, document=document)
        return FileResponse(handle, as_attachment=True, filename=document.original_name,
                            content_type=document.content_type)


class DocumentDeleteView(CustomerChildDeleteView):
    model = CustomerDocument
    delete_service, delete_arg, tab = "document_delete", "document", "documents"
    deleted_message = gettext_lazy("Document deleted.")


class StatementFormView(CustomerChildFormView):
    form_class = StatementForm
    model = FinancialStatement
    tab = "financials"
    template_name = "customers/statement_form.html"
    title = gettext_lazy("New financial statement")
    edit_title = gettext_lazy("Edit financial statement")
    fields = services.STATEMENT_HEADER_FIELDS
    create_service, update_service, update_arg = "statement_create", "statement_update", "statement"

    def values(self, data) -> dict:
        lines = {key.split(".", 1)[1]: value for key, value in data.items()
                 if key.startswith("lines.") and value is not None}
        return {**super().values(data), "lines": lines}


class StatementImportView(CustomerChildFormView):
    permission_required = "customers.add_financialstatement"
    form_class = StatementImportForm
    tab = "financials"
    template_name = "customers/statement_import.html"
    multipart = True
    rejected = None
    title = gettext_lazy("Import financial statements")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.rejected is not None:
            context["rejected_rows"] = self.rejected.rows
        return context

    def perform(self, data):
        try:
            return services.statements_import(actor=self.request.user, customer=self.customer,
                                              uploaded_file=data["file"])
        except services.ImportRejected as error:  # the message above the form, every bad row listed
            self.rejected = error
            raise ValidationFailed(error.message) from error

    def get_success_message(self, result):
        return _("%(n)d statement(s) imported.") % {"n": len(result)}


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
