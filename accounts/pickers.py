"""The user picker's search URL (``accounts:pick``): active users by name or login, labelled by name;
``?role=<group>`` narrows it to one role (the collector filter of the cases list, say).

``UserPickerFilter(role=...)`` is the filter every list uses for a person (relationship manager, collector,
analyst …): a picker of the active users (of that role), never an id typed by hand."""
from django.contrib.auth import get_user_model
from django.db.models import Q

from creditportal.core import access
from creditportal.core.formatting import person
from creditportal.core.pickers import PickerFilter, PickerSearchView


def person_label(user) -> str:
    """A person as lists show them (``creditportal.core.formatting.person``)."""
    return person(user)


def _roles():
    return set(access.ROLE_PERMISSIONS)


def users_of(role: str | None = None):
    users = get_user_model().objects.all()
    if role:
        users = users.filter(groups__name=role)
    return users


def UserPickerFilter(*, role: str | None = None, active_only: bool = True, **kwargs):  # noqa: N802 - a filter
    """A person filter: the users (of ``role``) as a search-as-you-type picker labelled by name."""
    queryset = users_of(role)
    if active_only:
        queryset = queryset.filter(is_active=True)
    return PickerFilter(queryset=queryset.order_by("last_name", "first_name", "username"),
                        url_name="accounts:pick", params={"role": role} if role else None,
                        label_from_instance=person_label, **kwargs)


class UserPickerView(PickerSearchView):
    permission_required = {"auth.view_user", "customers.view_customer"}  # any of them: staff who filter by person
    order_by = ("last_name", "first_name", "username")

    def get_queryset(self):
        role = self.request.GET.get("role", "")
        users = users_of(role if role in _roles() else None)
        return users.filter(is_active=True).only("id", "username", "first_name", "last_name")

    def search(self, queryset, text):
        return queryset.filter(Q(username__icontains=text) | Q(first_name__icontains=text)
                               | Q(last_name__icontains=text))

    def label(self, obj):
        return person_label(obj)
