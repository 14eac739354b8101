"""Forms of the credit pages: they only collect input; the services check it."""
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from creditportal.core.forms import AmountField, DateInput, DecimalField, IntegerField, PercentField, PortalForm
from creditportal.core.money import CURRENCIES
from creditportal.core.pickers import Picker, PickerChoiceField

from . import rules
from .models import GRADE_CHOICES, SIZING_CHOICES, AuthorityLevel, Collateral, Covenant, CreditApplication, Facility

DATE = DateInput()


class ApplicationForm(PortalForm):
    # pickers: a department's book is not sent as one <select> (the customers and facilities the user may see
    # are searched as the user types; the queryset still decides what a POST may name)
    customer = PickerChoiceField(label=_("Customer"), queryset=None, widget=Picker("customers:pick"))
    application_type = forms.ChoiceField(label=_("Type"), choices=CreditApplication.Type.choices)
    facility = PickerChoiceField(label=_("Facility to change"), queryset=None, required=False,
                                 widget=Picker("credit:pick_facility"),
                                 help_text=_("For an increase, renewal or decrease."))
    amount = AmountField(label=_("Limit requested"), min_value=0)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES)
    term_months = IntegerField(label=_("Term (months)"), min_value=1, max_value=600)
    payment_term_days = IntegerField(label=_("Payment term (days)"), min_value=1, max_value=3650, required=False,
                                     help_text=_("Days from invoice to due date; longer than the grade allows is a "
                                                 "policy exception."))
    expected_monthly_sales = DecimalField(label=_("Expected monthly credit sales"), max_digits=18, decimal_places=2,
                                          min_value=0, required=False,
                                          help_text=_("For the proposed limit; empty: the customer's history."))
    product = forms.ChoiceField(label=_("Product"), choices=CreditApplication.Product.choices)
    purpose = forms.CharField(label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 3}))
    conditions = forms.CharField(label=_("Conditions"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, customers=None, facilities=None, facility_list=False, **kwargs):
        """``facility_list``: the facilities are one customer's few, offered as a plain list (the form opened
        from a customer's page, or a draft whose customer stays); otherwise the facility is searched."""
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers
        self.fields["facility"].queryset = facilities
        if facility_list:
            self.fields["facility"].widget = forms.Select()
            self.fields["facility"].widget.choices = self.fields["facility"].choices
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
    market_value = AmountField(label=_("Market value"), min_value=0)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES)
    haircut = PercentField(label=_("Haircut"), max_digits=5, decimal_places=4, min_value=0, max_value=1,
                           required=False,
                           help_text=_("30 takes 30 per cent off the market value. Empty: the haircut "
                                       "table's for the type; a smaller one needs a reason."))
    haircut_reason = forms.CharField(label=_("Reason for a smaller haircut"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 2}))
    valuation_date = forms.DateField(label=_("Valuation date"), widget=DATE)
    revaluation_due = forms.DateField(label=_("Revaluation due"), widget=DATE, required=False,
                                      help_text=_("Empty: the haircut table's revaluation interval after the "
                                                  "valuation date."))


class GuarantorForm(PortalForm):
    customer = PickerChoiceField(label=_("Guarantor (customer)"), queryset=None, required=False,
                                 widget=Picker("customers:pick"))
    outside_name = forms.CharField(label=_("Guarantor (outside party)"), required=False, max_length=200)
    external_agency = forms.CharField(label=_("Rating agency"), required=False, max_length=100,
                                      help_text=_("An outside party: the agency that rated it."))
    external_grade = forms.CharField(label=_("Agency grade"), required=False, max_length=12)
    mapped_grade = forms.ChoiceField(label=_("Grade on the master scale"), required=False,
                                     choices=[("", _("As the agency grade"))] + [(g, g) for g in rules.DEFAULT_GRADES])
    external_rated_on = forms.DateField(label=_("Agency rating date"), widget=DATE, required=False)
    amount = AmountField(label=_("Amount guaranteed"), min_value=0)
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
    amount = AmountField(label=_("Amount"), min_value=0)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES)


class OrderForm(LimitCheckForm):
    reference = forms.CharField(label=_("Order reference"), max_length=100)
    payment_term_days = IntegerField(label=_("Payment term (days)"), min_value=1, max_value=3650, required=False,
                                     help_text=_("Empty: the customer's term. Longer than the customer's is a "
                                                 "policy exception."))
    term_exception_reason = forms.CharField(label=_("Reason for the longer payment term"), required=False,
                                            widget=forms.Textarea(attrs={"rows": 2}))


class FacilityReasonForm(PortalForm):
    reason = forms.CharField(label=_("Reason"), max_length=300)
    new_limit = AmountField(label=_("New limit"), min_value=0, required=False)


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

SHARE = {"max_digits": 6, "decimal_places": 4, "min_value": 0, "max_value": 1}  # fractions, typed in per cent


