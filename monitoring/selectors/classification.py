"""Asset classification and provision runs: the lists and the month-on-month comparison."""
from __future__ import annotations

from creditportal.core.filters import clean_params

from .. import rules
from ..models import AssetClassification, ProvisionLine, ProvisionRun, Tier
from ._common import ZERO


def classification_list(user, params=None):
    from ..filtersets import ClassificationFilterSet

    params, _errors = clean_params(ClassificationFilterSet, params)
    queryset = AssetClassification.objects.visible_to(user).select_related("customer", "requested_by",
                                                                         "approved_by")
    period = params.get("period")
    if period:
        queryset = queryset.filter(period=period)
    elif params.get("all") != "1":
        latest = AssetClassification.objects.order_by("-period").values_list("period", flat=True).first()
        if latest:
            queryset = queryset.filter(period=latest)
    if params.get("tier"):
        queryset = queryset.filter(tier=params["tier"])
    if params.get("status"):
        queryset = queryset.filter(status=params["status"])
    if params.get("manual") in ("1", "true"):
        queryset = queryset.filter(manual=True)
    if params.get("customer"):
        queryset = queryset.filter(customer_id=params["customer"])
    return queryset.order_by("-period", "-exposure", "customer__name", "pk")


def provision_comparison(run: ProvisionRun) -> dict:
    """The run beside the previous month's: movement by tier and tier changes of customers (2 queries)."""
    previous = ProvisionRun.objects.filter(period__lt=run.period).order_by("-period").first()
    rows = rules.movement_by_tier(run.totals or {}, previous.totals if previous else None)
    for row in rows:
        row["label"] = str(Tier(row["tier"]).label)
    totals = {
        "exposure": run.total_exposure, "provision": run.total_provision,
        "previous_exposure": previous.total_exposure if previous else ZERO,
        "previous_provision": previous.total_provision if previous else ZERO,
    }
    totals["change_exposure"] = totals["exposure"] - totals["previous_exposure"]
    totals["change_provision"] = totals["provision"] - totals["previous_provision"]
    return {"previous": previous, "rows": rows, "totals": totals}


def provision_lines(user, run, params=None):
    from ..filtersets import ProvisionLineFilterSet

    params, _errors = clean_params(ProvisionLineFilterSet, params)
    queryset = ProvisionLine.objects.visible_to(user).filter(run=run).select_related("customer")
    if params.get("tier"):
        queryset = queryset.filter(tier=params["tier"])
    return queryset.order_by("-amount", "customer__name", "pk")
