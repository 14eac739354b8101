"""Metrics of outside credit information (creditinfo): the changes an import found against the information in
force before it (``creditinfo.rules.diff``), counted per customer within the rule's window (detected on).

creditinfo publishes ``creditinfo.import_applied`` after an import; monitoring evaluates the customer's rules
again (``apps.on_customer_event``), and a rule on one of these metrics (``> 0``) raises its alert.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Max

from .models import Metric

ZERO = Decimal("0")

# metric → the creditinfo change kind it counts
CHANGE_OF_METRIC = {
    Metric.OUTSIDE_NEW_DISHONEST: "new_dishonest",
    Metric.OUTSIDE_NEW_BANKRUPTCY: "new_bankruptcy",
    Metric.OUTSIDE_STATUS: "registration_status",
    Metric.OUTSIDE_CONTROLLER_CHANGED: "controller_changed",
    Metric.OUTSIDE_NEW_EQUITY_PLEDGE: "new_equity_pledge",
    Metric.OUTSIDE_NEW_CHATTEL_MORTGAGE: "new_chattel_mortgage",
    Metric.OUTSIDE_NEW_ENFORCEMENT: "new_enforcement",
    Metric.OUTSIDE_NEW_PENALTY: "new_penalty",
    Metric.OUTSIDE_TAX_DOWNGRADED: "tax_downgraded",
    Metric.OUTSIDE_CREDIT_OVERDUE_UP: "credit_overdue_up",
}


def _changes(kind):
    def metric(ctx, rule):
        from creditinfo.models import OutsideChange

        since = ctx.on_date - dt.timedelta(days=max(rule.window_days, 1) - 1)
        rows = (OutsideChange.objects.filter(customer_id__in=ctx.ids, kind=kind, detected_on__gte=since,
                                             detected_on__lte=ctx.on_date)
                .values("customer_id").annotate(n=Count("id"), latest=Max("outside_import_id")))
        found = {r["customer_id"]: r for r in rows}
        return {cid: (Decimal(found[cid]["n"]), {"import_id": found[cid]["latest"], "change": kind})
                if cid in found else (ZERO, {}) for cid in ctx.ids}

    metric.__name__ = f"outside_{kind}"
    return metric


METRICS = {metric: _changes(kind) for metric, kind in CHANGE_OF_METRIC.items()}
