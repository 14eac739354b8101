"""The monitoring lists' query parameters, validated by FilterSets before the selectors read them.

The selectors (``alert_list``, ``classification_list``, ``exposure_list``, ``provision_lines``,
``watchlist_entries``, ``dashboard``) filter with the cleaned values of these FilterSets only
(``creditportal.core.filters.clean_params``): the API refuses a bad value with 400 naming it
(``require_valid``), a page says which filter it ignored (``report_invalid``). Each filter here is the
declaration of one parameter the selector reads.
"""
import django_filters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from collection.rules import BUCKET_KEYS
from creditportal.core.filters import IdFilter, PlausibleDateFilter
from customers.models import Customer

from .rules import ALERT_AGE_BUCKETS
from .models import (
    Alert, AlertStatus, AssetClassification, ClassificationStatus, ProvisionLine, Severity, Tier, WatchlistEntry,
)

FLAG = [("1", _("Yes")), ("true", _("Yes")), ("0", _("No")), ("false", _("No"))]
GRADE_MAX = 8


class _Declared(django_filters.FilterSet):
    """Validation only: the selector applies the cleaned values (its own rules: defaults, buckets, grades)."""

    def filter_queryset(self, queryset):
        return queryset


class AlertFilterSet(_Declared):
    status = django_filters.ChoiceFilter(choices=[("active", pgettext_lazy("alert status", "Active")), ("all", _("All")), *AlertStatus.choices])
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    rule = django_filters.CharFilter(max_length=50)
    customer = IdFilter()
    mine = django_filters.ChoiceFilter(choices=FLAG)
    age = django_filters.ChoiceFilter(choices=[(key, key) for key, _low, _high in ALERT_AGE_BUCKETS])
    q = django_filters.CharFilter(max_length=200)
    sort = django_filters.CharFilter(max_length=30)

    class Meta:
        model = Alert
        fields = []


class ClassificationFilterSet(_Declared):
    period = PlausibleDateFilter()
    all = django_filters.ChoiceFilter(choices=FLAG)
    tier = django_filters.ChoiceFilter(choices=Tier.choices)
    status = django_filters.ChoiceFilter(choices=ClassificationStatus.choices)
    manual = django_filters.ChoiceFilter(choices=FLAG)
    customer = IdFilter()

    class Meta:
        model = AssetClassification
        fields = []


class ExposureFilterSet(_Declared):
    grade = django_filters.CharFilter(max_length=GRADE_MAX)
    industry = django_filters.CharFilter(max_length=5)
    group = IdFilter()
    start = PlausibleDateFilter()
    end = PlausibleDateFilter()
    grade_from = django_filters.CharFilter(max_length=GRADE_MAX)
    grade_to = django_filters.CharFilter(max_length=GRADE_MAX)
    bucket = django_filters.ChoiceFilter(choices=[(key, key) for key in BUCKET_KEYS])
    all = django_filters.ChoiceFilter(choices=FLAG)

    class Meta:
        model = Customer
        fields = []


class ProvisionLineFilterSet(_Declared):
    tier = django_filters.ChoiceFilter(choices=Tier.choices)

    class Meta:
        model = ProvisionLine
        fields = []


class WatchlistFilterSet(_Declared):
    all = django_filters.ChoiceFilter(choices=FLAG)

    class Meta:
        model = WatchlistEntry
        fields = []


class DashboardFilterSet(_Declared):
    start = PlausibleDateFilter()
    end = PlausibleDateFilter()

    class Meta:
        model = Customer
        fields = []
