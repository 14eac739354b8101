from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, CustomerDocument, CustomerGroup

from .adapters import adapter_choices


class OutsideImportForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("JSON or XLSX in the portal's format (docs/CREDITINFO.md), "
                                                         "or a provider's export with its format chosen below."))
    adapter = forms.ChoiceField(label=_("Format"), choices=())
    document = forms.ModelChoiceField(label=_("Evidence document"), queryset=CustomerDocument.objects.none(),
                                      required=False, help_text=_("Optional: the source's report in the credit file."))

    def __init__(self, *args, customer=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["adapter"].choices = adapter_choices()
        self.fields["adapter"].initial = "portal"
        if customer is not None and user is not None:
            self.fields["document"].queryset = CustomerDocument.objects.visible_to(user).filter(customer=customer)


class GroupSuggestionForm(forms.Form):
    customers = forms.ModelMultipleChoiceField(label=_("Customers"), queryset=Customer.objects.none())
    group = forms.ModelChoiceField(label=_("Existing group"), queryset=CustomerGroup.objects.none(), required=False)
    name = forms.CharField(label=_("New group's name"), max_length=200, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["customers"].queryset = Customer.objects.visible_to(user)
            self.fields["group"].queryset = CustomerGroup.objects.visible_to(user)

    def clean(self):
        data = super().clean()
        if not data.get("group") and not (data.get("name") or "").strip():
            raise forms.ValidationError(_("Choose an existing group or name a new one."))
        return data
