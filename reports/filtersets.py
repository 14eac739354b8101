"""The reports pages' query parameters, validated before they reach a query (``creditportal.core.filters``)."""
import django_filters

from .models import ReportKind, StoredReport


class StoredReportFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ReportKind.choices)

    class Meta:
        model = StoredReport
        fields = []
