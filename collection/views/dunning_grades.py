"""Dunning by grade: which dunning policy duns each rating letter (the default policy for the rest), and the
proposal of a change (four-eyes: it takes effect once another risk administrator approves it)."""
from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from creditportal.core import access
from creditportal.core.views import PortalPermissionMixin, ServiceFormView
from proposals.models import ChangeState, Proposal

from .. import forms, services
from ..models import DunningGradePolicy


class DunningGradeListView(PortalPermissionMixin, TemplateView):
    permission_required = "collection.view_dunningpolicy"
    template_name = "collection/dunning_grades.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        assigned = {row.letter: row for row in DunningGradePolicy.objects.select_related("policy")}
        user = self.request.user
        pending = {}
        if access.has(user, "proposals.view_proposal") or access.has(user, "collection.change_dunningpolicy"):
            pending = {p.values.get("letter"): p for p in Proposal.objects.filter(
                kind=services.DUNNING_GRADE_KIND, state=ChangeState.PROPOSED)}
        context.update({
            "rows": [(letter, assigned.get(letter), pending.get(letter)) for letter in services.dunning_grades.LETTERS],
            "default_policy": services.active_policy(),
            "may_propose": access.has(user, "collection.change_dunningpolicy"),
        })
        return context


class DunningGradeProposeView(ServiceFormView):
    permission_required = "collection.change_dunningpolicy"
    form_class = forms.DunningGradeForm
    title = gettext_lazy("Dunning policy by grade")
    cancel_url = "collection:dunning_grades"
    template_name = "collection/form.html"
    success_url_name = "proposals:detail"

    def get_initial(self):
        letter = self.request.GET.get("letter")
        return {"letter": letter} if letter in services.dunning_grades.LETTERS else {}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form_note"] = _("Saving proposes the change; it takes effect once another risk administrator "
                                 "approves it.")
        return context

    def perform(self, data):
        return services.dunning_grade_propose(actor=self.request.user, letter=data["letter"], policy=data["policy"])

    def get_success_message(self, result):
        return _("Change proposed; it takes effect once another risk administrator approves it.")

