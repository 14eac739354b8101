"""This app's own tabs of the customer page (registered in ``CustomersConfig.ready``)."""
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from creditportal.core import clock

from . import rules as ratio_math
from . import selectors
from .labels import RATIO_GROUP_LABELS, RATIO_LABELS, line_item_label
from .models import BALANCE_SHEET_ITEMS, CASH_FLOW_ITEMS, INCOME_ITEMS, Contact, NegativeRecord
from .tabs import register_tab

TEN_THOUSAND = Decimal(10000)


def profile_context(customer, user):
    return {}


def _trend(current, previous):
    if current is None or previous is None:
        return None
    if previous == 0:
        return "up" if current > 0 else ("down" if current < 0 else "flat")
    change = (current - previous) / abs(previous)
    if abs(change) < Decimal("0.005"):
        return "flat"
    return {"direction": "up" if change > 0 else "down", "change": change}


def financials_context(customer, user):
    """Line items of up to six periods in 万元 (converted from each statement's own unit), with trends."""
    table = selectors.statements_table(customer, limit=6)
    statements = [s for s, _analysis in table]
    sections = []
    for label, names in ((_("Balance sheet"), BALANCE_SHEET_ITEMS), (_("Income statement"), INCOME_ITEMS),
                         (_("Cash-flow statement"), CASH_FLOW_ITEMS)):
        rows = []
        for name in names:
            cells = []
            for index, statement in enumerate(statements):
                value = statement.values_in_yuan()[name]
                shown = (value / TEN_THOUSAND).quantize(Decimal("0.01")) if value is not None else None
                previous = None
                for older in statements[index + 1:]:
                    if (older.period_type == statement.period_type and older.consolidated == statement.consolidated
                            and ratio_math.is_previous_period(statement.period_end, older.period_end)):
                        previous = older.values_in_yuan()[name]
                        break
                cells.append({"value": shown, "trend": _trend(value, previous)})
            rows.append({"label": line_item_label(name), "cells": cells})
        sections.append({"label": label, "rows": rows})
    stale_before = selectors.months_before(clock.today(), selectors.STALE_AFTER_MONTHS)
    stale = not statements or max(s.period_end for s in statements) < stale_before
    return {"statements": statements, "sections": sections, "stale": stale,
            "stale_months": selectors.STALE_AFTER_MONTHS}


def ratios_context(customer, user):
    table = selectors.statements_table(customer, limit=6)
    groups = []
    for group_key, keys in ratio_math.RATIO_GROUPS:
        rows = []
        for key in keys:
            cells = []
            for _statement, analysis in table:
                value = analysis["ratios"][key]
                kind = ratio_math.RATIO_KINDS[key]
                cells.append({"value": value, "kind": kind,
                              "percent": (value * 100).quantize(Decimal("0.01")) if value is not None and kind == "percent" else None})
            rows.append({"key": key, "label": RATIO_LABELS[key], "cells": cells})
        groups.append({"label": RATIO_GROUP_LABELS[group_key], "rows": rows})
    return {"statements": [s for s, _a in table], "analyses": [a for _s, a in table], "sections": groups}


def documents_context(customer, user):
    today = clock.today()
    documents = list(selectors.documents_of(customer))
    for document in documents:
        document.expired = document.is_expired(today)
    return {"documents": documents, "today": today, "expired_count": sum(d.expired for d in documents)}


def contacts_context(customer, user):
    return {"contacts": list(Contact.objects.filter(customer=customer))}


def negative_records_context(customer, user):
    return {"records": list(NegativeRecord.objects.filter(customer=customer).select_related("recorded_by"))}


# Keys of a snapshot that say nothing to a reader of the history (ids, bookkeeping, the stored file's name).
HISTORY_HIDDEN_KEYS = {"id", "customer", "created_at", "updated_at", "uploaded_at", "sha256", "created_by",
                       "uploaded_by", "recorded_by"}
