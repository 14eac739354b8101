"""Filters of the configuration changes' list (the same query string filters the page and its export)."""
import django_filters
from django.utils.translation import gettext_lazy as _

from .models import ChangeState, Proposal


class ProposalFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=ChangeState.choices, label=_("State"), empty_label=_("All states"))

    class Meta:
        model = Proposal
        fields = ["state"]
