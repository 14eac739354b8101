"""Filters of the user list (the same query string filters the page and its CSV/XLSX export)."""
import django_filters
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class UserFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Username"))
    role = django_filters.ModelChoiceFilter(field_name="groups", queryset=Group.objects.order_by("name"),
                                            label=_("Role"))
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = get_user_model()
        fields = ["q", "role", "is_active"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(username__icontains=value) | Q(first_name__icontains=value)
                               | Q(last_name__icontains=value) | Q(email__icontains=value))
