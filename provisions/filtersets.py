"""FilterSets shared by the ECL pages and API."""
import django_filters
from django.utils.translation import gettext_lazy as _

from .models import EclRun, RunState


class EclRunFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(label=_("State"), choices=RunState.choices)
    year = django_filters.NumberFilter(label=_("Year"), field_name="period", lookup_expr="year")

    class Meta:
        model = EclRun
        fields = ["state", "year"]
