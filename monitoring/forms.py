from django import forms
from django.utils.translation import gettext_lazy as _

from creditportal.core.forms import AmountField, DateInput, DecimalField, IntegerField, PercentField, PortalForm, PortalModelForm

from .models import RecommendedAction, Severity, Tier, WarningRule


class CommentForm(PortalForm):
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class StartActionForm(PortalForm):
    action = forms.ChoiceField(label=_("Action"), choices=[c for c in RecommendedAction.choices if c[0] != "none"])
    new_limit = AmountField(label=_("New limit (for a reduction)"), required=False, min_value=0)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, actions=None, **kwargs):
        """``actions``: the recommended actions this user may start (``services.recommended_actions_for``);
        only those are offered, and the new limit only to whoever may reduce one."""
        super().__init__(*args, **kwargs)
        if actions is not None:
            self.fields["action"].choices = [c for c in self.fields["action"].choices if c[0] in actions]
            if RecommendedAction.REDUCE_LIMIT not in actions:
                del self.fields["new_limit"]


class WarningRuleForm(PortalModelForm):
    class Meta:
        model = WarningRule
        fields = ["code", "name", "name_en", "metric", "comparison", "threshold", "window_days", "periods", "severity",
                  "recommended_action", "enabled", "description", "description_en"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "description_en": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True

    def validate_unique(self):  # the service checks the code
        pass


class WatchlistForm(PortalForm):
    customer = IntegerField(label=_("Customer id"), widget=forms.HiddenInput, required=False)
    customer_name = forms.CharField(label=_("Customer"), disabled=True, required=False)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    until = forms.DateField(label=_("Until (optional)"), required=False,
                            widget=DateInput())


class ReclassifyForm(PortalForm):
    tier = forms.ChoiceField(label=_("Tier"), choices=Tier.choices)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class RunForm(PortalForm):
    period = forms.DateField(label=_("Month (any day of it)"), required=False,
                             widget=DateInput())


class RatesForm(PortalForm):
    def __init__(self, *args, rates=None, **kwargs):
        super().__init__(*args, **kwargs)
        for tier, label in Tier.choices:
            self.fields[tier] = PercentField(label=label, max_digits=6, decimal_places=4, min_value=0,
                                             max_value=1, initial=(rates or {}).get(tier))
        from creditportal.core.forms import style_fields

        style_fields(self)


SEVERITY_CHOICES = [("", _("Any severity")), *Severity.choices]
