"""Page forms; every write goes through a service (refusals are shown next to the fields)."""
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from creditportal.core.forms import AmountField, DateInput, IntegerField, PercentField, PortalForm
from creditportal.core.money import CURRENCIES, to_decimal
from customers.models import Customer

from .models import (
    ActivityKind,
    ClaimPayoutKind,
    DUNNING_LETTERS,
    DunningActionKind,
    DunningPolicy,
    EscalationChannel,
    Language,
)

User = get_user_model()
DATE = DateInput()


def collectors():
    return User.objects.filter(groups__name="collector", is_active=True).order_by("username")


class CustomerField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class UserScopedForm(PortalForm):
    """A form whose customer choices are the user's visible customers."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if "customer" in self.fields:
            self.fields["customer"].queryset = Customer.objects.visible_to(user).order_by("name")


class InvoiceForm(UserScopedForm):
    customer = CustomerField(queryset=Customer.objects.none(), label=_("customer"))
    number = forms.CharField(max_length=64, label=_("invoice number"))
    issue_date = forms.DateField(widget=DATE, label=_("issue date"))
    due_date = forms.DateField(widget=DATE, label=_("due date"))
    amount = AmountField(label=_("amount"))
    currency = forms.ChoiceField(choices=CURRENCIES, initial="CNY", label=_("currency"))
    description = forms.CharField(max_length=200, required=False, label=_("description"))
    facility = forms.ModelChoiceField(queryset=None, required=False, label=_("facility"),
                                      help_text=_("The customer's facility the invoice draws on (optional)."))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        from credit.models import Facility

        self.fields["facility"].queryset = Facility.objects.visible_to(user).filter(status="active") \
            .select_related("customer")


class PaymentForm(UserScopedForm):
    customer = CustomerField(queryset=Customer.objects.none(), label=_("customer"))
    received_on = forms.DateField(widget=DATE, label=_("received on"))
    amount = AmountField(label=_("amount"))
    currency = forms.ChoiceField(choices=CURRENCIES, initial="CNY", label=_("currency"))
    reference = forms.CharField(max_length=100, required=False, label=_("reference"))
    allocations = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label=_("allocation"),
        help_text=_("Empty: oldest due invoices first. Otherwise one line per invoice: number=amount."))

    def clean_allocations(self):
        text = self.cleaned_data.get("allocations", "").strip()
        lines = []
        for raw in text.splitlines():
            if not raw.strip():
                continue
            number, sep, amount = raw.partition("=")
            if not sep:
                raise forms.ValidationError(_("Write each line as number=amount."))
            try:
                lines.append((number.strip(), to_decimal(amount)))
            except ValueError as exc:
                raise forms.ValidationError(_("Write each line as number=amount.")) from exc
        return lines


class ClaimPayoutForm(UserScopedForm):
    customer = CustomerField(queryset=Customer.objects.none(), label=_("customer"))
    kind = forms.ChoiceField(choices=ClaimPayoutKind.choices, label=_("kind"))
    paid_on = forms.DateField(widget=DATE, label=_("date"))
    amount = AmountField(label=_("amount"))
    currency = forms.ChoiceField(choices=CURRENCIES, initial="CNY", label=_("currency"))
    invoice_number = forms.CharField(max_length=64, required=False, label=_("invoice number"))
    reason = forms.CharField(max_length=200, label=_("reason"))


class ImportForm(PortalForm):
    file = forms.FileField(label=_("CSV file"))


class CaseOpenForm(UserScopedForm):
    customer = CustomerField(queryset=Customer.objects.none(), label=_("customer"))
    assigned_to = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label=_("collector"),
                                         help_text=_("Empty: the collector with the fewest active cases."))
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("note"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = collectors()


class AssignForm(PortalForm):
    collector = forms.ModelChoiceField(queryset=User.objects.none(), label=_("collector"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collector"].queryset = collectors()


class EscalateForm(PortalForm):
    channel = forms.ChoiceField(choices=EscalationChannel.choices, label=_("escalate to"))


class NoteForm(PortalForm):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("note"))


class ReasonForm(PortalForm):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("reason"))


class ActivityForm(PortalForm):
    kind = forms.ChoiceField(choices=ActivityKind.choices, label=_("kind"))
    occurred_on = forms.DateField(widget=DATE, label=_("date"))
    outcome = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("outcome"))
    next_step = forms.CharField(max_length=200, required=False, label=_("next step"))
    next_action_on = forms.DateField(widget=DATE, required=False, label=_("next action date"))


class PromiseForm(PortalForm):
    promised_date = forms.DateField(widget=DATE, label=_("promised date"))
    amount = AmountField(label=_("amount"))
    currency = forms.ChoiceField(choices=CURRENCIES, initial="CNY", label=_("currency"))
    note = forms.CharField(max_length=200, required=False, label=_("note"))


class RecoveryForm(PortalForm):
    received_on = forms.DateField(widget=DATE, label=_("received on"))
    amount = AmountField(label=_("amount"))
    currency = forms.ChoiceField(choices=CURRENCIES, initial="CNY", label=_("currency"))
    reference = forms.CharField(max_length=100, required=False, label=_("reference"))


class DunningPolicyForm(PortalForm):
    name = forms.CharField(max_length=100, label=_("name"))
    name_en = forms.CharField(max_length=100, label=_("name (English)"), required=False)
    is_active = forms.BooleanField(required=False, label=_("active"))
    small_amount_tolerance = AmountField(label=_("small-amount tolerance"))
    late_fee_daily_rate = PercentField(max_digits=9, decimal_places=7, max_value=None, label=_("late fee daily rate"))
    case_open_order = IntegerField(min_value=0, required=False, label=_("open a case at level"))
    letter_language = forms.ChoiceField(choices=Language.choices, label=_("letter language"))


class DunningLevelForm(PortalForm):
    order = IntegerField(min_value=0, label=pgettext_lazy("dunning level", "order"))
    name = forms.CharField(max_length=100, label=_("name"))
    name_en = forms.CharField(max_length=100, label=_("name (English)"), required=False)
    days_past_due = IntegerField(label=_("days past due"))
    action = forms.ChoiceField(choices=DunningActionKind.choices, label=_("action"))


class DunningGradeForm(PortalForm):
    """The dunning policy of a rating letter (empty: the default policy duns it); proposed four-eyes."""

    letter = forms.ChoiceField(label=_("rating letter"), choices=DUNNING_LETTERS)
    policy = forms.ModelChoiceField(label=_("dunning policy"), queryset=DunningPolicy.objects.order_by("name"),
                                    required=False, empty_label=_("the default policy"))
