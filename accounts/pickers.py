"""The user picker's search URL (``accounts:pick``): active users by name or login, labelled by name."""
from django.contrib.auth import get_user_model
from django.db.models import Q

from creditportal.core.formatting import person
from creditportal.core.pickers import PickerSearchView


def person_label(user) -> str:
    """A person as lists show them (``creditportal.core.formatting.person``)."""
    return person(user)


class UserPickerView(PickerSearchView):
    permission_required = {"auth.view_user", "customers.view_customer"}  # any of them: staff who filter by person
    order_by = ("last_name", "first_name", "username")

    def get_queryset(self):
        return get_user_model().objects.filter(is_active=True).only("id", "username", "first_name", "last_name")

    def search(self, queryset, text):
        return queryset.filter(Q(username__icontains=text) | Q(first_name__icontains=text)
                               | Q(last_name__icontains=text))

    def label(self, obj):
        return person_label(obj)
