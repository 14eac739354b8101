"""The monthly portfolio report: the dashboard's figures of one month as a document.

Built from the apps' own data with set-wise queries (a fixed number, whatever the portfolio's size):
customers, current ratings, facilities and their use, applications decided in the month, receivables
aging, open alerts, the month-end provisions. Amounts in other currencies are converted into the
reporting currency with the FX table of the report's date.
"""
from __future__ import annotations

import calendar
import hashlib
import json
import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Sum
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from creditportal.core import clock
from creditportal.core.money import MissingRate, RateTable
from creditportal.core.pdf import PDF_FONT_FAMILY

from . import common

ZERO = Decimal(0)


def portfolio_number(month: dt.date) -> str:
    return f"PR-{month:%Y%m}"


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


class _Converter:
    def __init__(self, on_date):
        self.table = RateTable(on_date)
        self.currency = settings.REPORTING_CURRENCY
        self.missing: set[str] = set()

    def __call__(self, amount, currency) -> Decimal:
        if amount is None:
            return ZERO
        try:
            return self.table.convert(Decimal(amount), currency, self.currency)
        except MissingRate:
            self.missing.add(currency)
            return ZERO


def _customers():
    from customers.models import Customer, CustomerStatus

    counts = dict(Customer.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return [{"label": label, "count": counts.get(value, 0)} for value, label in CustomerStatus.choices]


def _ratings(start, end, as_of):
    from ratings.models import Rating, RatingState
    from ratings.engine.scale import DEFAULT_GRADES

    current = list(Rating.objects.filter(state=RatingState.APPROVED, approved_on__lte=end)
                   .values_list("grade", "letter", "pd", "review_due"))
    grades = Counter(g for g, _l, _p, _r in current)
    letters = Counter(lt for _g, lt, _p, _r in current)
    order = [code for code, *_rest in DEFAULT_GRADES]
    order += sorted(g for g in grades if g not in order)
    mean_pd = (sum((p for _g, _l, p, _r in current), ZERO) / len(current)) if current else None
    overdue = sum(1 for *_x, review in current if review is not None and review < as_of)
    approved_in_month = Rating.objects.filter(approved_on__gte=start, approved_on__lte=end,
                                              state__in=[RatingState.APPROVED, RatingState.SUPERSEDED]).count()
    return {
        "count": len(current), "approved_in_month": approved_in_month, "reviews_overdue": overdue,
        "mean_pd": common.percent(mean_pd, 2),
        "grades": [(g, grades.get(g, 0)) for g in order],
        "letters": [(lt, letters.get(lt, 0)) for lt in "ABCD"],
    }


def _credit(start, end, convert):
    from credit.models import CreditApplication, Facility, Order

    facilities = list(Facility.objects.filter(status__in=[Facility.Status.ACTIVE, Facility.Status.SUSPENDED],
                                              start_date__lte=end).values_list("id", "limit", "currency", "status"))
    total_limit = sum((convert(limit, cur) for _i, limit, cur, _s in facilities), ZERO)
    used = sum((convert(a, c) for a, c in Order.objects.filter(status=Order.Status.RESERVED)
                .values_list("amount", "currency")), ZERO)
    decided = dict(CreditApplication.objects.filter(decided_at__date__gte=start, decided_at__date__lte=end)
                   .values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    open_count = CreditApplication.objects.filter(status__in=CreditApplication.OPEN_STATES).count()
    return {
        "facilities": len(facilities),
        "suspended": sum(1 for *_x, status in facilities if status == Facility.Status.SUSPENDED),
        "total_limit": common.amount(total_limit), "used": common.amount(used),
        "utilisation": common.percent(used / total_limit, 1) if total_limit else common.DASH,
        "decided": [{"label": label, "count": decided.get(value, 0)} for value, label in CreditApplication.Status.choices
                    if value in ("approved", "facility_opened", "rejected", "withdrawn")],
        "open_applications": open_count,
    }


def _receivables(as_of, convert):
    from collection.rules import BUCKET_KEYS, bucket_for, days_past_due
    from collection.models import Invoice, InvoiceStatus

    totals = defaultdict(lambda: ZERO)
    rows = (Invoice.objects.filter(status=InvoiceStatus.OPEN, issue_date__lte=as_of)
            .values_list("due_date", "amount", "paid_amount", "written_off_amount", "currency"))
    for due, amount_, paid, written_off, currency in rows.iterator(chunk_size=2000):
        outstanding = convert(amount_ - paid - written_off, currency)
        totals[bucket_for(days_past_due(due, as_of))] += outstanding
    labels = {"current": pgettext("aging bucket", "current"), "d1_30": "1–30", "d31_60": "31–60", "d61_90": "61–90",
              "d91_180": "91–180", "d181_360": "181–360", "over_360": "> 360"}
    total = sum(totals.values(), ZERO)
    overdue = total - totals["current"]
    return {
        "buckets": [{"label": labels[k], "amount": common.amount(totals[k]),
                     "share": common.percent(totals[k] / total, 1) if total else common.DASH,
                     "raw": totals[k]} for k in BUCKET_KEYS],
        "total": common.amount(total), "overdue": common.amount(overdue),
        "overdue_share": common.percent(overdue / total, 1) if total else common.DASH,
    }


def _monitoring(end):
    from monitoring.models import ACTIVE_ALERT_STATES, Alert, ProvisionRun, Severity, Tier

    alerts = dict(Alert.objects.filter(status__in=ACTIVE_ALERT_STATES).values_list("severity")
                  .annotate(n=Count("id")).values_list("severity", "n"))
    run = ProvisionRun.objects.filter(period__lte=end).order_by("-period").first()
    provisions = None
    if run is not None:
        totals = run.totals or {}
        provisions = {
            "period": common.date_text(run.period), "currency": run.currency,
            "exposure": common.amount(run.total_exposure), "provision": common.amount(run.total_provision),
            "customers": run.customer_count,
            "tiers": [{"label": label,
                       "exposure": common.amount((totals.get(value) or {}).get("exposure")
                                                 if isinstance(totals.get(value), dict) else None),
                       "provision": common.amount((totals.get(value) or {}).get("provision")
                                                  if isinstance(totals.get(value), dict) else totals.get(value))}
                      for value, label in Tier.choices],
        }
    return {"alerts": [{"label": label, "count": alerts.get(value, 0)} for value, label in Severity.choices],
            "alerts_total": sum(alerts.values()), "provisions": provisions}


def _dashboard(month, end):
    """The monitoring dashboard's figures for the month (exposure by grade and industry, concentration,
    grade migration over the month), seen by the system user (the report is the same for every reader)."""
    from accounts.system import system_user
    from monitoring.selectors import dashboard

    figures = dashboard(system_user(), start=month - dt.timedelta(days=1), end=end)
    total = figures["total_exposure"]
    migration = figures["migration"]
    used = [g for g in migration["grades"]
            if any(r["total"] for r in migration["rows"] if r["from"] == g)
            or any(c["to"] == g and c["count"] for r in migration["rows"] for c in r["cells"])]
    return {
        "total_exposure": common.amount(total),
        "by_grade": [{"grade": r["grade"], "exposure": common.amount(r["exposure"]),
                      "share": common.percent(r["exposure"] / total, 1) if total else common.DASH,
                      "customers": r["customers_with_exposure"], "raw": r["exposure"]}
                     for r in figures["by_grade"] if r["exposure"] or r["customers_with_exposure"]],
        "by_industry": [{"label": f"{r['code']} · {r['label']}", "exposure": common.amount(r["exposure"]),
                         "share": common.percent(r["share"], 1), "customers": r["customers"]}
                        for r in figures["by_industry"][:10]],
        "top_customers": [{"name": r["name"], "exposure": common.amount(r["exposure"]),
                           "share": common.percent(r["share"], 1)} for r in figures["top_customers"]],
        "customer_hhi": common.plain(figures["customer_hhi"], 4),
        "group_hhi": common.plain(figures["group_hhi"], 4),
        "migration": {"grades": used,
                      "rows": [{"from": r["from"], "cells": [c["count"] for c in r["cells"] if c["to"] in used]}
                               for r in migration["rows"] if r["from"] in used],
                      "upgrades": migration["upgrades"], "downgrades": migration["downgrades"],
                      "unchanged": migration["unchanged"]},
    }


def portfolio_report_context(month: dt.date, *, user=None) -> dict:
    month = month.replace(day=1)
    end = month_end(month)
    as_of = min(end, clock.today())
    convert = _Converter(as_of)
    ratings = _ratings(month, end, as_of)
    receivables = _receivables(as_of, convert)
    data = {
        "month": f"{month:%Y-%m}", "as_of": common.date_text(as_of), "currency": convert.currency,
        "customers": _customers(), "ratings": ratings, "credit": _credit(month, end, convert),
        "receivables": receivables, "monitoring": _monitoring(end), "dashboard": _dashboard(month, end),
    }
    font = PDF_FONT_FAMILY.replace('"', "'")
    number = portfolio_number(month)
    sha = hashlib.sha256(json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()
    data.update({
        "report_number": number,
        "title": _("Monthly portfolio report"),
        "source_sha256": sha,
        "page_counter_css": common.page_counter_css(),
        "footer_text": common.footer_text(number, sha, _("Figures SHA-256:")),
        "header_text": f"{_('Monthly portfolio report')} · {month:%Y-%m}",
        "grade_chart": common.bar_chart_svg(ratings["grades"], font_family=font),
        "aging_chart": common.bar_chart_svg([(b["label"], b["raw"] / 1000) for b in receivables["buckets"]],
                                            font_family=font),
        "missing_rates": sorted(convert.missing),
    })
    return data
