from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.pickers import person_label, users_of
from creditportal.core.forms import DateInput, PortalForm
from creditportal.core.pickers import Picker, PickerChoiceField

from .models import ReportBatch, ReportLanguage

GRADES = ["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", "D"]


class WorkspaceSearchForm(PortalForm):
    RATINGS, APPLICATIONS, DECISIONS = "ratings", "applications", "decisions"

    what = forms.ChoiceField(label=_("search"), choices=[
        (RATINGS, _("Approved ratings")), (APPLICATIONS, _("Credit applications")), (DECISIONS, _("Decisions"))],
        required=False)
    date_from = forms.DateField(label=_("from"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("to"), required=False, widget=DateInput)
    customer = forms.CharField(label=_("customer"), required=False, max_length=200)
    user = PickerChoiceField(label=_("user"), required=False, queryset=users_of().order_by("pk"),
                             widget=Picker("accounts:pick"))
    outcome = forms.ChoiceField(label=_("outcome"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = [("", _("Any")), *self.outcome_choices()]
        self.fields["user"].label_from_instance = person_label  # a person by name, never a login typed by hand

    def what_value(self) -> str:
        value = (self.data.get("what") if self.is_bound else None) or self.RATINGS
        return value if value in (self.RATINGS, self.APPLICATIONS, self.DECISIONS) else self.RATINGS

    def outcome_choices(self):
        what = self.what_value()
        if what == self.APPLICATIONS:
            from credit.models import CreditApplication

            return [(v, label) for v, label in CreditApplication.Status.choices if v != "draft"]
        if what == self.DECISIONS:
            from credit.models import Decision

            return list(Decision.Action.choices)
        return ([(f"letter:{x}", _("letter %(letter)s") % {"letter": x}) for x in "ABCD"]
                + [(f"grade:{g}", _("grade %(grade)s") % {"grade": g}) for g in GRADES])

    def filters(self) -> dict:
        """The valid filters (a refused value is left out and named by the page, ``report_invalid``)."""
        self.is_valid()
        data = self.cleaned_data
        return {"date_from": data.get("date_from"), "date_to": data.get("date_to"),
                "customer": (data.get("customer") or "").strip(), "person": data.get("user"),
                "outcome": data.get("outcome") or ""}


class BatchRequestForm(PortalForm):
    kind = forms.ChoiceField(label=_("documents"), choices=ReportBatch.Kind.choices)
    period_start = forms.DateField(label=_("from"), widget=DateInput)
    period_end = forms.DateField(label=_("until (inclusive)"), widget=DateInput)
    language = forms.ChoiceField(label=_("language"), choices=ReportLanguage.choices)


class PortfolioMonthForm(PortalForm):
    month = forms.CharField(label=_("month"), widget=forms.TextInput(attrs={"type": "month"}))
