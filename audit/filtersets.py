import django_filters
from django.utils.translation import gettext_lazy as _

from creditportal.core.forms import DateInput

from .models import AuditEvent


class AuditEventFilterSet(django_filters.FilterSet):
    user = django_filters.CharFilter(field_name="actor_username", lookup_expr="iexact", label=_("user"))
    object_type = django_filters.CharFilter(lookup_expr="iexact", label=_("object type"))
    object_id = django_filters.CharFilter(label=_("Object ID"))
    action = django_filters.ChoiceFilter(choices=AuditEvent.Action.choices, label=_("action"))
    date_from = django_filters.DateFilter(field_name="occurred_at", lookup_expr="date__gte", label=_("from"),
                                       widget=DateInput())
    date_to = django_filters.DateFilter(field_name="occurred_at", lookup_expr="date__lte", label=_("to"),
                                     widget=DateInput())

    class Meta:
        model = AuditEvent
        fields = ["user", "object_type", "object_id", "action", "date_from", "date_to"]
