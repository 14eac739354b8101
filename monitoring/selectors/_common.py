"""Helpers shared by the monitoring selectors' sections."""
from __future__ import annotations

from decimal import Decimal

from django.db.models import Case, DecimalField, ExpressionWrapper, OuterRef, Subquery, Value, When

from collection.models import outstanding_expression
from creditportal.core.links import link
from creditportal.core.money import CURRENCY_CODES, MissingRate, RateTable


ZERO = Decimal("0")
AMOUNT = DecimalField(max_digits=24, decimal_places=2)
RATE = DecimalField(max_digits=24, decimal_places=10)


_url = link  # the monitoring selectors' drill-down links


def converted(table: RateTable, amount_expr, currency_field="currency"):
    """``amount_expr`` in the reporting currency, computed in SQL with the table's rates."""
    whens = []
    for code in sorted(CURRENCY_CODES):
        try:
            rate = table.rate(code, table.reporting_currency)
        except MissingRate:
            continue
        whens.append(When(**{currency_field: code}, then=Value(rate, output_field=RATE)))
    return ExpressionWrapper(amount_expr * Case(*whens, default=Value(Decimal(0), output_field=RATE),
                                                output_field=RATE), output_field=AMOUNT)


_outstanding = outstanding_expression  # an invoice's open amount: collection's one expression


def open_invoices(user):
    from collection.models import Invoice, InvoiceStatus

    return Invoice.objects.visible_to(user).filter(status=InvoiceStatus.OPEN)


def _grade_at(day=None):
    """Subquery: a customer's grade on ``day`` (the newest rating approved on or before it), or now."""
    from ratings.models import Rating, RatingState

    ratings = Rating.objects.filter(customer=OuterRef("pk"))
    if day is None:
        ratings = ratings.filter(state=RatingState.APPROVED)
    else:
        ratings = ratings.filter(state__in=[RatingState.APPROVED, RatingState.SUPERSEDED], approved_on__lte=day)
    return Subquery(ratings.order_by("-approved_on", "-id").values("grade")[:1])
