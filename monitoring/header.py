"""The customer header: the risk picture of one customer, shown on every customer page and at the top of every
application, rating, case and facility page, and printed in the approval memo (issue 21).

One selector (``customer_header``) builds it with a constant number of queries whatever the customer's size:
the rating in force and any open proposal, exposure (the customer's and its group's, the one definition in
``credit.rules.customer_exposure``), limits and usage of its open facilities, the overdue amount and the maximum
days past due (``collection.rules``), the latest asset classification, active alerts by severity, the watchlist,
covenant breaches and active collection cases; and the warnings a decision must acknowledge
(``monitoring.rules.decision_warnings``). It lives in ``monitoring`` because that is the lowest app that may read
all of these; lower apps show it through the customer-header hook they declare.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from collection import selectors as collection_selectors
from collection.models import ACTIVE_CASE_STATES, CollectionCase
from creditportal.core import clock
from creditportal.core.money import MissingRate, RateTable
from credit import rules as credit_rules
from credit import selectors as credit_selectors
from credit.models import CovenantBreach, Facility, GroupLimit
from insurance import selectors as insurance_selectors
from ratings.models import OPEN_STATES, Rating

from . import rules
from .models import ACTIVE_ALERT_STATES, SEVERITY_RANK, Alert, AssetClassification, Severity, WatchlistEntry

ZERO = Decimal("0")
DEFAULT_OVERDUE_TOLERANCE_DAYS = credit_rules.DEFAULT_OVERDUE_TOLERANCE_DAYS


@dataclass
class CustomerHeader:
    customer: object
    currency: str
    rating: Rating | None = None
    rating_expired: bool = True
    pending_rating: Rating | None = None
    pending_notches: int | None = None
    exposure: Decimal | None = None
    group_exposure: Decimal | None = None
    group_limit: GroupLimit | None = None
    limits: Decimal = ZERO
    usage: Decimal = ZERO
    facilities: int = 0
    suspended_facilities: int = 0
    overdue_amount: Decimal = ZERO
    max_days_past_due: int = 0
    classification: AssetClassification | None = None
    alerts_by_severity: dict = field(default_factory=dict)
    watchlist: WatchlistEntry | None = None
    covenant_breaches: int = 0
    open_cases: int = 0
    missing_rates: bool = False
    insured: Decimal | None = None  # the insured part of the exposure (credit insurance), None when uninsured
    overdue_tolerance_days: int = DEFAULT_OVERDUE_TOLERANCE_DAYS
    warnings: list = field(default_factory=list)
    hold: object = None  # credit.selectors.HoldStatus: are deliveries held (暂停交货), and why
    hold_reasons: list = field(default_factory=list)
    guarantee_cycles: int = 0  # read for a decision only (``DecisionWarnings``), not on every header

    @property
    def usage_share(self) -> Decimal | None:
        return (self.usage / self.limits) if self.limits else None

    @property
    def alerts_total(self) -> int:
        return sum(self.alerts_by_severity.values())

    @property
    def alert_rows(self) -> list[tuple[str, str]]:
        """``[(severity, "high 2")]``, worst first, only the severities present."""
        labels = dict(Severity.choices)
        rows = sorted(((s, n) for s, n in self.alerts_by_severity.items() if n),
                      key=lambda row: -SEVERITY_RANK.get(row[0], 0))
        return [(s, f"{labels.get(s, s)} {n}") for s, n in rows]

    @property
    def facts(self) -> rules.DecisionFacts:
        return rules.DecisionFacts(
            rated=self.rating is not None, rating_expired=self.rating_expired, pending_notches=self.pending_notches,
            max_days_past_due=self.max_days_past_due, overdue_tolerance_days=self.overdue_tolerance_days,
            alerts_by_severity=self.alerts_by_severity, open_cases=self.open_cases,
            guarantee_cycles=self.guarantee_cycles)


def overdue_tolerance_days(on_date: dt.date | None = None) -> int:
    """Days past due the credit policy in force tolerates (``credit.selectors.overdue_tolerance_days``, the one
    definition: beyond it deliveries are held and a decision is warned)."""
    return credit_selectors.overdue_tolerance_days(on_date)


def _pending_notches(current: Rating | None, pending: Rating | None) -> int | None:
    if current is None or pending is None:
        return None
    from ratings import selectors as rating_selectors

    return -rating_selectors.notches_between(current.grade, pending.grade)  # + = the proposal is worse


def _exposure_part(header: CustomerHeader, customer, today, table: RateTable):
    """Limits, usage and exposure (the customer's and its group's) of ``header``; returns the open facilities
    and their utilisation (the hold causes read them)."""
    facilities = list(Facility.objects.filter(customer=customer, status__in=credit_selectors.OPEN_FACILITY_STATES)
                      .only("id", "customer_id", "status", "limit", "currency"))
    header.facilities = len(facilities)
    header.suspended_facilities = sum(1 for f in facilities if f.status == Facility.Status.SUSPENDED)
    used = {}
    try:
        used = credit_selectors.utilisation(facilities, table=table)
        header.limits = sum((table.convert(f.limit, f.currency) for f in facilities), ZERO)
        header.usage = sum((table.convert(used.get(f.pk, ZERO), f.currency) for f in facilities), ZERO)
        header.exposure = credit_selectors.customer_exposures([customer.pk], table=table)[customer.pk]
        header.group_exposure = (credit_selectors.group_exposure(customer, table=table)
                                 if customer.group_id else header.exposure)
    except MissingRate:
        header.missing_rates = True
    return facilities, used


def overdue_part(header: CustomerHeader, customer, today, table: RateTable):
    """The overdue amount, the maximum days past due and the latest asset classification of ``header``."""
    overdue, missing = collection_selectors.overdue_amounts([customer.pk], today, table)
    header.overdue_amount = overdue.get(customer.pk, ZERO)
    header.missing_rates = header.missing_rates or bool(missing)
    header.max_days_past_due = collection_selectors.days_past_due([customer.pk], today)[customer.pk]
    header.classification = (AssetClassification.objects.filter(customer=customer).order_by("-period", "-id")
                             .only("id", "customer_id", "period", "tier", "days_past_due", "manual").first())


def exposure_header(customer, *, on_date: dt.date | None = None) -> CustomerHeader:
    """Only the exposure figures of the customer header (limits, usage, exposure of the customer and its group,
    overdue amount, days past due, classification), computed exactly as ``customer_header`` computes them, for
    documents that print these and nothing else (the rating report): about half the queries."""
    today = on_date or clock.today()
    table = RateTable(today)
    header = CustomerHeader(customer=customer, currency=table.reporting_currency)
    _exposure_part(header, customer, today, table)
    overdue_part(header, customer, today, table)
    return header


def customer_header(customer, user=None, *, on_date: dt.date | None = None) -> CustomerHeader:
    """The risk picture of ``customer`` on ``on_date`` (today), in the reporting currency (constant queries).

    ``user`` is accepted for symmetry with the tabs; the caller has already checked that the user sees the
    customer, and every figure here is about that customer (the group's exposure is a sum, naming nobody)."""
    today = on_date or clock.today()
    table = RateTable(today)
    header = CustomerHeader(customer=customer, currency=table.reporting_currency)

    # The rating in force as credit reads it (the same rule as the approval), and the newest open proposal.
    header.rating = credit_selectors.current_rating(customer)
    header.pending_rating = (Rating.objects.filter(customer=customer, state__in=OPEN_STATES)
                             .only("id", "customer_id", "state", "grade", "letter", "created_at")
                             .order_by("-created_at", "-id").first())
    header.rating_expired = credit_selectors.rating_is_expired(header.rating, today)
    header.pending_notches = _pending_notches(header.rating, header.pending_rating)

    facilities, used = _exposure_part(header, customer, today, table)
    if header.exposure is not None and not header.missing_rates:
        try:
            split = insurance_selectors.split_exposures({customer.pk: header.exposure}, today, table=table)[customer.pk]
            header.insured = split.insured or None
        except MissingRate:
            header.missing_rates = True
    overdue_part(header, customer, today, table)
    header.group_limit = credit_selectors.group_limit_in_force(customer, today)
    header.alerts_by_severity = dict(Alert.objects.filter(customer=customer, status__in=ACTIVE_ALERT_STATES)
                                     .values_list("severity").annotate(n=Count("id")).order_by())
    header.watchlist = (WatchlistEntry.objects.filter(customer=customer, since__lte=today)
                        .exclude(until__lt=today).order_by("-since").first())
    header.covenant_breaches = CovenantBreach.objects.filter(
        customer=customer, tested_on__gte=today - dt.timedelta(days=365)).count()
    header.open_cases = CollectionCase.objects.filter(customer=customer, state__in=ACTIVE_CASE_STATES).count()
    header.overdue_tolerance_days = overdue_tolerance_days(today)
    header.warnings = decision_warning_rows(rules.decision_warnings(header.facts))
    causes = credit_selectors.hold_causes_of(facilities, used, header.max_days_past_due, header.overdue_tolerance_days)
    header.hold = credit_selectors.hold_status(customer, today, table=table, causes=causes)
    if header.hold.held:
        from credit.services import hold_reason_text

        header.hold_reasons = [hold_reason_text(code, header.hold.detail) for code in header.hold.reasons]
    return header


def warning_text(warning: rules.DecisionWarning) -> str:
    """The warning in the reader's language (one sentence)."""
    p = warning.params
    if warning.code == rules.PENDING_DOWNGRADE:
        return ngettext("A rating proposal %(n)d notch below the grade in force is pending.",
                        "A rating proposal %(n)d notches below the grade in force is pending.",
                        p["notches"]) % {"n": p["notches"]}
    if warning.code == rules.OVERDUE_BEYOND_TOLERANCE:
        return _("Overdue %(days)d days, beyond the policy's tolerance of %(tolerance)d days.") % {
            "days": p["days"], "tolerance": p["tolerance"]}
    if warning.code == rules.HIGH_SEVERITY_ALERT:
        return ngettext("%(n)d high-severity alert is open.", "%(n)d high-severity alerts are open.",
                        p["count"]) % {"n": p["count"]}
    if warning.code == rules.RATING_EXPIRED:
        return _("The rating has expired.") if p.get("rated") else _("No rating is in force.")
    if warning.code == rules.OPEN_COLLECTION_CASE:
        return ngettext("%(n)d collection case is open.", "%(n)d collection cases are open.",
                        p["count"]) % {"n": p["count"]}
    if warning.code == rules.GUARANTEE_CYCLE:
        return ngettext("The customer is in %(n)d mutual or chain guarantee.",
                        "The customer is in %(n)d mutual or chain guarantees.", p["count"]) % {"n": p["count"]}
    return warning.code


def decision_warning_rows(warnings) -> list[dict]:
    """``[{"code", "text", "params"}]`` for pages, services and the memo."""
    return [{"code": w.code, "text": warning_text(w), "params": dict(w.params)} for w in warnings]


class HeaderProvider:
    """Fills ``customers.header.CUSTOMER_HEADER``."""

    template_name = "monitoring/_customer_header.html"

    def context(self, customer, user) -> dict:
        return {"header": customer_header(customer, user)}


class DecisionWarnings:
    """Fills ``credit.providers.DECISION_WARNINGS``: what an approver must acknowledge about a customer."""

    def for_customer(self, customer) -> list[dict]:
        from credit.security import guarantee_cycles

        header = customer_header(customer)
        header.guarantee_cycles = len(guarantee_cycles([customer.pk]))
        return decision_warning_rows(rules.decision_warnings(header.facts)) if header.guarantee_cycles \
            else header.warnings
