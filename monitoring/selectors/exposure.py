"""Exposure by customer: the list, the currencies without an FX rate and the filters as people read them."""
from __future__ import annotations

from django.db.models import Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy

from creditportal.core import clock
from creditportal.core.filters import clean_params
from creditportal.core.money import MissingRate, RateTable
from customers.models import INDUSTRY_SECTION_CHOICES, Customer

from ._common import AMOUNT, ZERO, _grade_at, _outstanding, converted


def exposure_list(user, params=None, *, table: RateTable | None = None):
    """Customers with open receivables (or a filtered slice), with exposure, grade and days past due."""
    from collection.models import InvoiceStatus

    from ..filtersets import ExposureFilterSet

    params, _errors = clean_params(ExposureFilterSet, params)
    table = table or RateTable(clock.today())
    today = clock.today()
    open_q = Q(invoices__status=InvoiceStatus.OPEN)
    queryset = (Customer.objects.visible_to(user)
                .annotate(exposure=Coalesce(Sum(converted(table, _outstanding("invoices__"), "invoices__currency"),
                                                filter=open_q),
                                            Value(ZERO, output_field=AMOUNT)),
                          grade=_grade_at())
                .select_related("group"))
    if params.get("grade"):
        queryset = (queryset.filter(grade__isnull=True) if params["grade"] == "NR"
                    else queryset.filter(grade=params["grade"]))
    if params.get("industry"):
        queryset = queryset.filter(industry_section=params["industry"])
    if params.get("group"):
        queryset = queryset.filter(group_id=params["group"])
    if params.get("start") and params.get("end"):
        start, end = params["start"], params["end"]
        queryset = queryset.annotate(grade_start=_grade_at(start), grade_end=_grade_at(end))
        for key, field in (("grade_from", "grade_start"), ("grade_to", "grade_end")):
            if params.get(key):
                queryset = queryset.filter(**({f"{field}__isnull": True} if params[key] == "NR"
                                              else {field: params[key]}))
    if params.get("bucket"):
        from collection.rules import bucket_date_bounds

        from collection.models import Invoice

        earliest, latest = bucket_date_bounds(params["bucket"], today)

        ids = Invoice.objects.filter(status=InvoiceStatus.OPEN).filter(
            **({"due_date__gte": earliest} if earliest else {}), **({"due_date__lte": latest} if latest else {})
        ).values("customer_id")
        queryset = queryset.filter(pk__in=ids)
    if params.get("all") != "1":
        queryset = queryset.filter(exposure__gt=0)
    return queryset.order_by("-exposure", "name", "pk")


def currencies_without_rate(user, table: RateTable | None = None) -> list[str]:
    """Currencies of the open invoices ``user`` sees that have no FX rate into the reporting currency today:
    the exposure totals leave those invoices out (``converted`` counts them as 0), so pages must say so."""
    from collection.models import Invoice, InvoiceStatus

    table = table or RateTable(clock.today())
    used = (Invoice.objects.filter(status=InvoiceStatus.OPEN, customer__in=Customer.objects.visible_to(user))
            .order_by().values_list("currency", flat=True).distinct())
    missing = []
    for code in sorted(set(used)):
        try:
            table.rate(code, table.reporting_currency)
        except MissingRate:
            missing.append(code)
    return missing


def exposure_filter_labels(params) -> list[tuple[str, str]]:
    """The exposure list's filters as people read them: [(what, value)] ("账龄", "1–30 天"), not raw keys."""
    from collection.selectors import AGING_BUCKET_LABELS
    from customers.models import CustomerGroup

    def grade(value):
        return str(gettext_lazy("not rated")) if value == "NR" else value

    from ..filtersets import ExposureFilterSet

    params, _errors = clean_params(ExposureFilterSet, params)
    industries = dict(INDUSTRY_SECTION_CHOICES)
    labels = []
    for key, what, show in (
            ("grade", gettext_lazy("Grade"), grade),
            ("industry", gettext_lazy("Industry"), lambda v: str(industries.get(v, v))),
            ("group", gettext_lazy("Customer group"),
             lambda v: CustomerGroup.objects.filter(pk=v).values_list("name", flat=True).first() or v
             if str(v).isdigit() else v),
            ("start", gettext_lazy("From"), str), ("end", gettext_lazy("Until"), str),
            ("grade_from", gettext_lazy("Grade at the start"), grade),
            ("grade_to", gettext_lazy("Grade at the end"), grade),
            ("bucket", gettext_lazy("Aging"), lambda v: str(AGING_BUCKET_LABELS.get(v, v)))):
        value = params.get(key)
        if value:
            labels.append((str(what), show(value)))
    return labels
