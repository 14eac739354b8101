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
