import json

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from creditportal.core.formatting import shipped_text
from creditportal.core.forms import DecimalField, IntegerField, PercentField, PortalForm, PortalModelForm
from customers.models import INDUSTRY_SECTION_CHOICES, CustomerSize

from .models import LETTERS, CompetitorShare, FactorDirection, FactorKind, FactorMethod, RatingsPolicy
from .services import POLICY_FIELDS

SCORES = [(i, str(i)) for i in range(1, 6)]


class JSONTextField(forms.CharField):
    """A JSON value typed into a text area."""

    widget = forms.Textarea(attrs={"rows": 4, "class": "font-monospace"})

    def __init__(self, *args, empty=None, **kwargs):
        self.empty = empty
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, (list, dict)):
            return json.dumps(value, ensure_ascii=False)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return self.empty() if callable(self.empty) else self.empty
        try:
            return json.loads(value)
        except ValueError as exc:
            raise forms.ValidationError(_("Enter valid JSON.")) from exc


class ExpertScoreForm(PortalForm):
    factor_code = forms.ChoiceField(label=_("Factor"))
    score = forms.TypedChoiceField(label=_("Score (1 weak – 5 strong)"), choices=SCORES, coerce=int)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=500)

    def __init__(self, *args, factors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["factor_code"].choices = [(f["code"], shipped_text(f["name"])) for f in factors]


class ExpertScoresForm(PortalForm):
    """Every qualitative factor of a rating in one form: a score (1–5, or none to leave the factor) and a comment
    per factor, pre-filled with the expert's own scores."""

    def __init__(self, *args, factors=(), mine=None, **kwargs):
        super().__init__(*args, **kwargs)
        mine = mine or {}
        self.factor_codes = []
        for f in factors:
            code = f["code"]
            own = mine.get(code)
            self.factor_codes.append(code)
            self.fields[f"score_{code}"] = forms.TypedChoiceField(
                label=shipped_text(f["name"]), choices=[("", "—"), *SCORES], coerce=int, empty_value=None,
                required=False, initial=own.score if own else None)
            self.fields[f"comment_{code}"] = forms.CharField(
                label=_("Comment on %(factor)s") % {"factor": shipped_text(f["name"])}, required=False,
                max_length=500, initial=own.comment if own else "")

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(f"score_{code}") for code in self.factor_codes):
            raise forms.ValidationError(_("Score at least one factor."))
        for code in self.factor_codes:
            if cleaned.get(f"comment_{code}") and not cleaned.get(f"score_{code}"):
                self.add_error(f"score_{code}", _("Give a score with the comment."))
        return cleaned

    def scores(self) -> dict:
        return {code: (self.cleaned_data[f"score_{code}"], self.cleaned_data.get(f"comment_{code}") or "")
                for code in self.factor_codes if self.cleaned_data.get(f"score_{code}")}


class OverrideForm(PortalForm):
    grade = forms.ChoiceField(label=_("Overridden grade"), required=False)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, grades=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grade"].choices = [("", _("— the model's grade —"))] + [(g, g) for g in grades]


class ReasonForm(PortalForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class BehaviourInputForm(PortalForm):
    competitor_share = forms.ChoiceField(label=_("Share of competitors' products in the customer's business"),
                                         choices=CompetitorShare.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class GradeRowForm(PortalForm):
    code = forms.CharField(label=_("Grade"), max_length=8)
    letter = forms.ChoiceField(label=_("Letter"), choices=LETTERS)
    min_score = DecimalField(label=_("Score from"), max_digits=7, decimal_places=2)
    max_score = DecimalField(label=_("Score below"), max_digits=7, decimal_places=2)
    pd = PercentField(label=_("PD"), max_digits=7, decimal_places=6, min_value=0, max_value=1)
    meaning = forms.CharField(label=_("Meaning"), required=False, max_length=500)
    meaning_en = forms.CharField(label=_("Meaning (English)"), required=False, max_length=500)


GradeFormSet = forms.formset_factory(GradeRowForm, extra=0, min_num=1, validate_min=True)


class ScaleForm(PortalForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    name_en = forms.CharField(label=_("Name (English)"), max_length=100, required=False)


class RatingModelForm(PortalForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    name_en = forms.CharField(label=_("Name (English)"), max_length=120, required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    industries = forms.MultipleChoiceField(label=_("Industries (none: every industry)"), required=False,
                                           choices=INDUSTRY_SECTION_CHOICES, widget=forms.CheckboxSelectMultiple)
    sizes = forms.MultipleChoiceField(label=_("Sizes (none: every size)"), required=False,
                                      choices=CustomerSize.choices, widget=forms.CheckboxSelectMultiple)
    caps = JSONTextField(label=_("Caps and vetoes (JSON)"), empty=list,
                         help_text=_('e.g. [{"code": "behaviour_veto", "source": "behaviour.result", "op": "eq", '
                                     '"value": "D", "max_grade": "D"}]'))
    behaviour_window_months = forms.IntegerField(label=_("Behaviour window (months)"), min_value=1, max_value=60,
                                                 initial=12)
    behaviour_grace_days = forms.IntegerField(label=_("Behaviour grace (days)"), min_value=0, max_value=365,
                                              initial=30)
    min_completeness = forms.DecimalField(label=_("Minimum data completeness (%)"), min_value=0, max_value=100,
                                          max_digits=5, decimal_places=2, initial=70)
    min_experts = forms.IntegerField(label=_("Minimum experts per qualitative factor"), min_value=1, max_value=20,
                                     initial=2)


class FactorForm(PortalForm):
    position = IntegerField(label=pgettext_lazy("sort order", "Position"), min_value=0, initial=0)
    code = forms.SlugField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=120)
    group = forms.CharField(label=_("Group (6C / financial group)"), max_length=40, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=FactorKind.choices)
    source = forms.CharField(label=_("Input"), max_length=80, required=False,
                             help_text=_("e.g. ratios.current_ratio, behaviour.result, negative.count_3y, customer.size"))
    weight = DecimalField(label=_("Weight (%)"), max_digits=5, decimal_places=2, min_value=0)
    method = forms.ChoiceField(label=_("Method"), choices=[("", "—")] + list(FactorMethod.choices), required=False)
    direction = forms.ChoiceField(label=_("Direction"), choices=FactorDirection.choices)
    thresholds = JSONTextField(label=_("Thresholds [[bound, points], …]"), empty=list)
    low = DecimalField(label=_("Band low"), required=False, max_digits=14, decimal_places=4)
    high = DecimalField(label=_("Band high"), required=False, max_digits=14, decimal_places=4)
    points = JSONTextField(label=_("Points per category {category: points}"), empty=dict)
    missing_points = DecimalField(
        label=_("Points when missing"), max_digits=5, decimal_places=2, required=False, min_value=0, max_value=100,
        help_text=_("Empty: a missing input takes no weight (its weight is spread over the other factors)."))


class PolicyForm(PortalModelForm):
    class Meta:
        model = RatingsPolicy
        fields = POLICY_FIELDS
