"""Filters of the credit list pages (the same query string filters the page and its CSV/XLSX export)."""
import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.pickers import UserPickerFilter
from creditportal.core.filters import PlausibleDateFilter
from customers.pickers import CustomerPickerFilter

from .models import CreditApplication, CreditPolicy, CustomerHold, Facility, GroupLimit


def _customer_search(queryset, name, value):
    value = value.strip()
    if not value:
        return queryset
    return queryset.filter(Q(customer__name__icontains=value) | Q(customer__credit_code__icontains=value))


class ApplicationFilterSet(django_filters.FilterSet):
    customer = CustomerPickerFilter()
    status = django_filters.ChoiceFilter(choices=CreditApplication.Status.choices, label=_("Status"),
                                         empty_label=_("All statuses"))
    application_type = django_filters.ChoiceFilter(choices=CreditApplication.Type.choices, label=_("Type"))
    product = django_filters.ChoiceFilter(choices=CreditApplication.Product.choices, label=_("Product"))
    made_by = UserPickerFilter(field_name="created_by", active_only=False, label=_("Made by"))
    created_from = PlausibleDateFilter(field_name="created_at", lookup_expr="date__gte", label=_("Created from"))
    created_to = PlausibleDateFilter(field_name="created_at", lookup_expr="date__lte", label=_("Created to"))

    class Meta:
        model = CreditApplication
        fields = ["customer", "status", "application_type", "product", "made_by", "created_from", "created_to"]


class ApplicationApiFilterSet(django_filters.FilterSet):
    """The API's application filters: the customer is one the caller may see (another portfolio's id: 400)."""

    customer = CustomerPickerFilter()

    class Meta:
        model = CreditApplication
        fields = ["status", "customer", "application_type", "product"]


class FacilityFilterSet(django_filters.FilterSet):
    customer = CustomerPickerFilter()
    status = django_filters.ChoiceFilter(choices=Facility.Status.choices, label=_("Status"),
                                         empty_label=_("All statuses"))
    product = django_filters.ChoiceFilter(choices=CreditApplication.Product.choices, label=_("Product"))
    expires_before = PlausibleDateFilter(field_name="expiry_date", lookup_expr="lte", label=_("Expires by"))

    class Meta:
        model = Facility
        fields = ["customer", "status", "product", "expires_before"]


class FacilityApiFilterSet(django_filters.FilterSet):
    """The API's facility filters: the customer is one the caller may see (another portfolio's id: 400)."""

    customer = CustomerPickerFilter()

    class Meta:
        model = Facility
        fields = ["status", "customer", "currency"]


class PolicyFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CreditPolicy.Status.choices, label=_("Status"),
                                         empty_label=_("All statuses"))

    class Meta:
        model = CreditPolicy
        fields = ["status"]


class GroupLimitFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(field_name="group__name", lookup_expr="icontains", label=_("Group"))
    active = django_filters.BooleanFilter(label=pgettext_lazy("in force", "Active"))

    class Meta:
        model = GroupLimit
        fields = ["search", "active"]


class HoldFilterSet(django_filters.FilterSet):
    """Order holds (the page and the API)."""

    search = django_filters.CharFilter(method=_customer_search, label=_("Search"))
    status = django_filters.ChoiceFilter(choices=CustomerHold.Status.choices, label=_("Status"),
                                         empty_label=_("All statuses"))
    since_from = PlausibleDateFilter(field_name="since", lookup_expr="gte", label=_("Held from"))
    customer = CustomerPickerFilter()

    class Meta:
        model = CustomerHold
        fields = ["search", "status", "since_from", "customer"]
