"""Filters of the rating list page (the same query string filters the page and its CSV/XLSX export)."""
import django_filters
from django.utils.translation import gettext_lazy as _

from accounts.pickers import UserPickerFilter
from creditportal.core.filters import PlausibleDateFilter
from customers.pickers import CustomerPickerFilter

from .models import Rating, RatingState


class RatingFilterSet(django_filters.FilterSet):
    customer = CustomerPickerFilter()
    state = django_filters.ChoiceFilter(choices=RatingState.choices, label=_("State"), empty_label=_("every state"))
    grade = django_filters.CharFilter(field_name="grade", lookup_expr="iexact", label=_("Grade"))
    made_by = UserPickerFilter(field_name="created_by", active_only=False, label=_("Made by"))
    approved_from = PlausibleDateFilter(field_name="approved_on", lookup_expr="gte", label=_("Approved from"))
    approved_to = PlausibleDateFilter(field_name="approved_on", lookup_expr="lte", label=_("Approved to"))

    class Meta:
        model = Rating
        fields = ["customer", "state", "grade", "made_by", "approved_from", "approved_to"]


class RatingApiFilterSet(django_filters.FilterSet):
    """The API's rating filters: the customer is one the caller may see (another portfolio's id: 400)."""

    customer = CustomerPickerFilter()

    class Meta:
        model = Rating
        fields = ["customer", "state", "grade", "letter"]
