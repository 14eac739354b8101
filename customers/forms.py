"""Page forms. They only read and type the input; the services validate and write."""
from django import forms
from django.utils.translation import gettext_lazy as _

from creditportal.core.forms import DateInput, PortalForm, PortalModelForm

from .models import (
    BALANCE_SHEET_ITEMS, CASH_FLOW_ITEMS, INCOME_ITEMS, Contact, Customer, CustomerGroup, CustomerStatus,
    DocumentType, FinancialStatement, NegativeRecord,
)
from .services import CONTACT_FIELDS, CUSTOMER_FIELDS, NEGATIVE_RECORD_FIELDS, STATEMENT_FIELDS, relationship_managers


class ServiceModelForm(PortalModelForm):
    """A model form whose model validation is left to the service (which reports errors per field)."""

    def _post_clean(self):
        pass


class CustomerForm(ServiceModelForm):
    class Meta:
        model = Customer
        fields = CUSTOMER_FIELDS
        widgets = {"established_on": DateInput(), "address": forms.TextInput()}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        attrs = self.fields["credit_code"].widget.attrs
        attrs.update({"maxlength": 18, "autocomplete": "off",
                      "class": f"{attrs.get('class', '')} text-uppercase".strip()})
        self.fields["group"].queryset = CustomerGroup.objects.visible_to(user).order_by("name")
        # a suspension is imposed and lifted by its own action (customer_suspend / customer_resume)
        status = self.fields["status"]
        if self.instance.pk and self.instance.status == CustomerStatus.SUSPENDED:
            status.disabled = True
        else:
            status.choices = [(value, label) for value, label in status.choices if value != CustomerStatus.SUSPENDED]


class CustomerReasonForm(PortalForm):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class ReassignForm(PortalForm):
    relationship_manager = forms.ModelChoiceField(label=_("New relationship manager"), queryset=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["relationship_manager"].queryset = relationship_managers()


class CustomerGroupForm(ServiceModelForm):
    class Meta:
        model = CustomerGroup
        fields = ["name", "parent_company", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent_company"].queryset = Customer.objects.visible_to(user).order_by("name")


class ContactForm(ServiceModelForm):
    class Meta:
        model = Contact
        fields = CONTACT_FIELDS
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}


class DocumentUploadForm(PortalForm):
    doc_type = forms.ChoiceField(label=_("Document type"), choices=DocumentType.choices)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    expires_on = forms.DateField(label=_("Expires on"), required=False, widget=DateInput(),
                                 help_text=_("Leave empty when the document does not expire."))
    file = forms.FileField(label=_("File"))


class NegativeRecordForm(ServiceModelForm):
    class Meta:
        model = NegativeRecord
        fields = NEGATIVE_RECORD_FIELDS
        widgets = {"occurred_on": DateInput(), "description": forms.Textarea(attrs={"rows": 3})}


class StatementForm(ServiceModelForm):
    class Meta:
        model = FinancialStatement
        fields = STATEMENT_FIELDS
        widgets = {"period_end": DateInput()}

    sections = [
        (_("Balance sheet"), BALANCE_SHEET_ITEMS),
        (_("Income statement"), INCOME_ITEMS),
        (_("Cash-flow statement"), CASH_FLOW_ITEMS),
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in BALANCE_SHEET_ITEMS + INCOME_ITEMS + CASH_FLOW_ITEMS:
            field = self.fields[name]
            field.widget.attrs.update({"inputmode": "decimal", "class": f"{field.widget.attrs.get('class', '')} text-end"})
            field.localize = False

    def header_fields(self):
        return [self[name] for name in STATEMENT_FIELDS[:6]]

    def grouped_fields(self):
        return [(label, [self[name] for name in names]) for label, names in self.sections]


class StatementImportForm(PortalForm):
    file = forms.FileField(label=_("CSV or XLSX file"),
                           help_text=_("Use the template; one row per period. A file with any bad row imports nothing."))
