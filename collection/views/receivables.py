"""Pages of the receivables: invoices, payments, their CSV imports and claim payouts."""
from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from creditportal.core import clock
from creditportal.core.errors import ValidationFailed
from creditportal.core.lists import Column
from creditportal.core.views import PortalDetailView

from .. import forms, rules, selectors, services
from ..filtersets import InvoiceFilterSet, PaymentFilterSet
from ..models import ClaimPayout, Invoice, Payment
from ._common import ServiceFormView, SortedFilteredListView


class InvoiceListView(SortedFilteredListView):
    permission_required = "collection.view_invoice"
    template_name = "collection/invoice_list.html"
    filterset_class = InvoiceFilterSet
    default_sort = "due"
    export_name = "invoices"
    export_title = gettext_lazy("Invoices")
    table_columns = [  # the table's columns, for the column chooser
        ("number", gettext_lazy("Number")), ("customer", gettext_lazy("Customer")),
        ("due", gettext_lazy("Due date")), ("amount", gettext_lazy("Amount")),
        ("outstanding", gettext_lazy("Outstanding")), ("status", gettext_lazy("Status")),
    ]
    columns = [
        Column("number", gettext_lazy("Number"), "number", sort="number"),
        Column("customer", gettext_lazy("Customer"), "customer.name", sort="customer__name"),
        Column("issued", gettext_lazy("Issue date"), "issue_date", sort="issue_date", kind="date"),
        Column("due", gettext_lazy("Due date"), "due_date", sort="due_date", kind="date"),
        Column("amount", gettext_lazy("Amount"), "amount", sort="amount", kind="money", currency="currency"),
        Column("outstanding", gettext_lazy("Outstanding"), "open_amount", sort="open_amount", kind="money",
               currency="currency"),
        Column("status", gettext_lazy("Status"), "get_status_display", sort="status"),
        Column("term", gettext_lazy("Term (days)"), "payment_term_days", kind="number"),
    ]

    def base_queryset(self):
        return Invoice.objects.visible_to(self.request.user).with_outstanding().select_related("customer")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = list(context["object_list"])
        terms = selectors.invoice_terms(rows)  # the page's rows only, set-wise
        for row in rows:
            row.term = terms[row.pk]
        context["object_list"] = rows
        return context


class InvoiceDetailView(PortalDetailView):
    permission_required = "collection.view_invoice"
    template_name = "collection/invoice_detail.html"
    context_object_name = "invoice"
    queryset = Invoice.objects.select_related("customer")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        invoice = self.object
        context["allocations"] = invoice.allocations.select_related("payment")
        context["days_past_due"] = rules.days_past_due(invoice.due_date, clock.today())
        context["term"] = selectors.invoice_terms([invoice])[invoice.pk]
        fees = selectors.open_late_fees([invoice], as_of=clock.today())
        if invoice.pk in fees:
            context["late_fee"] = fees[invoice.pk]
        return context


class InvoiceCreateView(ServiceFormView):
    permission_required = "collection.add_invoice"
    form_class = forms.InvoiceForm
    pass_user = True
    title = gettext_lazy("New invoice")
    success_url_name = "collection:invoice_detail"

    def perform(self, d):
        return services.invoice_create(actor=self.request.user, customer=d["customer"], number=d["number"],
                                       issue_date=d["issue_date"], due_date=d["due_date"], amount=d["amount"],
                                       currency=d["currency"], description=d["description"],
                                       facility=d.get("facility"))

    def get_success_message(self, invoice):
        return _("Invoice %(n)s saved.") % {"n": invoice.number}


class ImportView(ServiceFormView):
    """A CSV import: any bad row → nothing imported, the bad rows listed under the form."""

    form_class = forms.ImportForm
    template_name = "collection/import.html"
    multipart = True
    kind = "invoices"
    rows = None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["columns"] = services.INVOICE_COLUMNS if self.kind == "invoices" else services.PAYMENT_COLUMNS
        context["rows"] = self.rows
        return context

    def perform(self, data):
        importer = services.invoices_import if self.kind == "invoices" else services.payments_import
        try:
            return importer(actor=self.request.user, content=data["file"].read())
        except services.ImportRefused as error:
            self.rows = error.rows
            raise ValidationFailed(_("Nothing was imported: %(n)s bad row(s), listed below.")
                                   % {"n": len(error.rows)}) from error

    def get_success_message(self, result):
        return _("%(n)s row(s) imported.") % {"n": result.created}

    def success_url_for(self, result):
        return reverse("collection:invoice_list" if self.kind == "invoices" else "collection:payment_list")


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

    queryset = Payment.objects.select_related("customer")


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

    queryset = ClaimPayout.objects.select_related("customer", "invoice")


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
                raise ValidationFailed(_("Unknown invoice."), field_errors={"invoice_number": _("Unknown invoice.")})
        return services.claim_payout_create(actor=self.request.user, customer=d["customer"], amount=d["amount"],
                                            currency=d["currency"], paid_on=d["paid_on"], reason=d["reason"],
                                            kind=d["kind"], invoice=invoice)

    def success_url_for(self, claim):
        return reverse("collection:claim_list")
