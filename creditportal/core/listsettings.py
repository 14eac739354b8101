"""A user's own settings of a list page: saved filters and the column chooser (``creditportal.models.ListSetting``).

Both are applied from the list's tool menu (``creditportal/_list_tools.html``) and posted to the list's own URL
(``PortalListView.post``): ``list_action`` is ``save_filter`` (``name``; the filter in force, ``query``),
``delete_filter`` (``setting``) or ``columns`` (the ``shown`` column keys). A saved filter is the list's query
string without page, export and sort-free noise; it is saved only when the FilterSet accepts every value.
One query reads a user's settings of a list (``settings_for``); they are the user's alone (another user's
setting id is refused like a missing one).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from django import forms
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import ValidationFailed

MAX_SAVED_FILTERS = 20
MAX_QUERY_LENGTH = 2000
DROPPED_KEYS = ("page", "export", "csrfmiddlewaretoken", "list_action")


@dataclass
class ListSettings:
    filters: list = field(default_factory=list)  # ListSetting rows of kind "filter", by name
    hidden: frozenset = frozenset()  # hidden column keys


def settings_for(user, list_key: str) -> ListSettings:
    from creditportal.models import ListSetting

    result = ListSettings()
    if not getattr(user, "is_authenticated", False):
        return result
    hidden: set[str] = set()
    for row in ListSetting.objects.filter(user=user, list_key=list_key).order_by("name", "pk"):
        if row.kind == ListSetting.Kind.FILTER:
            result.filters.append(row)
        elif row.kind == ListSetting.Kind.COLUMNS:
            hidden.update(key for key in row.value.split(",") if key)
    result.hidden = frozenset(hidden)
    return result


def clean_query(query: str) -> str:
    """The filter part of a query string (no page, export, token), in a stable order."""
    pairs = [(k, v) for k, v in parse_qsl(query or "", keep_blank_values=False) if k not in DROPPED_KEYS]
    return urlencode(pairs)


class SaveFilterForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=80, strip=True)
    query = forms.CharField(required=False, max_length=MAX_QUERY_LENGTH)


@transaction.atomic
def save_filter(*, user, list_key: str, name: str, query: str):
    """Save (or replace, by name) the user's filter of a list; at most ``MAX_SAVED_FILTERS`` per list."""
    from creditportal.models import ListSetting

    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Give the filter a name."), field_errors={"name": [_("This field is required.")]})
    if "\x00" in name or "\x00" in (query or ""):
        raise ValidationFailed(_("The name or filter holds a character that cannot be stored."))
    query = clean_query(query)
    if not query:
        raise ValidationFailed(_("Set a filter before saving it."))
    existing = ListSetting.objects.select_for_update().filter(user=user, list_key=list_key,
                                                               kind=ListSetting.Kind.FILTER)
    if not existing.filter(name=name).exists() and existing.count() >= MAX_SAVED_FILTERS:
        raise ValidationFailed(_("A list keeps at most %(n)s saved filters: delete one first.")
                               % {"n": MAX_SAVED_FILTERS})
    setting, _created = ListSetting.objects.update_or_create(
        user=user, list_key=list_key, kind=ListSetting.Kind.FILTER, name=name, defaults={"value": query})
    return setting


@transaction.atomic
def delete_filter(*, user, list_key: str, setting_id) -> None:
    from creditportal.models import ListSetting

    try:
        setting_id = int(setting_id)
    except (TypeError, ValueError):
        setting_id = 0
    deleted, _rows = ListSetting.objects.filter(pk=setting_id, user=user, list_key=list_key,
                                                kind=ListSetting.Kind.FILTER).delete()
    if not deleted:
        raise ValidationFailed(_("That saved filter does not exist."))


@transaction.atomic
def set_columns(*, user, list_key: str, shown: list[str], columns: list[str], required: tuple[str, ...] = ()):
    """Hide every column of ``columns`` not in ``shown`` (the ``required`` ones always stay)."""
    from creditportal.models import ListSetting

    unknown = [key for key in shown if key not in columns]
    if unknown:
        raise ValidationFailed(_("Unknown column: %(keys)s") % {"keys": ", ".join(unknown)})
    hidden = [key for key in columns if key not in shown and key not in required]
    if len(hidden) >= len(columns):
        raise ValidationFailed(_("Keep at least one column."))
    ListSetting.objects.update_or_create(user=user, list_key=list_key, kind=ListSetting.Kind.COLUMNS, name="",
                                         defaults={"value": ",".join(hidden)})
