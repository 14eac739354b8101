"""Reads of the validation app, set-wise (a fixed number of queries per chunk of customers).

The backtest and the simulations read ratings, credit, collection and monitoring data; they never write
to those apps.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import F, Q

from collection.models import Invoice
from credit.models import Facility
from monitoring.models import AssetClassification
from ratings.models import Rating, RatingModel, RatingModelState, RatingState

from .models import OutcomeImport, Simulation, ValidationRun

ZERO = Decimal("0")
CHUNK = 1000
RATED_STATES = [RatingState.APPROVED, RatingState.SUPERSEDED]
OPEN_FACILITY_STATES = [Facility.Status.ACTIVE, Facility.Status.SUSPENDED]


def chunks(items, size=CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- Lists for pages and API --------------------------------------------------------------------

def runs_for(user):
    return ValidationRun.objects.visible_to(user).select_related("model", "created_by", "outcome_import")


def simulations_for(user):
    return Simulation.objects.visible_to(user).select_related("rating_model", "credit_policy", "created_by")


def imports_for(user):
    return OutcomeImport.objects.visible_to(user).select_related("created_by")


def active_version_of(model: RatingModel) -> RatingModel | None:
    return (RatingModel.objects.filter(code=model.code, state=RatingModelState.ACTIVE)
            .select_related("scale").prefetch_related("factors", "scale__grades").first())


# --- Backtest data -------------------------------------------------------------------------------

def sample_ratings(model: RatingModel, start: dt.date, end: dt.date) -> list[dict]:
    """Approved (current or superseded) ratings of the model's code (any version) approved in
    ``start … end`` (two queries: the stored inputs only for other versions, which are scored again)."""
    rows = list(Rating.objects.filter(model__code=model.code, state__in=RATED_STATES, approved_on__gte=start,
                                      approved_on__lte=end)
                .order_by("approved_on", "id")
                .values("id", "customer_id", "model_id", "approved_on", "score", "grade", "model_grade"))
    others = [r["id"] for r in rows if r["model_id"] != model.pk]
    inputs = {}
    for ids in chunks(others):
        inputs.update(Rating.objects.filter(pk__in=ids).values_list("id", "inputs"))
    for r in rows:
        r["inputs"] = inputs.get(r["id"])
    return rows


def rated_history(customer_ids, *, until: dt.date) -> dict[int, list[tuple[dt.date, str]]]:
    """``{customer_id: [(approved_on, grade), …]}`` of every approved rating up to ``until``, oldest first."""
    result = defaultdict(list)
    for ids in chunks(customer_ids):
        rows = (Rating.objects.filter(customer_id__in=ids, state__in=RATED_STATES, approved_on__lte=until)
                .order_by("customer_id", "approved_on", "id").values_list("customer_id", "approved_on", "grade"))
        for cid, day, grade in rows:
            result[cid].append((day, grade))
    return result


def overdue_invoices(customer_ids, *, days_past_due: int, until: dt.date) -> dict[int, list[tuple]]:
    """``{customer_id: [(due_date, paid_on), …]}`` of invoices that were (or are) more than
    ``days_past_due`` days overdue at some day up to ``until``."""
    result = defaultdict(list)
    last_due = until - dt.timedelta(days=days_past_due + 1)
    for ids in chunks(customer_ids):
        rows = (Invoice.objects.filter(customer_id__in=ids, due_date__lte=last_due)
                .filter(Q(paid_on__isnull=True) | Q(paid_on__gt=F("due_date") + dt.timedelta(days=days_past_due)))
                .values_list("customer_id", "due_date", "paid_on"))
        for cid, due, paid in rows:
            result[cid].append((due, paid))
    return result


def scores_as_of(model_code: str, on_date: dt.date) -> list[dict]:
    """Per customer, the latest approved rating of the model code on ``on_date``: ``score`` and factor points."""
    rows = (Rating.objects.filter(model__code=model_code, state__in=RATED_STATES, approved_on__lte=on_date)
            .filter(Q(superseded_at__isnull=True) | Q(superseded_at__date__gt=on_date))
            .order_by("customer_id", "-approved_on", "-id").values("customer_id", "score", "result"))
    latest = {}
    for row in rows:
        latest.setdefault(row["customer_id"], row)
    return list(latest.values())


# --- Portfolio data for simulations ----------------------------------------------------------------

def open_exposure(customer_ids) -> dict[int, list[tuple[Decimal, str]]]:
    """Outstanding open invoices per customer and currency (one query; collection's one definition)."""
    from collection.selectors import open_amounts_by_customer

    result = defaultdict(list)
    for cid, amounts in open_amounts_by_customer(customer_ids).items():
        result[cid] = [(total or ZERO, currency) for total, currency in amounts]
    return result


def manual_tiers(customer_ids) -> dict[int, str]:
    """``{customer_id: manual tier}`` of each customer's latest asset classification when it was set by hand
    (one query): what the one classification rule needs besides days past due and the grade."""
    latest = {}
    rows = (AssetClassification.objects.filter(customer_id__in=list(customer_ids))
            .order_by("customer_id", "-period").values_list("customer_id", "tier", "manual"))
    for cid, tier, manual in rows:
        latest.setdefault(cid, tier if manual else None)
    return {cid: tier for cid, tier in latest.items() if tier}