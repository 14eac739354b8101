"""An audit event's change as people read it: each field as "label: before → after", in words.

Snapshots store codes and raw values (``{"status": "pending", "limit": "500000.00", "customer_id": 7}``); the
trail shows the field's verbose name in the reader's language ("状态"), a choice's label ("待审批"), yes/no,
"—" for nothing, and for a change only the fields that changed. The model is found from the event's
``object_type`` (``app_label.model``); a key that names no field of it is shown as the key in words.

Automatic events (``is_noise``): what the system user does on its own rounds — alert evaluations and the
alerts they raise, automatic re-checks of ratings, inputs read again — are hidden from the trail by default
(``noise_q``), with a switch to show them.
"""
from __future__ import annotations

import json

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.utils.translation import gettext as _

NOISE_VERBS = ("alerts_evaluate", "alert_raised", "refresh_inputs")
NOISE_OBJECT_TYPES = ("ratings.rating", "ratings.ratinginput", "monitoring.alert")
NOISE_ACTIONS = ("create", "update", "run")
EMPTY = "—"


def noise_q() -> Q:
    """The system user's routine events (see the module's docstring): the noise verbs, and creations and
    updates without a verb of the objects its rounds touch (a rating re-checked, an alert seen again)."""
    routine = Q(object_type__in=NOISE_OBJECT_TYPES, action__in=NOISE_ACTIONS, verb="")
    return Q(actor_username=settings.SYSTEM_USERNAME) & (Q(verb__in=NOISE_VERBS) | routine)


def _model(object_type: str):
    try:
        app_label, model_name = str(object_type).split(".", 1)
        return apps.get_model(app_label, model_name)
    except (ValueError, LookupError):
        return None


def _field(model, key: str):
    if model is None:
        return None
    for name in (key, key[:-3] if key.endswith("_id") else None):
        if not name:
            continue
        try:
            return model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
    return None


def _key_words(key: str) -> str:
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _label(field, key: str) -> str:
    if field is not None and getattr(field, "verbose_name", None):
        label = str(field.verbose_name)
        return label[:1].upper() + label[1:]
    return _key_words(key)


def value_words(field, value) -> str:
    """A snapshot value in words: a choice's label, yes/no, "—", an object as "#id", lists and dicts as text."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    choices = getattr(field, "flatchoices", None) if field is not None else None
    if choices:
        labels = {str(k): v for k, v in choices}
        if str(value) in labels:
            return str(labels[str(value)])
    if field is not None and getattr(field, "is_relation", False) and isinstance(value, (int, str)):
        return f"#{value}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if isinstance(value, str):
        return _(value)  # a shipped text (a model's name, a grade's meaning) in the reader's language; else as typed
    return str(value)


def change_rows(object_type: str, before, after) -> list[dict]:
    """``[{"label", "before", "after", "kind"}]``: ``kind`` is ``changed`` (both sides, different), ``set`` (only
    after: a creation) or ``removed`` (only before: a deletion). Unchanged fields of an update are left out."""
    model = _model(object_type)
    before = before if isinstance(before, dict) else ({} if before is None else {"value": before})
    after = after if isinstance(after, dict) else ({} if after is None else {"value": after})
    rows = []
    keys = list(before) + [k for k in after if k not in before]
    # a key that names no field of the model (a batch's counts, a run's figures) is no field to put in words:
    # those are shown together as the stored record, as recorded
    other = [k for k in keys if _field(model, k) is None]
    keys = [k for k in keys if k not in other]
    for key in keys:
        field = _field(model, key)
        old, new = before.get(key), after.get(key)
        if key in before and key in after:
            if old == new:
                continue
            kind = "changed"
        elif key in after:
            kind = "set"
        else:
            kind = "removed"
        rows.append({"label": _label(field, key), "before": value_words(field, old) if key in before else "",
                     "after": value_words(field, new) if key in after else "", "kind": kind})
    if other:
        record = lambda side: json.dumps({k: side[k] for k in other if k in side}, ensure_ascii=False,  # noqa: E731
                                         sort_keys=True, default=str) if any(k in side for k in other) else ""
        old_record, new_record = record(before), record(after)
        if old_record != new_record:
            rows.append({"label": _("Recorded data"), "before": old_record, "after": new_record,
                         "kind": "changed" if old_record and new_record else ("set" if new_record else "removed")})
    return rows


def object_type_choices() -> list[tuple[str, str]]:
    """Every model of the portal's apps as ``(app_label.model, name in the reader's language)``, by name."""
    project = {"accounts", "audit", "proposals", "customers", "ratings", "credit", "collection", "monitoring",
               "provisions", "reports", "validation", "creditportal", "auth"}
    choices = [(m._meta.label_lower, str(m._meta.verbose_name)) for m in apps.get_models()
               if m._meta.app_label in project]
    return sorted(choices, key=lambda c: (c[1].lower(), c[0]))
