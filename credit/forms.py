"""Forms of the credit pages: they only collect input; the services check it."""
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from creditportal.core.forms import PortalForm
from creditportal.core.money import CURRENCIES

from .models import AuthorityLevel, Collateral, Covenant, CreditApplication, Facility

DATE = forms.DateInput(attrs={"type": "date"})


class ApplicationForm(PortalForm):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=None)
    application_type = forms.ChoiceField(label=_("Type"), choices=CreditApplication.Type.choices)
    facility = forms.ModelChoiceField(label=_("Facility to change"), queryset=None, required=False,
                                      help_text=_("For an increase, renewal or decrease."))
    amount = forms.DecimalField(label=_("Limit requested"), max_digits=18, decimal_places=2, min_value=0)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES)
    term_months = forms.IntegerField(label=_("Term (months)"), min_value=1, max_value=600)
    product = forms.ChoiceField(label=_("Product"), choices=CreditApplication.Product.choices)
    purpose = forms.CharField(label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 3}))
    conditions = forms.CharField(label=_("Conditions"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, customers=None, facilities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers
        self.fields["facility"].queryset = facilities


class CollateralForm(PortalForm):
    kind = forms.ChoiceField(label=_("Type"), choices=Collateral.Kind.choices)
    description = forms.CharField(label=_("Description"), required=False, max_length=300)
    market_value = forms.DecimalField(label=_("Market value"), max_digits=18, decimal_places=2, min_value=0)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES)
    haircut = forms.DecimalField(label=_("Haircut"), max_digits=5, decimal_places=4, min_value=0, max_value=1,
                                 help_text=_("A fraction: 0.3 takes 30 per cent off the market value."))
    valuation_date = forms.DateField(label=_("Valuation date"), widget=DATE)
    revaluation_due = forms.DateField(label=_("Revaluation due"), widget=DATE, required=False)


class GuarantorForm(PortalForm):
    customer = forms.ModelChoiceField(label=_("Guarantor (customer)"), queryset=None, required=False)
    outside_name = forms.CharField(label=_("Guarantor (outside party)"), required=False, max_length=200)
    amount = forms.DecimalField(label=_("Amount guaranteed"), max_digits=18, decimal_places=2, min_value=0)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES)

    def __init__(self, *args, customers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers


class CovenantForm(PortalForm):
    ratio = forms.ChoiceField(label=_("Ratio"), choices=Covenant.Ratio.choices)
    comparison = forms.ChoiceField(label=_("Comparison"), choices=Covenant.Comparison.choices)
    threshold = forms.DecimalField(label=_("Threshold"), max_digits=20, decimal_places=4)
    frequency = forms.ChoiceField(label=_("Tested"), choices=Covenant.Frequency.choices)


class ActionForm(PortalForm):
    """One form for every workflow action; each action uses the fields it needs."""

    comment = forms.CharField(label=_("Comment / reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    level = forms.IntegerField(widget=forms.HiddenInput, required=False)


class LimitCheckForm(PortalForm):
    amount = forms.DecimalField(label=_("Amount"), max_digits=18, decimal_places=2, min_value=0)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES)


class OrderForm(LimitCheckForm):
    reference = forms.CharField(label=_("Order reference"), max_length=100)


class FacilityReasonForm(PortalForm):
    reason = forms.CharField(label=_("Reason"), max_length=300)
    new_limit = forms.DecimalField(label=_("New limit"), max_digits=18, decimal_places=2, min_value=0, required=False)


class DelegationForm(PortalForm):
    delegator = forms.ModelChoiceField(label=_("Delegator"), queryset=None)
    delegate = forms.ModelChoiceField(label=_("Stand-in"), queryset=None)
    level = forms.ModelChoiceField(label=_("Delegated level"), queryset=AuthorityLevel.objects.all(), required=False,
                                   help_text=_("Empty: the delegator's own level."))
    start_date = forms.DateField(label=_("From"), widget=DATE)
    end_date = forms.DateField(label=_("Until (inclusive)"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        approvers = get_user_model().objects.filter(groups__name="approver", is_active=True).order_by("username")
        self.fields["delegator"].queryset = approvers
        self.fields["delegate"].queryset = approvers


def facility_choices(queryset):
    return queryset.filter(status__in=[Facility.Status.ACTIVE, Facility.Status.SUSPENDED])
