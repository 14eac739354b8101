"""The customer picker's search URL (``customers:pick``): the customers the user may see, by name, English
name or unified social credit code."""
from django.db.models import Q

from creditportal.core.pickers import PickerSearchView

from .models import Customer


def customer_label(customer) -> str:
    return f"{customer.name} · {customer.credit_code}" if customer.credit_code else customer.name


class CustomerPickerView(PickerSearchView):
    permission_required = "customers.view_customer"
    order_by = ("name", "pk")

    def get_queryset(self):
        return Customer.objects.visible_to(self.request.user).only("id", "name", "credit_code")

    def search(self, queryset, text):
        return queryset.filter(Q(name__icontains=text) | Q(name_en__icontains=text) | Q(credit_code__istartswith=text))

    def label(self, obj):
        return customer_label(obj)


def _visible_customers(request):
    """The customers the requesting user may see (none without a request: nothing to scope by)."""
    if request is None or not getattr(request, "user", None):
        return Customer.objects.none()
    return Customer.objects.visible_to(request.user)


def CustomerPickerFilter(**kwargs):  # noqa: N802 - a filter, named like one
    """A customer filter of any list (page and API): a search-as-you-type picker of the user's customers; an
    id the user may not see is refused like a missing one."""
    from django.utils.translation import gettext_lazy as _

    from creditportal.core.pickers import PickerFilter

    kwargs.setdefault("label", _("Customer"))
    return PickerFilter(queryset=_visible_customers, url_name="customers:pick", label_from_instance=customer_label,
                        **kwargs)


class GroupPickerView(PickerSearchView):
    """``customers:pick_group``: the groups of related companies the user may see, by name (``?without_limit=1``:
    only those without a group credit limit yet — the new group limit's choice)."""

    permission_required = "customers.view_customergroup"
    order_by = ("name", "pk")

    def get_queryset(self):
        from .models import CustomerGroup

        groups = CustomerGroup.objects.visible_to(self.request.user).only("id", "name")
        if self.request.GET.get("without_limit") == "1":
            groups = groups.filter(credit_limit__isnull=True)
        return groups

    def search(self, queryset, text):
        return queryset.filter(name__icontains=text)


def _visible_groups(request):
    from .models import CustomerGroup

    if request is None or not getattr(request, "user", None):
        return CustomerGroup.objects.none()
    return CustomerGroup.objects.visible_to(request.user)


def GroupPickerFilter(**kwargs):  # noqa: N802 - a filter, named like one
    """A group filter of any list (page and API): a search-as-you-type picker of the groups the user may see (a
    department has thousands: never one ``<select>``); a group the user may not see is refused like a missing one."""
    from creditportal.core.pickers import PickerFilter

    return PickerFilter(queryset=_visible_groups, url_name="customers:pick_group", **kwargs)
