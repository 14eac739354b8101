"""This app's own tabs of the customer page (registered in ``CustomersConfig.ready``)."""
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from audit.selectors import events_for
from creditportal.core import clock

from . import ratios as ratio_math
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
    return {"statements": [s for s, _a in table], "analyses": [a for _s, a in table], "ratio_groups": groups}


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


def history_context(customer, user):
    from audit.models import AuditEvent

    object_ids = {
        "customers.customer": [customer.pk],
        "customers.financialstatement": list(customer.statements.values_list("pk", flat=True)),
        "customers.contact": list(customer.contacts.values_list("pk", flat=True)),
        "customers.customerdocument": list(customer.documents.values_list("pk", flat=True)),
        "customers.negativerecord": list(customer.negative_records.values_list("pk", flat=True)),
    }
    from django.db.models import Q

    condition = Q()
    for object_type, ids in object_ids.items():
        if ids:
            condition |= Q(object_type=object_type, object_id__in=[str(i) for i in ids])
    own = events_for(customer)
    events = AuditEvent.objects.filter(condition)[:200] if condition else own[:200]
    return {"events": list(events)}


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
    register_tab("history", _("History"), "customers/tabs/history.html", history_context, order=900)
