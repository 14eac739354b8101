"""Filters shared by the customer pages and the API."""
import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from creditportal.core import access

from accounts.pickers import UserPickerFilter

from .pickers import GroupPickerFilter

from .models import (
    INDUSTRY_SECTION_CHOICES, Contact, Customer, CustomerDocument, CustomerGroup, CustomerSize, CustomerStatus,
    DocumentType, FinancialStatement, NegativeRecord, NegativeRecordKind, PeriodType,
)



class CustomerFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label=_("Name or code"))
    industry_section = django_filters.ChoiceFilter(choices=INDUSTRY_SECTION_CHOICES, label=_("Industry"))
    size = django_filters.ChoiceFilter(choices=CustomerSize.choices, label=_("Size"))
    status = django_filters.ChoiceFilter(choices=CustomerStatus.choices, label=_("Status"))
    relationship_manager = UserPickerFilter(role=access.RELATIONSHIP_MANAGER, active_only=False, label=_("Manager"))
    group = GroupPickerFilter(label=_("Group"))
    ordering = django_filters.OrderingFilter(
        fields=(("name", "name"), ("credit_code", "credit_code"), ("industry_section", "industry"),
                ("size", "size"), ("status", "status"), ("relationship_manager__username", "manager"),
                ("created_at", "created"), ("latest_period_end", "latest_statement")),
        field_labels={"name": _("Name"), "credit_code": _("Code"), "industry_section": _("Industry"),
                      "size": _("Size"), "status": _("Status"), "relationship_manager__username": _("Manager"),
                      "created_at": pgettext_lazy("creation time", "Created"), "latest_period_end": _("Latest statement")},
        label=_("Sort by"),
    )

    class Meta:
        model = Customer
        fields = ["search", "industry_section", "size", "status", "relationship_manager", "group"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(name_en__icontains=value)
                               | Q(credit_code__icontains=value) | Q(registration_number__icontains=value))


class CustomerGroupFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Name"))

    class Meta:
        model = CustomerGroup
        fields = ["search"]


class FinancialStatementFilterSet(django_filters.FilterSet):
    customer = django_filters.NumberFilter(field_name="customer_id", label=_("Customer"))
    period_type = django_filters.ChoiceFilter(choices=PeriodType.choices, label=_("Period type"))
    consolidated = django_filters.BooleanFilter(label=_("Consolidated"))
    period_end_from = django_filters.DateFilter(field_name="period_end", lookup_expr="gte", label=_("Period end from"))
    period_end_to = django_filters.DateFilter(field_name="period_end", lookup_expr="lte", label=_("Period end to"))

    class Meta:
        model = FinancialStatement
        fields = ["customer", "period_type", "consolidated", "period_end_from", "period_end_to"]


class CustomerDocumentFilterSet(django_filters.FilterSet):
    customer = django_filters.NumberFilter(field_name="customer_id", label=_("Customer"))
    doc_type = django_filters.ChoiceFilter(choices=DocumentType.choices, label=_("Document type"))
    expired_on = django_filters.DateFilter(field_name="expires_on", lookup_expr="lt",
                                           label=_("Expired before"))

    class Meta:
        model = CustomerDocument
        fields = ["customer", "doc_type", "expired_on"]


class NegativeRecordFilterSet(django_filters.FilterSet):
    customer = django_filters.NumberFilter(field_name="customer_id", label=_("Customer"))
    kind = django_filters.ChoiceFilter(choices=NegativeRecordKind.choices, label=_("Kind"))
    since = django_filters.DateFilter(field_name="occurred_on", lookup_expr="gte", label=_("Since"))

    class Meta:
        model = NegativeRecord
        fields = ["customer", "kind", "since"]


class ContactFilterSet(django_filters.FilterSet):
    customer = django_filters.NumberFilter(field_name="customer_id", label=_("Customer"))

    class Meta:
        model = Contact
        fields = ["customer"]
