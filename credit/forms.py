"""Forms of the credit pages: they only collect input; the services check it."""
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from creditportal.core.forms import DateInput, DecimalField, IntegerField, PortalForm
from creditportal.core.money import CURRENCIES

from . import rules
from .models import GRADE_CHOICES, AuthorityLevel, Collateral, Covenant, CreditApplication, Facility

DATE = DateInput()


class ApplicationForm(PortalForm):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=None)
    application_type = forms.ChoiceField(label=_("Type"), choices=CreditApplication.Type.choices)
    facility = forms.ModelChoiceField(label=_("Facility to change"), queryset=None, required=False,
                                      help_text=_("For an increase, renewal or decrease."))
    amount = DecimalField(label=_("Limit requested"), max_digits=18, decimal_places=2, min_value=0)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES)
    term_months = IntegerField(label=_("Term (months)"), min_value=1, max_value=600)
    product = forms.ChoiceField(label=_("Product"), choices=CreditApplication.Product.choices)
    purpose = forms.CharField(label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 3}))
    conditions = forms.CharField(label=_("Conditions"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, customers=None, facilities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers
        self.fields["facility"].queryset = facilities
        # an increase, renewal or decrease shows the limit it changes: "current → new" as the amount is typed
        self.fields["facility"].label_from_instance = facility_choice_label
        self.fields["amount"].help_text = _("For an increase or decrease: the new limit, not the difference; the "
                                            "facility's current limit is shown beside it.")


def facility_choice_label(facility) -> str:
    """``#12 · 赊销额度 · 甲公司 · current limit CNY 1,000,000.00``."""
    from creditportal.core.formatting import money

    return _("#%(id)s · %(product)s · %(customer)s · current limit %(limit)s") % {
        "id": facility.pk, "product": facility.get_product_display(), "customer": facility.customer.name,
        "limit": money(facility.limit, facility.currency)}


class ApplicationEditForm(ApplicationForm):
    """A draft's or returned application's terms; its customer stays."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["customer"]


class CollateralForm(PortalForm):
    kind = forms.ChoiceField(label=_("Type"), choices=Collateral.Kind.choices)
    description = forms.CharField(label=_("Description"), required=False, max_length=300)
    market_value = DecimalField(label=_("Market value"), max_digits=18, decimal_places=2, min_value=0)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES)
    haircut = DecimalField(label=_("Haircut"), max_digits=5, decimal_places=4, min_value=0, max_value=1,
                                 help_text=_("A fraction: 0.3 takes 30 per cent off the market value."))
    valuation_date = forms.DateField(label=_("Valuation date"), widget=DATE)
    revaluation_due = forms.DateField(label=_("Revaluation due"), widget=DATE, required=False)


class GuarantorForm(PortalForm):
    customer = forms.ModelChoiceField(label=_("Guarantor (customer)"), queryset=None, required=False)
    outside_name = forms.CharField(label=_("Guarantor (outside party)"), required=False, max_length=200)
    amount = DecimalField(label=_("Amount guaranteed"), max_digits=18, decimal_places=2, min_value=0)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES)

    def __init__(self, *args, customers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers


class CovenantForm(PortalForm):
    ratio = forms.ChoiceField(label=_("Ratio"), choices=Covenant.Ratio.choices)
    comparison = forms.ChoiceField(label=_("Comparison"), choices=Covenant.Comparison.choices)
    threshold = DecimalField(label=_("Threshold"), max_digits=20, decimal_places=4)
    frequency = forms.ChoiceField(label=_("Tested"), choices=Covenant.Frequency.choices)


class ActionForm(PortalForm):
    """One form for every workflow action; each action uses the fields it needs."""

    comment = forms.CharField(label=_("Comment / reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    level = IntegerField(widget=forms.HiddenInput, required=False)
    acknowledged_warnings = forms.MultipleChoiceField(label=_("I have read and weighed"), required=False,
                                                      widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, warnings=(), **kwargs):
        super().__init__(*args, **kwargs)
        if warnings:
            self.fields["acknowledged_warnings"].choices = [(w["code"], w["text"]) for w in warnings]
        else:
            del self.fields["acknowledged_warnings"]


class LimitCheckForm(PortalForm):
    amount = DecimalField(label=_("Amount"), max_digits=18, decimal_places=2, min_value=0)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES)


class OrderForm(LimitCheckForm):
    reference = forms.CharField(label=_("Order reference"), max_length=100)


class FacilityReasonForm(PortalForm):
    reason = forms.CharField(label=_("Reason"), max_length=300)
    new_limit = DecimalField(label=_("New limit"), max_digits=18, decimal_places=2, min_value=0, required=False)


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


# --- Configuration: policies, authority matrix, group limits -------------------------------------

AMOUNT = {"max_digits": 18, "decimal_places": 2}
SHARE = {"max_digits": 6, "decimal_places": 4, "min_value": 0, "max_value": 1}


class PolicyForm(PortalForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    effective_from = forms.DateField(label=_("Effective from"), widget=DATE)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class PolicyCreateForm(PolicyForm):
    copy_in_force = forms.BooleanField(label=_("Copy the grade rules of the policy in force"), required=False,
                                       initial=True)


class PolicyRuleForm(PortalForm):
    """One grade's row of a draft policy; ``include`` off leaves the grade out of the policy."""

    grade = forms.ChoiceField(choices=GRADE_CHOICES, widget=forms.HiddenInput)
    include = forms.BooleanField(label=_("In the policy"), required=False)
    eligible = forms.BooleanField(label=_("Eligible"), required=False)
    max_limit = DecimalField(label=_("Maximum limit"), min_value=0, required=False, **AMOUNT)
    max_limit_hard = forms.BooleanField(label=_("Hard"), required=False)
    max_equity_share = DecimalField(label=_("Share of equity"), required=False, **SHARE,
                                          help_text=_("A fraction: 0.5 is half."))
    max_revenue_share = DecimalField(label=_("Share of revenue"), required=False, **SHARE)
    share_hard = forms.BooleanField(label=_("Hard"), required=False)
    max_term_months = IntegerField(label=_("Maximum term (months)"), min_value=1, max_value=600,
                                         required=False)
    term_hard = forms.BooleanField(label=_("Hard"), required=False)
    min_coverage = DecimalField(label=_("Required coverage"), max_digits=6, decimal_places=4, min_value=0,
                                      max_value=10, required=False)
    coverage_hard = forms.BooleanField(label=_("Hard"), required=False)
    pricing_spread_bps = IntegerField(label=_("Spread (bp)"), min_value=0, max_value=100000)
    review_months = IntegerField(label=_("Review (months)"), min_value=1, max_value=120)

    def rule(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("include", None)
        return data


class BasePolicyRuleFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        grades = [f.cleaned_data.get("grade") for f in self.forms if hasattr(f, "cleaned_data")]
        if len(grades) != len(set(grades)):
            raise forms.ValidationError(_("Each grade may have one rule."))


PolicyRuleFormSet = forms.formset_factory(PolicyRuleForm, formset=BasePolicyRuleFormSet, extra=0,
                                          max_num=len(rules.DEFAULT_GRADES), validate_max=True,
                                          absolute_max=len(rules.DEFAULT_GRADES))


class AuthorityLevelForm(PortalForm):
    number = IntegerField(label=_("Level"), min_value=1, max_value=99)
    name = forms.CharField(label=_("Name"), max_length=100)
    max_amount = DecimalField(label=_("Maximum amount (reporting currency)"), min_value=0, required=False,
                                    help_text=_("Empty: no upper limit."), **AMOUNT)
    weakest_grade = forms.ChoiceField(label=_("Weakest grade it may approve"), required=False,
                                      choices=[("", "—")] + GRADE_CHOICES)


def approver_users():
    return get_user_model().objects.filter(groups__name="approver", is_active=True).order_by("username")


class ApproverAuthorityForm(PortalForm):
    user = forms.ModelChoiceField(label=_("Approver"), queryset=None)
    level = forms.ModelChoiceField(label=_("Level"), queryset=AuthorityLevel.objects.all())
    active = forms.BooleanField(label=pgettext_lazy("in force", "Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = approver_users()


class GroupLimitForm(PortalForm):
    group = forms.ModelChoiceField(label=_("Group of related companies"), queryset=None)
    limit = DecimalField(label=_("Group limit"), min_value=0, **AMOUNT)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES)
    expiry_date = forms.DateField(label=_("Expiry"), widget=DATE, required=False)
    active = forms.BooleanField(label=pgettext_lazy("in force", "Active"), required=False, initial=True)

    def __init__(self, *args, groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        if groups is None:   # editing: the group is fixed
            del self.fields["group"]
        else:
            self.fields["group"].queryset = groups