# Keys that are not fields of the object (what an import recorded).
HISTORY_KEY_LABELS = {"file": _("File"), "statements": _("Financial statements")}
HISTORY_VERBS = {"statements_import": _("statements imported"), "reassign": _("reassigned to another manager")}


def _history_value(field, value):
    from django.utils.formats import localize

    if value is None or value == "":
        return "—"
    if field is not None and field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return localize(value) if not isinstance(value, str) else value


def history_rows(events):
    """Audit events as a person reads them: the object's kind and, per changed field, its label with the value
    before and after (choices by their label), instead of the stored snapshots' keys and codes."""
    from django.apps import apps

    for event in events:
        try:
            model = apps.get_model(event.object_type)
        except (LookupError, ValueError):
            model = None
        event.type_label = model._meta.verbose_name if model else event.object_type
        event.verb_label = HISTORY_VERBS.get(event.verb, event.verb)
        before, after = event.before or {}, event.after or {}
        if not isinstance(before, dict) or not isinstance(after, dict):
            event.changes = []
            continue
        keys = list(after) + [k for k in before if k not in after]
        hidden = HISTORY_HIDDEN_KEYS | ({"file"} if event.object_type == "customers.customerdocument" else set())
        changes = []
        for key in keys:
            if key in hidden or (key in before and key in after and before[key] == after[key]):
                continue
            try:
                field = model._meta.get_field(key) if model else None
            except Exception:
                field = None
            if field is not None and not getattr(field, "concrete", False):
                field = None  # a reverse relation (an import lists the statements it created)
            label = field.verbose_name if field is not None else HISTORY_KEY_LABELS.get(key, key)
            if (key not in before and after.get(key) in (None, "")) or (key not in after and before.get(key) in (None, "")):
                continue  # an empty value of a new or deleted object
            changes.append({"label": label,
                            "before": _history_value(field, before[key]) if key in before else None,
                            "after": _history_value(field, after[key]) if key in after else None})
        event.changes = changes
    return events


def history_context(customer, user):
    from django.db.models import Q

    from audit.models import AuditEvent

    # The customer's own events and those of its statements, contacts, documents and negative records, deleted
    # ones included (their snapshot names the customer).
    children = {
        "customers.financialstatement": customer.statements, "customers.contact": customer.contacts,
        "customers.customerdocument": customer.documents, "customers.negativerecord": customer.negative_records,
    }
    condition = Q(object_type="customers.customer", object_id=str(customer.pk))
    for object_type, related in children.items():
        ids = [str(pk) for pk in related.values_list("pk", flat=True)]
        condition |= Q(object_type=object_type) & (Q(object_id__in=ids) | Q(after__customer=customer.pk)
                                                   | Q(before__customer=customer.pk))
    events = list(AuditEvent.objects.filter(condition).order_by("-occurred_at", "-id")[:200])
    return {"events": history_rows(events)}


def register_builtin_tabs():
    register_tab("profile", _("Profile"), "customers/tabs/profile.html", profile_context, order=10)
    register_tab("financials", _("Financials"), "customers/tabs/financials.html", financials_context,
                 permission="customers.view_financialstatement", order=20)
    register_tab("ratios", _("Ratios"), "customers/tabs/ratios.html", ratios_context,
                 permission="customers.view_financialstatement", order=30)
    register_tab("documents", _("Documents"), "customers/tabs/documents.html", documents_context,
                 permission="customers.view_customerdocument", order=40)
    register_tab("contacts", _("Contacts"), "customers/tabs/contacts.html", contacts_context,
                 permission="customers.view_contact", order=50)
    register_tab("negative", _("Negative records"), "customers/tabs/negative.html", negative_records_context,
                 permission="customers.view_negativerecord", order=60)
    register_tab("history", pgettext_lazy("customer tab", "History"), "customers/tabs/history.html", history_context, order=900)
