"""Filters shared by the pages and the API."""
import django_filters
from django.utils.translation import gettext_lazy as _

from accounts.pickers import UserPickerFilter
from creditportal.core import access
from creditportal.core.forms import DateInput, PortalForm
from customers.models import INDUSTRY_SECTION_CHOICES
from customers.pickers import CustomerPickerFilter

from .models import CaseState, CollectionCase, DunningAction, Invoice, InvoiceStatus, Payment, WriteOff, WriteOffState

class InvoiceFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("search"))
    status = django_filters.ChoiceFilter(choices=InvoiceStatus.choices, label=_("status"))
    customer = CustomerPickerFilter()
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("overdue"))
    due_from = django_filters.DateFilter(field_name="due_date", lookup_expr="gte", label=_("due from"),
                                         widget=DateInput())
    due_to = django_filters.DateFilter(field_name="due_date", lookup_expr="lte", label=_("due until"),
                                       widget=DateInput())
    currency = django_filters.CharFilter(label=_("currency"))

    class Meta:
        model = Invoice
        fields = ["q", "status", "customer", "overdue", "due_from", "due_to", "currency"]

    def search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(number__icontains=value) | Q(customer__name__icontains=value))

    def filter_overdue(self, queryset, name, value):
        from creditportal.core import clock

        if value:
            return queryset.filter(status=InvoiceStatus.OPEN, due_date__lt=clock.today())
        return queryset


class PaymentFilterSet(django_filters.FilterSet):
    customer = CustomerPickerFilter()
    received_from = django_filters.DateFilter(field_name="received_on", lookup_expr="gte", label=_("from"),
                                              widget=DateInput())
    received_to = django_filters.DateFilter(field_name="received_on", lookup_expr="lte", label=_("to"),
                                            widget=DateInput())

    class Meta:
        model = Payment
        fields = ["customer", "received_from", "received_to"]


class CaseFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=CaseState.choices, label=_("state"))
    assigned_to = UserPickerFilter(role=access.COLLECTOR, label=_("collector"))
    customer = CustomerPickerFilter()

    class Meta:
        model = CollectionCase
        fields = ["state", "assigned_to", "customer"]


class AgingFilterSet(django_filters.FilterSet):
    """The aging's filters (page, files and API), over ``selectors.aging_queryset``: properties of the
    customer, and the collector of its active case."""

    manager = UserPickerFilter(role=access.RELATIONSHIP_MANAGER, field_name="customer__relationship_manager",
                               label=_("relationship manager"))
    collector = UserPickerFilter(role=access.COLLECTOR, method="filter_collector", label=_("collector"))
    industry = django_filters.ChoiceFilter(choices=INDUSTRY_SECTION_CHOICES, field_name="customer__industry_section",
                                           label=_("industry"))

    class Meta:
        model = Invoice
        fields = ["manager", "collector", "industry"]
        form = PortalForm

    # Every filter here is a property of the customer, so it applies alike to the summary's rows (one per
    # customer: ``selectors.aging_summary``). A filter on the invoices themselves reads live: list it nowhere here.
    SUMMARY_FILTERS = frozenset({"manager", "collector", "industry"})

    def filter_collector(self, queryset, name, value):
        from .selectors import with_active_case_of

        return with_active_case_of(queryset, value)

    def summary_of(self, summary):
        """``summary`` (the summary's rows the user may see, or ``None``) filtered as ``qs`` filters the invoices,
        with the form already validated; ``None`` (read live) when a filter cannot be applied to it."""
        if summary is None or set(self.filters) - self.SUMMARY_FILTERS:
            return None
        if not self.is_bound:
            return summary.all()
        self.errors  # noqa: B018 - validated as ``qs`` does
        return self.filter_queryset(summary.all())


def aging_filtered(data, *, user, as_of, table=None):
    """The aging page's and API's reads: (filterset, the invoices it selects, the same customers' summary rows —
    ``None`` when the summary is not valid for ``as_of``: read live)."""
    from . import selectors

    filterset = AgingFilterSet(data or None, queryset=selectors.aging_queryset(user=user, as_of=as_of))
    summary = filterset.summary_of(selectors.aging_summary(user=user, as_of=as_of, table=table))
    return filterset, filterset.qs, summary


class DunningActionFilterSet(django_filters.FilterSet):
    open = django_filters.CharFilter(method="filter_open", label=_("Open only"))  # ``?open=1``

    class Meta:
        model = DunningAction
        fields = ["open"]

    def filter_open(self, queryset, name, value):
        return queryset.open()


class WriteOffFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=WriteOffState.choices, label=_("state"))

    class Meta:
        model = WriteOff
        fields = ["state"]
