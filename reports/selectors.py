"""Reads shared by the pages, the API and the batch task (a constant number of queries per page)."""
from __future__ import annotations

import datetime as dt

from django.db.models import Q

from .documents.rating import RELATED as RATING_RELATED
from .models import ReportBatch, ReportKind, StoredReport

REPORTABLE_RATING_STATES = ("approved", "superseded")
DECIDED_APPLICATION_STATES = ("approved", "facility_opened", "rejected")


def rating_for_report(rating_id):
    from ratings.models import Rating

    return Rating.objects.select_related(*RATING_RELATED).filter(pk=rating_id).first()


def application_for_memo(application_id):
    from credit.models import CreditApplication

    return (CreditApplication.objects
            .select_related("customer", "customer__relationship_manager", "policy", "created_by", "reviewer",
                            "facility", "rating")
            .filter(pk=application_id).first())


def ratings_approved_between(user, start: dt.date, end: dt.date):
    """Approved (current or since superseded) ratings whose approval date lies in [start, end]."""
    from ratings.models import Rating

    return list(Rating.objects.visible_to(user).select_related(*RATING_RELATED)
                .filter(state__in=REPORTABLE_RATING_STATES, approved_on__gte=start, approved_on__lte=end)
                .order_by("approved_on", "id"))


def applications_decided_between(user, start: dt.date, end: dt.date):
    from credit.models import CreditApplication

    return list(CreditApplication.objects.visible_to(user).select_related("customer")
                .filter(status__in=DECIDED_APPLICATION_STATES, decided_at__date__gte=start,
                        decided_at__date__lte=end)
                .order_by("decided_at", "id"))


# --- The auditor's workspace ----------------------------------------------------------------------

def search_ratings(user, *, date_from=None, date_to=None, customer="", person=None, outcome=""):
    """Approved ratings (current and superseded) matching the filters, newest approval first."""
    from ratings.models import Rating

    from ratings.selectors import SNAPSHOT_FIELDS

    qs = (Rating.objects.visible_to(user).filter(state__in=REPORTABLE_RATING_STATES)
          .select_related("customer", "model", "approved_by", "created_by")
          .defer(*SNAPSHOT_FIELDS))  # the rows show no snapshot (~6 kB of JSON each)
    if date_from:
        qs = qs.filter(approved_on__gte=date_from)
    if date_to:
        qs = qs.filter(approved_on__lte=date_to)
    if customer:
        qs = qs.filter(Q(customer__name__icontains=customer) | Q(customer__name_en__icontains=customer)
                       | Q(customer__credit_code__iexact=customer))
    if person is not None:
        qs = qs.filter(Q(approved_by=person) | Q(created_by=person) | Q(overridden_by=person))
    kind, _sep, value = outcome.partition(":")
    if kind == "letter" and value:
        qs = qs.filter(letter=value)
    elif kind == "grade" and value:
        qs = qs.filter(grade=value)
    return qs.order_by("-approved_on", "-id")


def search_applications(user, *, date_from=None, date_to=None, customer="", person=None, outcome=""):
    from credit.models import CreditApplication

    qs = (CreditApplication.objects.visible_to(user).select_related("customer", "created_by")
          .exclude(status="draft"))
    if date_from:
        qs = qs.filter(Q(decided_at__date__gte=date_from) | Q(decided_at=None, created_at__date__gte=date_from))
    if date_to:
        qs = qs.filter(Q(decided_at__date__lte=date_to) | Q(decided_at=None, created_at__date__lte=date_to))
    if customer:
        qs = qs.filter(Q(customer__name__icontains=customer) | Q(customer__name_en__icontains=customer)
                       | Q(customer__credit_code__iexact=customer))
    if person is not None:
        qs = qs.filter(Q(created_by=person) | Q(reviewer=person) | Q(decisions__actor=person)).distinct()
    if outcome:
        qs = qs.filter(status=outcome)
    return qs.order_by("-created_at", "-id")


def search_decisions(user, *, date_from=None, date_to=None, customer="", person=None, outcome=""):
    from credit.models import CreditApplication, Decision

    visible = CreditApplication.objects.visible_to(user).values("pk")
    qs = Decision.objects.filter(application__in=visible).select_related(
        "application", "application__customer", "actor", "on_behalf_of")
    if date_from:
        qs = qs.filter(at__date__gte=date_from)
    if date_to:
        qs = qs.filter(at__date__lte=date_to)
    if customer:
        qs = qs.filter(Q(application__customer__name__icontains=customer)
                       | Q(application__customer__name_en__icontains=customer)
                       | Q(application__customer__credit_code__iexact=customer))
    if person is not None:
        qs = qs.filter(actor=person)
    if outcome:
        qs = qs.filter(action=outcome)
    return qs.order_by("-at", "-id")


def stored_reports(user, kind: str | None = None):
    qs = StoredReport.objects.visible_to(user).defer("content").select_related("customer")
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def stored_rating_reports_for(rating_ids) -> dict[int, list[StoredReport]]:
    """``{rating_id: [stored reports]}`` (one query; the PDF bytes are not loaded)."""
    result: dict[int, list] = {}
    for report in (StoredReport.objects.defer("content")
                   .filter(kind=ReportKind.RATING_REPORT, object_type="ratings.rating",
                           object_id__in=[str(i) for i in rating_ids])):
        result.setdefault(int(report.object_id), []).append(report)
    return result


def batches_for(user):
    return ReportBatch.objects.visible_to(user).select_related("requested_by")


def recent_batches(user, limit=5):
    return list(ReportBatch.objects.filter(requested_by=user).order_by("-created_at", "-id")[:limit])
