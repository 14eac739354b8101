"""Alerts: the list (filtered and sorted), the customer's tab, work queues and the detail for people."""
from __future__ import annotations

import datetime as dt

from django.db.models import Case, Q, Value, When
from django.utils.translation import gettext_lazy

from creditportal.core import clock
from creditportal.core.filters import clean_params

from .. import rules
from ..models import ACTIVE_ALERT_STATES, Alert, AssetClassification, ClassificationStatus, Severity, WatchlistEntry


ALERT_SORTS = {
    "raised": "raised_on", "-raised": "-raised_on", "severity": "severity_rank", "-severity": "-severity_rank",
    "customer": "customer__name", "-customer": "-customer__name", "rule": "rule__name", "-rule": "-rule__name",
    "status": "status", "-status": "-status",
}
SEVERITY_ORDER = Case(*[When(severity=s, then=Value(i)) for i, s in enumerate(Severity.values)], default=Value(0))


def alert_list(user, params=None):
    """Alerts the user may see, filtered (status, severity, rule, customer, mine, q) and sorted; only the valid
    parameters count (``AlertFilterSet``: the API refuses the others, a page names them)."""
    from ..filtersets import AlertFilterSet

    every_status = bool(params) and params.get("status") == ""  # the filter's "any status" choice
    params, _errors = clean_params(AlertFilterSet, params)
    queryset = (Alert.objects.visible_to(user).select_related("rule", "customer", "owner")
                .annotate(severity_rank=SEVERITY_ORDER))
    status = "all" if every_status else params.get("status")
    if status == "active" or status is None:
        queryset = queryset.filter(status__in=ACTIVE_ALERT_STATES)
    elif status and status != "all":
        queryset = queryset.filter(status=status)
    if params.get("severity"):
        queryset = queryset.filter(severity=params["severity"])
    if params.get("rule"):
        queryset = queryset.filter(rule__code=params["rule"])
    if params.get("customer"):
        queryset = queryset.filter(customer_id=params["customer"])
    if params.get("mine") in ("1", "true", True):
        queryset = queryset.filter(Q(owner=user) | Q(owner__isnull=True, customer__relationship_manager=user))
    if params.get("age"):
        bounds = {key: (low, high) for key, low, high in rules.ALERT_AGE_BUCKETS}.get(params["age"])
        if bounds:
            today = clock.today()
            queryset = queryset.filter(raised_on__lte=today - dt.timedelta(days=bounds[0]))
            if bounds[1] is not None:
                queryset = queryset.filter(raised_on__gte=today - dt.timedelta(days=bounds[1]))
    if params.get("q"):
        queryset = queryset.filter(Q(customer__name__icontains=params["q"]) | Q(rule__name__icontains=params["q"]))
    order = ALERT_SORTS.get(params.get("sort") or "", None)
    return queryset.order_by(*([order, "-id"] if order else ["-severity_rank", "-raised_on", "-id"]))


def customer_alerts_tab(customer, user) -> dict:
    """Context of the customer page's "Alerts" tab (the customer is already checked as visible)."""
    alerts = list(Alert.objects.visible_to(user).filter(customer=customer).select_related("rule")
                  .order_by("-raised_on", "-id")[:50])
    watch = WatchlistEntry.objects.visible_to(user).filter(customer=customer).current(clock.today()).first()
    classification = (AssetClassification.objects.visible_to(user).filter(customer=customer)
                      .order_by("-period").first())
    return {"alerts": alerts, "watch": watch, "classification": classification,
            "active_count": sum(1 for a in alerts if a.is_active)}


def my_open_alerts(user, limit=10):
    queryset = alert_list(user, {"status": "open", "mine": "1"})
    return queryset[:limit], queryset.count()


def reclassifications_awaiting(user):
    return (AssetClassification.objects.visible_to(user).filter(status=ClassificationStatus.PENDING)
            .exclude(requested_by=user).select_related("customer", "requested_by").order_by("requested_at"))


# Labels of the keys a metric stores in an alert's ``detail`` (``monitoring.metrics``), in display order.
ALERT_DETAIL_LABELS = {
    "oldest_due_date": gettext_lazy("due date of the oldest overdue invoice"),
    "days_past_due": gettext_lazy("days past due"),
    "used": gettext_lazy("utilisation"), "limit": gettext_lazy("limit"),
    "from": gettext_lazy("grade before"), "to": gettext_lazy("grade after"),
    "rating_id": gettext_lazy("rating no."), "state": gettext_lazy("rating state"),
    "current_ratio": gettext_lazy("current ratio"), "previous_current_ratio": gettext_lazy("current ratio a year before"),
    "net_profit": gettext_lazy("net profit"), "previous_net_profit": gettext_lazy("net profit a year before"),
    "period_end": gettext_lazy("statement period end"), "statement_id": gettext_lazy("statement no."),
    "volume": gettext_lazy("order volume in the window"), "trailing_average": gettext_lazy("trailing average"),
    "z_score": gettext_lazy("z-score"),
    "latest": gettext_lazy("latest"),
    "review_due": gettext_lazy("review due"),
    "facility_id": gettext_lazy("facility no."), "expiry_date": gettext_lazy("expiry date"),
    "coverage": gettext_lazy("coverage"), "required": gettext_lazy("required coverage"),
    "collateral_id": gettext_lazy("collateral no."), "revaluation_due": gettext_lazy("revaluation due"),
    "doc_types": gettext_lazy("document types"),
}


def alert_detail_rows(alert) -> list[tuple[str, object]]:
    """The alert's ``detail`` as (label, value) rows for people: known keys by their label in a fixed order,
    any other key after them as it is; lists joined."""
    detail = alert.detail or {}
    order = list(ALERT_DETAIL_LABELS)
    keys = sorted(detail, key=lambda k: (order.index(k) if k in order else len(order), k))
    rows = []
    for key in keys:
        value = detail[key]
        if isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value)
        rows.append((str(ALERT_DETAIL_LABELS.get(key, key)), value))
    return rows
