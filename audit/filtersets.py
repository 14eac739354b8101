import re

import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from creditportal.core.filters import PlausibleDateFilter
from creditportal.core.forms import DateInput
from creditportal.core.pickers import PickerFilter

from .changes import object_type_choices
from .models import AuditEvent

OBJECT_TYPE = re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*")
SYSTEM_CHOICES = [("hide", _("Hide automatic checks")), ("show", _("Show automatic checks"))]


def _people(request):
    return get_user_model().objects.order_by("last_name", "first_name", "username")


def _person(user) -> str:
    from creditportal.core.formatting import person

    return person(user)


class AuditEventFilterSet(django_filters.FilterSet):
    """The trail's filters: the person who acted (a picker of users, by id), the object's type (a select of the
    portal's models; a type that names no model, e.g. ``reports.portfolio``, is accepted as typed in a link), the
    object's id, the action, a date range, and whether the system user's routine events are shown."""

    user = PickerFilter(queryset=_people, url_name="accounts:pick", method="filter_actor",
                        label_from_instance=_person, label=_("user"))
    object_type = django_filters.ChoiceFilter(choices=[], label=_("object type"), empty_label=_("every type"))
    object_id = django_filters.CharFilter(label=_("Object ID"), max_length=64)
    action = django_filters.ChoiceFilter(choices=AuditEvent.Action.choices, label=_("action"))
    date_from = PlausibleDateFilter(field_name="occurred_at", lookup_expr="date__gte", label=_("from"),
                                    widget=DateInput())
    date_to = PlausibleDateFilter(field_name="occurred_at", lookup_expr="date__lte", label=_("to"),
                                  widget=DateInput())
    system = django_filters.ChoiceFilter(choices=SYSTEM_CHOICES, method="filter_system", empty_label=None,
                                         label=_("automatic checks"))

    class Meta:
        model = AuditEvent
        fields = ["user", "object_type", "object_id", "action", "date_from", "date_to", "system"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = object_type_choices()
        typed = (self.data or {}).get("object_type") or ""
        if OBJECT_TYPE.fullmatch(typed) and typed not in {key for key, _label in choices}:
            choices.append((typed, typed))
        self.filters["object_type"].extra["choices"] = choices
        self.filters["object_type"].__dict__.pop("_field", None)

    def filter_actor(self, queryset, name, value: int):
        return queryset.filter(actor_id=value.pk)

    def filter_system(self, queryset, name, value):
        return queryset  # applied by ``filter_queryset``: hidden unless "show"

    def filter_queryset(self, queryset):
        """``system=hide`` leaves the routine out; the API shows every event unless asked (the page hides them
        by default: ``AuditEventListView``)."""
        queryset = super().filter_queryset(queryset)
        if self.form.cleaned_data.get("system") == "hide":
            queryset = hide_noise(queryset, "hide")
        return queryset


def hide_noise(queryset, system: str | None):
    """The system user's routine events left out unless ``system`` is ``"show"``."""
    from .changes import noise_q

    return queryset if system == "show" else queryset.exclude(noise_q())
