import django_filters
from django.utils.translation import gettext_lazy as _

from creditportal.core.filters import IdFilter, PlausibleDateFilter

from .models import ChangeKind, OutsideChange, OutsideImport


class OutsideImportFilterSet(django_filters.FilterSet):
    customer = IdFilter(field_name="customer_id", label=_("Customer"))
    since = PlausibleDateFilter(field_name="as_of", lookup_expr="gte", label=_("As of, from"))

    class Meta:
        model = OutsideImport
        fields = ["customer", "since"]


class OutsideChangeFilterSet(django_filters.FilterSet):
    customer = IdFilter(field_name="customer_id", label=_("Customer"))
    kind = django_filters.ChoiceFilter(choices=ChangeKind.choices, label=_("Change"))
    since = PlausibleDateFilter(field_name="detected_on", lookup_expr="gte", label=_("Detected, from"))

    class Meta:
        model = OutsideChange
        fields = ["customer", "kind", "since"]
