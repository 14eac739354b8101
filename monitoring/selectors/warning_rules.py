"""Warning rules and the proposed changes of them, for people."""
from __future__ import annotations

from decimal import Decimal

from django.db.models import Case, Value, When

from ..models import WarningRule, WarningRuleChange


def rules_list(user):
    return WarningRule.objects.visible_to(user).order_by("code")


def rule_changes_list(user):
    """Proposals of warning rules (new and changed), the open ones first."""
    return (WarningRuleChange.objects.visible_to(user).select_related("proposed_by", "decided_by", "rule")
            .order_by(Case(When(state="proposed", then=Value(0)), default=Value(1)), "-proposed_at", "-pk"))


def _rule_field_display(field, value) -> str:
    from django.template.defaultfilters import floatformat
    from django.utils.translation import gettext

    if value is None or value == "":
        return "—"
    if field == "enabled":
        return gettext("yes") if value else gettext("no")
    if field == "threshold":
        return floatformat(Decimal(str(value)), "-4")
    model_field = WarningRule._meta.get_field(field)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return str(value)


def rule_change_rows(change) -> list[dict]:
    """What a proposal changes, for people: one row per field (label, before, after, changed). A new rule has
    no 'before'; a change lists the fields it changes."""
    from ..models import RULE_CHANGE_FIELDS

    rows = []
    for field in RULE_CHANGE_FIELDS:
        if field not in change.values:
            continue
        label = str(WarningRule._meta.get_field(field).verbose_name)
        before = _rule_field_display(field, change.previous[field]) if field in change.previous else None
        rows.append({"field": field, "label": label, "before": before,
                     "after": _rule_field_display(field, change.values[field])})
    return rows
