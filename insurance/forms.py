"""Forms of the insurance pages (each valid form goes to one service call)."""
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from creditportal.core.forms import DateInput, DecimalField, IntegerField, PortalForm
from creditportal.core.money import CURRENCIES
from customers.models import Customer

from .models import GRADES, InsurancePolicy

DATE = DateInput()


class PolicyForm(PortalForm):
    policy_number = forms.CharField(max_length=60, label=_("policy number"))
    insurer = forms.CharField(max_length=200, label=_("insurer"),
                              help_text=_("e.g. 中国出口信用保险公司 (Sinosure) or a domestic insurer"))
    insured_share = DecimalField(max_digits=5, decimal_places=2, label=_("insured share (%)"))
    max_credit_days = IntegerField(label=_("maximum credit period (days)"))
    notification_days = IntegerField(label=_("notification deadline (days past due)"))
    claim_days = IntegerField(label=_("claim filing deadline (days past due)"))
    valid_from = forms.DateField(widget=DATE, label=_("valid from"))
    valid_to = forms.DateField(widget=DATE, label=_("valid to"))
    currency = forms.ChoiceField(choices=CURRENCIES, initial="CNY", label=_("currency"))
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("notes"))


class CapsForm(PortalForm):
    """One amount per grade (reporting currency); empty: no cap."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for grade in GRADES:
            self.fields[f"cap_{grade}"] = DecimalField(max_digits=18, decimal_places=2, required=False,
                                                       label=grade)


class BuyerLimitRequestForm(PortalForm):
    policy = forms.ModelChoiceField(queryset=InsurancePolicy.objects.none(), label=pgettext_lazy("insurance", "policy"))
    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), label=_("customer"))
    amount = DecimalField(max_digits=18, decimal_places=2, label=_("amount requested"))
    currency = forms.ChoiceField(choices=CURRENCIES, initial="CNY", label=_("currency"))
    conditions = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("conditions"))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy"].queryset = InsurancePolicy.objects.visible_to(user).order_by("policy_number")
        self.fields["customer"].queryset = Customer.objects.visible_to(user).order_by("name")
        self.fields["customer"].label_from_instance = lambda obj: obj.name


class BuyerLimitGrantForm(PortalForm):
    amount = DecimalField(max_digits=18, decimal_places=2, label=_("amount granted"))
    valid_from = forms.DateField(widget=DATE, label=_("valid from"))
    valid_to = forms.DateField(widget=DATE, required=False, label=_("valid to"))
    decided_on = forms.DateField(widget=DATE, required=False, label=_("insurer's decision date"))
    insurer_reference = forms.CharField(max_length=100, required=False, label=_("insurer's reference"))
    conditions = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("conditions"))


class BuyerLimitReduceForm(PortalForm):
    amount = DecimalField(max_digits=18, decimal_places=2, label=_("new amount"))
    decided_on = forms.DateField(widget=DATE, required=False, label=_("insurer's decision date"))
    conditions = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("conditions"))


class BuyerLimitWithdrawForm(PortalForm):
    decided_on = forms.DateField(widget=DATE, required=False, label=_("withdrawn on"))
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("note"))


class NotificationForm(PortalForm):
    invoice_number = forms.CharField(max_length=64, label=_("invoice number"))
    notified_on = forms.DateField(widget=DATE, label=_("notified on"))
    reference = forms.CharField(max_length=100, label=_("reference"))
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("note"))


class ClaimForm(PortalForm):
    invoice_number = forms.CharField(max_length=64, label=_("invoice number"))
    filed_on = forms.DateField(widget=DATE, label=_("filed on"))
    amount = DecimalField(max_digits=18, decimal_places=2, label=_("amount claimed"))
    reference = forms.CharField(max_length=100, required=False, label=_("insurer's reference"))
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("note"))


class ClaimDecisionForm(PortalForm):
    """accept (reference), reject (note), pay (paid amount, paid on), link (payout id, write-off id)."""

    reference = forms.CharField(max_length=100, required=False, label=_("insurer's reference"))
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("insurer's reason"))
    paid_amount = DecimalField(max_digits=18, decimal_places=2, required=False, label=_("amount paid by the insurer"))
    paid_on = forms.DateField(widget=DATE, required=False, label=_("paid on"))
    claim_payout = IntegerField(required=False, label=_("claim payout number"))
    write_off = IntegerField(required=False, label=_("write-off number"))

    FIELDS = {"accept": ["reference"], "reject": ["note"], "pay": ["paid_amount", "paid_on"],
              "link": ["claim_payout", "write_off"]}

    def __init__(self, *args, action="accept", **kwargs):
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name not in self.FIELDS[action]:
                del self.fields[name]