class PolicyForm(PortalForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    effective_from = forms.DateField(label=_("Effective from"), widget=DATE)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    overdue_tolerance_days = IntegerField(
        label=_("Overdue tolerance (days)"), min_value=0, max_value=3650, required=False,
        help_text=_("Deliveries are held, and decisions warned, when a customer is more days past due than this "
                    "(empty: the portal's default)."))


class PolicyCreateForm(PolicyForm):
    copy_in_force = forms.BooleanField(label=_("Copy the grade rules of the policy in force"), required=False,
                                       initial=True)


class PolicyRuleForm(PortalForm):
    """One grade's row of a draft policy; ``include`` off leaves the grade out of the policy."""

    grade = forms.ChoiceField(choices=GRADE_CHOICES, widget=forms.HiddenInput)
    include = forms.BooleanField(label=_("In the policy"), required=False)
    eligible = forms.BooleanField(label=_("Eligible"), required=False)
    max_limit = AmountField(label=_("Maximum limit"), min_value=0, required=False)
    max_limit_hard = forms.BooleanField(label=_("Hard"), required=False)
    max_equity_share = PercentField(label=_("Share of equity"), required=False, **SHARE,
                                    help_text=_("In per cent: 50 is half."))
    max_revenue_share = PercentField(label=_("Share of revenue"), required=False, **SHARE)
    share_hard = forms.BooleanField(label=_("Hard"), required=False)
    max_term_months = IntegerField(label=_("Maximum term (months)"), min_value=1, max_value=600,
                                         required=False)
    term_hard = forms.BooleanField(label=_("Hard"), required=False)
    min_coverage = PercentField(label=_("Required coverage"), max_digits=6, decimal_places=4, min_value=0,
                                max_value=10, required=False)
    coverage_hard = forms.BooleanField(label=_("Hard"), required=False)
    pricing_spread_bps = IntegerField(label=_("Spread (bp)"), min_value=0, max_value=100000)
    review_months = IntegerField(label=_("Review (months)"), min_value=1, max_value=120)
    max_payment_term_days = IntegerField(label=_("Longest payment term (days)"), min_value=1, max_value=3650,
                                         required=False)
    payment_term_hard = forms.BooleanField(label=_("Hard"), required=False)
    deposit_percent = DecimalField(label=_("Deposit (%)"), max_digits=5, decimal_places=2, min_value=0,
                                   max_value=100, required=False)
    sizing_method = forms.ChoiceField(label=_("Limit sizing"), choices=SIZING_CHOICES, required=False)
    sizing_share = DecimalField(label=_("Sizing share"), max_digits=6, decimal_places=4, min_value=0, max_value=10,
                                required=False)

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
    name_en = forms.CharField(label=_("Name (English)"), max_length=100, required=False)
    max_amount = AmountField(label=_("Maximum amount (reporting currency)"), min_value=0, required=False,
                             help_text=_("Empty: no upper limit."))
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
    group = PickerChoiceField(label=_("Group of related companies"), queryset=None,
                              widget=Picker("customers:pick_group", params={"without_limit": "1"}))
    limit = AmountField(label=_("Group limit"), min_value=0)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES)
    expiry_date = forms.DateField(label=_("Expiry"), widget=DATE, required=False)
    active = forms.BooleanField(label=pgettext_lazy("in force", "Active"), required=False, initial=True)

    def __init__(self, *args, groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        if groups is None:   # editing: the group is fixed
            del self.fields["group"]
        else:
            self.fields["group"].queryset = groups


class HoldReleaseForm(PortalForm):
    """Release an order hold: the reason is required and kept with the release."""

    reason = forms.CharField(label=_("Reason for the release"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))


class HaircutTableForm(PortalForm):
    """The haircut table as a proposal: each type's haircut and revaluation interval (the services check)."""

    def __init__(self, *args, table=None, **kwargs):
        super().__init__(*args, **kwargs)
        table = table or {}
        for kind, label in Collateral.Kind.choices:
            haircut, months = table.get(kind, (None, None))
            self.fields[f"haircut_{kind}"] = DecimalField(
                label=_("%(kind)s: haircut") % {"kind": label}, max_digits=5, decimal_places=4, min_value=0,
                max_value=1, initial=haircut)
            self.fields[f"months_{kind}"] = IntegerField(
                label=_("%(kind)s: revaluation (months)") % {"kind": label}, min_value=1, max_value=120,
                initial=months)
        from creditportal.core.forms import style_fields

        style_fields(self)

    def table(self) -> dict:
        return {kind: {"haircut": self.cleaned_data[f"haircut_{kind}"],
                       "revaluation_months": self.cleaned_data[f"months_{kind}"]} for kind in Collateral.Kind.values}


class RecoveryFactorsForm(PortalForm):
    """The recovery factors by grade as a proposal."""

    def __init__(self, *args, factors=None, grades=(), labels=None, **kwargs):
        super().__init__(*args, **kwargs)
        for grade in grades:
            self.fields[f"factor_{grade}"] = DecimalField(
                label=(labels or {}).get(grade, grade), max_digits=5, decimal_places=4, min_value=0, max_value=1,
                initial=(factors or {}).get(grade))
        from creditportal.core.forms import style_fields

        style_fields(self)

    def factors(self) -> dict:
        return {name.removeprefix("factor_"): value for name, value in self.cleaned_data.items()}
