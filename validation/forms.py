from django import forms
from django.utils.translation import gettext_lazy as _

from creditportal.core import clock
from creditportal.core.forms import DateInput, IntegerField, PortalForm
from credit.models import CreditPolicy
from ratings.models import RatingModel, RatingModelState

from .models import OutcomeImport, ValidationRun

DATE = DateInput()


class ValidationRunForm(PortalForm):
    model = forms.ModelChoiceField(label=_("Rating model version"), queryset=RatingModel.objects.none())
    source = forms.ChoiceField(label=_("Data"), choices=ValidationRun.Source.choices,
                               initial=ValidationRun.Source.PORTAL)
    outcome_import = forms.ModelChoiceField(label=_("Imported outcomes"), queryset=OutcomeImport.objects.none(),
                                            required=False)
    period_start = forms.DateField(label=_("Ratings from"), widget=DATE)
    period_end = forms.DateField(label=_("Ratings until"), widget=DATE)
    psi_base_date = forms.DateField(label=_("Stability: base date"), widget=DATE, required=False,
                                    help_text=_("Empty: the start of the period."))
    psi_compare_date = forms.DateField(label=_("Stability: compared date"), widget=DATE, required=False,
                                       help_text=_("Empty: the end of the period."))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].queryset = RatingModel.objects.visible_to(user).order_by("code", "-version")
        self.fields["outcome_import"].queryset = OutcomeImport.objects.visible_to(user)
        today = clock.today()
        self.fields["period_end"].initial = today.replace(year=today.year - 1)
        self.fields["period_start"].initial = today.replace(year=today.year - 2)


class SimulationForm(PortalForm):
    rating_model = forms.ModelChoiceField(label=_("Draft rating model version"), required=False,
                                          queryset=RatingModel.objects.none())
    credit_policy = forms.ModelChoiceField(label=_("Draft credit policy"), required=False,
                                           queryset=CreditPolicy.objects.none())

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rating_model"].queryset = RatingModel.objects.visible_to(user).filter(
            state=RatingModelState.DRAFT)
        self.fields["credit_policy"].queryset = CreditPolicy.objects.visible_to(user).filter(
            status=CreditPolicy.Status.DRAFT)

    def clean(self):
        data = super().clean()
        if bool(data.get("rating_model")) == bool(data.get("credit_policy")):
            raise forms.ValidationError(_("Choose either a draft rating model version or a draft credit policy."))
        return data


class OutcomeImportForm(PortalForm):
    file = forms.FileField(label=_("CSV file"), help_text=_(
        "UTF-8, header row: customer, external_id, rating_date, score, grade, inputs, outcome."))
    label = forms.CharField(label=_("Label"), max_length=200, required=False)


class DefaultDefinitionForm(PortalForm):
    default_grades = forms.CharField(label=_("Grades that count as default"), max_length=100,
                                     help_text=_("Separated by commas, e.g. D or C, D."))
    days_past_due = IntegerField(label=_("More than this many days past due is a default"), min_value=1)
    horizon_months = IntegerField(label=_("Within this many months of the rating"), min_value=1,
                                        max_value=60)
