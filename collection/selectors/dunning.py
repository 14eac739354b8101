"""The proposed changes of the dunning configuration, for people."""
from __future__ import annotations


from django.db.models import Case, Value, When


def dunning_changes(user):
    """Proposed changes of the dunning configuration, the open ones first."""
    from django.db.models import Case, Value, When

    from ..models import DunningPolicyChange

    return (DunningPolicyChange.objects.visible_to(user).select_related("proposed_by", "decided_by", "policy", "level")
            .order_by(Case(When(state="proposed", then=Value(0)), default=Value(1)), "-proposed_at", "-pk"))


def _dunning_display(model, field, value) -> str:
    from django.utils.translation import gettext

    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    model_field = model._meta.get_field(field)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return str(value)


def dunning_change_rows(change) -> list[dict]:
    """What a proposal changes, for people: (label, before, after) per field; a new policy or level has no
    'before', a removed level no 'after'."""
    from ..models import DUNNING_LEVEL_FIELDS, DUNNING_POLICY_FIELDS, DunningLevel, DunningPolicy

    model, fields = ((DunningLevel, DUNNING_LEVEL_FIELDS) if change.is_level_change
                     else (DunningPolicy, DUNNING_POLICY_FIELDS))
    rows = []
    for field in fields:
        if field not in change.values and field not in change.previous:
            continue
        rows.append({"field": field, "label": str(model._meta.get_field(field).verbose_name),
                     "before": _dunning_display(model, field, change.previous[field])
                     if field in change.previous else None,
                     "after": _dunning_display(model, field, change.values[field]) if field in change.values else None})
    return rows
