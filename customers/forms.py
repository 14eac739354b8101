"""Page forms. They only read and type the input; the services validate and write."""
from django import forms
from django.utils.translation import gettext_lazy as _

from creditportal.core.forms import DateInput, DecimalField, PortalForm, PortalModelForm
from creditportal.core.pickers import Picker, PickerChoiceField

from . import chart
from .labels import SECTION_LABELS, STATEMENT_LABELS, line_name
from .models import (
    Contact, Customer, CustomerGroup, CustomerStatus,
    DocumentType, FinancialStatement, NegativeRecord,
)
from .services import (
    CONTACT_FIELDS, CUSTOMER_FIELDS, NEGATIVE_RECORD_FIELDS, STATEMENT_HEADER_FIELDS, relationship_managers,
)
from .services.statement_lines import field_name as line_field_name


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
        group = self.fields["group"]  # a department has thousands of groups: searched, never one <select>
        self.fields["group"] = PickerChoiceField(label=group.label, required=False, help_text=group.help_text,
                                                 queryset=CustomerGroup.objects.visible_to(user).order_by("name"),
                                                 widget=Picker("customers:pick_group"))
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
    """One statement in the general enterprise format: the header, then every line of ``customers.chart`` grouped
    by statement and section (``lines.<code>`` fields). A subtotal left empty is computed from its lines by the
    service (the page shows the sum as one types); one that is given must equal it."""

    class Meta:
        model = FinancialStatement
        fields = STATEMENT_HEADER_FIELDS
        widgets = {"period_end": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance.line_values() if self.instance.pk else {}
        for line in chart.LINES:
            name = line_field_name(line.code)
            field = DecimalField(label=line_name(line.code), required=False, max_digits=20, decimal_places=2,
                                 initial=stored.get(line.code))
            field.localize = False
            field.widget.attrs.update({
                "inputmode": "decimal", "class": "form-control form-control-sm text-end",
                "data-line": line.code, "data-parent": line.parent if line.kind != chart.MEMO else "",
                "data-sign": str(line.sign), "aria-label": f"{line.code} {line_name(line.code)}",
            })
            self.fields[name] = field

    def header_fields(self):
        return [self[name] for name in STATEMENT_HEADER_FIELDS]

    def statements(self):
        """``[(statement label, [(section label, [(line, bound field)])])]`` in chart order."""
        result = []
        for statement in chart.STATEMENTS:
            sections = []
            for section in chart.SECTIONS[statement]:
                rows = [(line, self[line_field_name(line.code)]) for line in chart.lines_of(statement)
                        if line.section == section]
                sections.append((SECTION_LABELS[section], rows))
            result.append((STATEMENT_LABELS[statement], sections))
        return result

    def lines(self) -> dict:
        """``{code: amount}`` of the lines filled in."""
        return {line.code: self.cleaned_data[line_field_name(line.code)] for line in chart.LINES
                if self.cleaned_data.get(line_field_name(line.code)) is not None}


class StatementImportForm(PortalForm):
    file = forms.FileField(label=_("CSV or XLSX file"),
                           help_text=_("Use the template; one row per period. A file with any bad row imports nothing."))


class StatementSheetForm(ServiceModelForm):
    """Upload of statements laid out as analysts receive them (``customers.spreading_io``): the file and the header
    the sheet does not hold; the periods come from the sheet's column headers."""

    file = forms.FileField(label=_("XLSX file"),
                           help_text=_("One column per period headed by its end date; lines matched by code or name. "
                                       "You see the mapping before anything is saved."))

    class Meta:
        model = FinancialStatement
        fields = ["period_type", "consolidated", "audited", "auditor", "audit_opinion", "currency", "unit"]
