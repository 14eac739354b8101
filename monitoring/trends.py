"""The portfolio over time: one row per month-end from the asset classifications the month-end run stores
(exposure, tier, days past due and rating letter per customer) and the provisions booked for the month.

``portfolio_trend`` answers the dashboard's "over time" page: the overdue rate, the NPL ratio (substandard and
worse), the provision coverage, the distribution of rating letters and the letter moves of each month, and a
breakdown of the latest month by relationship manager or industry section, each figure with the link to the
classification list behind it. A constant number of queries whatever the size of the portfolio (each figure is
one grouped statement; the letter moves one statement with ``LAG``). The ratios are ``monitoring.rules``'.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Q, Sum, Window
from django.db.models.functions import Lag
from django.urls import reverse
from django.utils.http import urlencode

from creditportal.core import clock
from customers.models import INDUSTRY_SECTION_CHOICES

from . import rules
from .models import AssetClassification, ProvisionLine

ZERO = Decimal("0")
LETTERS = ["A", "B", "C", "D"]
DIMENSIONS = ("manager", "industry")


def _url(**query) -> str:
    return reverse("monitoring:classification_list") + "?" + urlencode({k: v for k, v in query.items() if v})


def _moves(queryset) -> dict[dt.date, dict[str, int]]:
    """``{period: {"upgrades", "downgrades", "unchanged"}}``: each customer's letter against its letter at the
    month-end before (one statement: LAG over the customer's classifications, grouped outside)."""
    windowed = queryset.annotate(previous=Window(Lag("letter"), partition_by=[F("customer_id")],
                                                 order_by=F("period").asc())).values("period", "previous", "letter")
    sql, params = windowed.query.sql_with_params()
    pairs: dict[dt.date, list] = {}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT moved.period, moved.previous, moved.letter, COUNT(*) FROM ({sql}) moved "
                       f"GROUP BY moved.period, moved.previous, moved.letter", params)
        for period, previous, letter, count in cursor.fetchall():
            if isinstance(period, str):  # SQLite hands dates back as text here
                period = dt.date.fromisoformat(period)
            pairs.setdefault(period, []).append((previous or None, letter or None, count))
    return {period: rules.letter_moves(rows, LETTERS) for period, rows in pairs.items()}


def _breakdown(queryset, period: dt.date, dimension: str) -> list[dict]:
    key = {"manager": "customer__relationship_manager", "industry": "customer__industry_section"}[dimension]
    rows = (queryset.filter(period=period).values(key)
            .annotate(exposure_sum=Sum("exposure"), npl=Sum("exposure", filter=Q(tier__in=rules.NPL_TIERS)),
                      overdue=Sum("exposure", filter=Q(days_past_due__gt=0)), customers=Count("id"))
            .order_by("-exposure_sum"))
    labels = dict(INDUSTRY_SECTION_CHOICES)
    people = {}
    if dimension == "manager":
        from django.contrib.auth import get_user_model

        people = get_user_model().objects.in_bulk([row[key] for row in rows if row[key]])
    result = []
    for row in rows:
        figures = rules.MonthFigures(exposure=row["exposure_sum"] or ZERO, npl_exposure=row["npl"] or ZERO,
                                     overdue_exposure=row["overdue"] or ZERO, provision=None)
        value = row[key]
        label = people.get(value) if dimension == "manager" else labels.get(value, value)
        result.append({"value": value, "label": label, "customers": row["customers"],
                       "exposure": figures.exposure, "npl_ratio": figures.npl_ratio,
                       "overdue_rate": figures.overdue_rate})
    return result


def portfolio_trend(user, *, months: int = 24, end: dt.date | None = None, dimension: str = "manager") -> dict:
    """The monthly series and the latest month's breakdown (see the module docstring)."""
    end = end or clock.today()
    # ``months`` month ends up to the last one ended by ``end`` (the month under way has no month end yet)
    last = end if (end + dt.timedelta(days=1)).day == 1 else end.replace(day=1) - dt.timedelta(days=1)
    total = last.year * 12 + (last.month - 1) - (months - 1)
    start = dt.date(total // 12, total % 12 + 1, 1)
    visible = AssetClassification.objects.visible_to(user).filter(period__gte=start, period__lte=end)
    rows = list(visible.values("period")
                .annotate(exposure_sum=Sum("exposure"), npl=Sum("exposure", filter=Q(tier__in=rules.NPL_TIERS)),
                          overdue=Sum("exposure", filter=Q(days_past_due__gt=0)), customers=Count("id"),
                          overdue_customers=Count("id", filter=Q(days_past_due__gt=0)))
                .order_by("period"))
    provisions = dict(ProvisionLine.objects.visible_to(user).filter(run__period__gte=start, run__period__lte=end)
                      .values("run__period").annotate(total=Sum("amount")).values_list("run__period", "total")
                      .order_by())
    letters: dict[dt.date, dict[str, int]] = {}
    for period, letter, count in (visible.values("period", "letter").annotate(n=Count("id"))
                                  .values_list("period", "letter", "n").order_by()):
        letters.setdefault(period, {})[letter or "NR"] = count
    moves = _moves(visible) if rows else {}
    months_out = []
    for row in rows:
        period = row["period"]
        figures = rules.MonthFigures(exposure=row["exposure_sum"] or ZERO, npl_exposure=row["npl"] or ZERO,
                                     overdue_exposure=row["overdue"] or ZERO, provision=provisions.get(period))
        iso = period.isoformat()
        months_out.append({
            "period": period, "customers": row["customers"], "overdue_customers": row["overdue_customers"],
            "exposure": figures.exposure, "npl_exposure": figures.npl_exposure,
            "overdue_exposure": figures.overdue_exposure, "provision": figures.provision,
            "npl_ratio": figures.npl_ratio, "overdue_rate": figures.overdue_rate,
            "provision_coverage": figures.provision_coverage,
            "letters": {letter: letters.get(period, {}).get(letter, 0) for letter in [*LETTERS, "NR"]},
            "moves": moves.get(period, {"upgrades": 0, "downgrades": 0, "unchanged": 0}),
            "url": _url(period=iso, all="1"),
            "npl_urls": [(tier, _url(period=iso, tier=tier, all="1")) for tier in rules.NPL_TIERS],
        })
    latest = months_out[-1]["period"] if months_out else None
    dimension = dimension if dimension in DIMENSIONS else "manager"
    return {
        "start": start, "end": end, "months": months_out, "latest": latest, "dimension": dimension,
        "breakdown": _breakdown(visible, latest, dimension) if latest else [],
        "chart": {
            "labels": [m["period"].strftime("%Y-%m") for m in months_out],
            "npl_ratio": [float(m["npl_ratio"] * 100) if m["npl_ratio"] is not None else None for m in months_out],
            "overdue_rate": [float(m["overdue_rate"] * 100) if m["overdue_rate"] is not None else None
                             for m in months_out],
            "provision_coverage": [float(m["provision_coverage"] * 100) if m["provision_coverage"] is not None
                                   else None for m in months_out],
            "letters": {letter: [m["letters"][letter] for m in months_out] for letter in [*LETTERS, "NR"]},
        },
    }
