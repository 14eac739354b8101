from django import forms
from django.utils.translation import gettext_lazy as _

from creditportal.core.forms import AmountField, DateInput, PercentField, PortalForm

from .models import Averaging, SegmentBy
from .selectors import BUCKET_LABELS, BUCKETS

SCENARIO_ROWS = 3


class SnapshotForm(PortalForm):
    period = forms.DateField(label=_("Month (any day of it)"), widget=DateInput())


class RunForm(PortalForm):
    period = forms.DateField(label=_("Month (any day of it)"), widget=DateInput())
    lookback = forms.IntegerField(label=_("Look-back (months)"), min_value=1, max_value=120, initial=24)
    averaging = forms.ChoiceField(label=_("Averaging"), choices=Averaging.choices, initial=Averaging.SIMPLE)
    segment_by = forms.ChoiceField(label=_("Segments"), choices=SegmentBy.choices, initial=SegmentBy.BOOK)
    min_history = forms.IntegerField(
        label=_("History threshold (months)"), min_value=0, max_value=120, initial=12,
        help_text=_("A segment with fewer months of balances in the look-back takes the whole book's rates."))
    correction_reason = forms.CharField(
        label=_("Reason for the correction"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only for a month that is locked: the new run corrects the locked one."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for bucket in BUCKETS:
            self.fields[f"override_{bucket}"] = forms.DecimalField(
                label=_("Override rate %(bucket)s") % {"bucket": BUCKET_LABELS[bucket]}, required=False,
                min_value=0, max_value=1, max_digits=9, decimal_places=6)
        self.fields["override_reason"] = forms.CharField(label=_("Reason for the override"), required=False,
                                                         widget=forms.Textarea(attrs={"rows": 2}))
        from creditportal.core.forms import style_fields

        style_fields(self)

    def override(self) -> dict:
        return {b: str(self.cleaned_data[f"override_{b}"]) for b in BUCKETS
                if self.cleaned_data.get(f"override_{b}") is not None}


class ScenarioSetForm(PortalForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    reason = forms.CharField(label=_("Reason (source of the forecast)"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        defaults = [("base", 60, 1), ("upside", 20, "0.9"), ("downside", 20, "1.3")]
        for i in range(SCENARIO_ROWS):
            name, weight, factor = defaults[i]
            self.fields[f"name_{i}"] = forms.CharField(label=_("Scenario %(n)s") % {"n": i + 1}, required=False,
                                                       max_length=60, initial=name)
            self.fields[f"weight_{i}"] = forms.DecimalField(label=_("Weight (%)"), required=False, max_digits=7,
                                                            decimal_places=4, initial=weight)
            self.fields[f"factor_{i}"] = forms.DecimalField(label=_("Factor"), required=False, max_digits=9,
                                                            decimal_places=4, initial=factor)
        from creditportal.core.forms import style_fields

        style_fields(self)

    def scenarios(self) -> list[dict]:
        rows = []
        for i in range(SCENARIO_ROWS):
            name = (self.cleaned_data.get(f"name_{i}") or "").strip()
            if name:
                rows.append({"name": name, "weight": self.cleaned_data.get(f"weight_{i}") or 0,
                             "factor": self.cleaned_data.get(f"factor_{i}") if self.cleaned_data.get(
                                 f"factor_{i}") is not None else 1})
        return rows


class AssessmentForm(PortalForm):
    customer = forms.IntegerField(label=_("Customer id"), min_value=1)
    period = forms.DateField(label=_("Month (any day of it)"), widget=DateInput())
    collateral_value = AmountField(label=_("Collateral value"), min_value=0, initial=0)
    collateral_haircut = PercentField(label=_("Collateral haircut"), min_value=0, max_value=1, max_digits=5,
                                      decimal_places=4, initial=0)
    guarantees = AmountField(label=_("Guarantees"), min_value=0, initial=0)
    insurance_cover = AmountField(label=_("Credit insurance cover"), min_value=0, initial=0)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    evidence = forms.CharField(label=_("Evidence"), max_length=300, required=False,
                               help_text=_("Where the evidence is filed (document, valuation report, letter)."))
    evidence_file = forms.FileField(label=_("Evidence file"), required=False,
                                    help_text=_("PDF, image or office document, like the customer documents."))


class EvidenceForm(PortalForm):
    file = forms.FileField(label=_("Evidence file"))
    title = forms.CharField(label=_("Title"), max_length=200, required=False)


class DecisionForm(PortalForm):
    note = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
