"""How the audit trail page shows an event's object type and its before/after snapshots."""
import json

from django import template
from django.apps import apps

register = template.Library()


@register.filter
def object_type_label(object_type):
    """``collection.invoice`` → the model's name in the active language ("发票"); the code itself when it names no
    model (e.g. ``reports.portfolio``)."""
    try:
        app_label, model_name = str(object_type).split(".", 1)
        return apps.get_model(app_label, model_name)._meta.verbose_name
    except (ValueError, LookupError):
        return object_type


@register.filter
def verb_label(verb):
    """The audit verb in the active language (see ``audit.verbs``)."""
    from audit.verbs import verb_label as label

    return label(verb)


@register.filter
def as_json(value):
    """A snapshot as JSON (as in the CSV export: sorted keys, null/true/false), not as a Python dict."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
