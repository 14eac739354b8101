"""The facility picker's search URL (``credit:pick_facility``): the active or suspended facilities the user may see,
by customer name, English name, unified social credit code or ``#id``; ``?customer=<id>`` narrows to one customer.
Used by the new-application form, which at a department's size cannot list every facility of the book."""
from django.db.models import Q

from creditportal.core.pickers import PickerSearchView

from .forms import facility_choice_label, facility_choices
from .models import Facility


class FacilityPickerView(PickerSearchView):
    permission_required = "credit.view_facility"
    order_by = ("customer__name", "pk")

    def get_queryset(self):
        facilities = facility_choices(Facility.objects.visible_to(self.request.user)).select_related("customer")
        customer = self.request.GET.get("customer", "")
        if customer.isdigit():
            facilities = facilities.filter(customer_id=int(customer))
        return facilities

    def search(self, queryset, text):
        number = text.lstrip("#")
        by_id = Q(pk=int(number)) if number.isdigit() and len(number) < 19 else Q(pk__in=[])
        return queryset.filter(by_id | Q(customer__name__icontains=text) | Q(customer__name_en__icontains=text)
                               | Q(customer__credit_code__istartswith=text))

    def label(self, obj):
        return facility_choice_label(obj)
