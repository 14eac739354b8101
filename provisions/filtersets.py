"""FilterSets shared by the ECL pages and API."""
import django_filters
from django.utils.translation import gettext_lazy as _

from creditportal.core.filters import IdFilter
from creditportal.core.forms import IntegerField

from .models import EclRun, ImpairedAssessment, RunState


class YearFilter(django_filters.NumberFilter):
    field_class = IntegerField  # ASCII digits only, bounded: a bad year is a filter error, never a query


class EclRunFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(label=_("State"), choices=RunState.choices)
    year = YearFilter(label=_("Year"), field_name="period", lookup_expr="year", min_value=1990, max_value=2200)

    class Meta:
        model = EclRun
        fields = ["state", "year"]


class AssessmentCustomerFilter(django_filters.FilterSet):
    """``?customer=`` on the impaired-assessment page (pre-selects the customer)."""

    customer = IdFilter(field_name="customer_id")

    class Meta:
        model = ImpairedAssessment
        fields = ["customer"]
