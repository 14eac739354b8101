"""Filters of the user list (the same query string filters the page and its CSV/XLSX export)."""
import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from creditportal.core import access


class UserFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Username"))
    # Roles and status by their labels in the user's language (not the group names or "Unknown/Yes/No").
    role = django_filters.ChoiceFilter(field_name="groups__name", label=_("Role"), empty_label=_("All roles"),
                                       choices=[(role, access.ROLE_LABELS[role]) for role in access.ROLES])
    is_active = django_filters.BooleanFilter(label=_("Status"), widget=forms.Select(
        choices=[("", _("All")), ("true", pgettext_lazy("user status", "Active")), ("false", _("Deactivated"))]))

    class Meta:
        model = get_user_model()
        fields = ["q", "role", "is_active"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(username__icontains=value) | Q(first_name__icontains=value)
                               | Q(last_name__icontains=value) | Q(email__icontains=value))
