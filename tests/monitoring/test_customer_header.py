"""The customer header (issue 21): the risk picture of one customer with a constant number of queries, and the
warnings a decision must acknowledge."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from monitoring import rules
from monitoring.header import customer_header

pytestmark = pytest.mark.django_db

# What the header costs a page, whatever the customer's size (pages budget their queries with it).
HEADER_QUERIES = 22  # + the order hold and the insured part of the exposure (issue 23, one query each)
EXPOSURE_QUERIES = 13  # its exposure figures alone (``exposure_header``, the rating report)


def _facts(**overrides):
    values = dict(rated=True, rating_expired=False, pending_notches=None, max_days_past_due=0,
                  overdue_tolerance_days=30, alerts_by_severity={}, open_cases=0)
    values.update(overrides)
    return rules.DecisionFacts(**values)


def test_no_warning_for_a_clean_customer():
    assert rules.decision_warnings(_facts()) == []


@pytest.mark.parametrize("overrides, code", [
    ({"pending_notches": 2}, rules.PENDING_DOWNGRADE),
    ({"max_days_past_due": 31}, rules.OVERDUE_BEYOND_TOLERANCE),
    ({"alerts_by_severity": {"high": 1}}, rules.HIGH_SEVERITY_ALERT),
    ({"alerts_by_severity": {"critical": 2, "low": 5}}, rules.HIGH_SEVERITY_ALERT),
    ({"rating_expired": True}, rules.RATING_EXPIRED),
    ({"rated": False}, rules.RATING_EXPIRED),
    ({"open_cases": 1}, rules.OPEN_COLLECTION_CASE),
])
def test_each_condition_raises_its_warning(overrides, code):
    assert [w.code for w in rules.decision_warnings(_facts(**overrides))] == [code]


@pytest.mark.parametrize("overrides", [
    {"pending_notches": 0}, {"pending_notches": -1},  # an upgrade pending is no warning
    {"max_days_past_due": 30},  # at the tolerance, not beyond it
    {"alerts_by_severity": {"medium": 3, "low": 1}},
])
def test_edges_that_are_not_warnings(overrides):
    assert rules.decision_warnings(_facts(**overrides)) == []


def test_unacknowledged_lists_what_remains():
    warnings = rules.decision_warnings(_facts(pending_notches=1, open_cases=1))
    assert rules.unacknowledged(warnings, [rules.OPEN_COLLECTION_CASE]) == [rules.PENDING_DOWNGRADE]
    assert rules.unacknowledged(warnings, rules.WARNING_CODES) == []


def test_header_shows_the_whole_picture(build, users, today):
    from collection.models import CollectionCase
    from monitoring.models import Alert, WarningRule

    customer = build.customer()
    build.rating(customer, "BBB")
    build.rating(customer, "BB", state="submitted")
    facility = build.facility(customer, "100000")
    build.invoice(customer, "30000", days_past_due=45)
    build.invoice(customer, "10000", days_past_due=0)
    build.order(facility, "5000")
    rule = WarningRule.objects.get(code="overdue-30")
    Alert.objects.create(customer=customer, rule=rule, severity="high", raised_on=today, last_seen_on=today)
    CollectionCase.objects.create(customer=customer, opened_on=today, opened_by=users["collector"])

    header = customer_header(customer, users["analyst"])
    assert header.rating.grade == "BBB" and header.pending_rating.grade == "BB"
    assert header.pending_notches > 0
    assert header.limits == D("100000.00")
    assert header.overdue_amount == D("30000.00") and header.max_days_past_due == 45
    assert header.alerts_by_severity == {"high": 1} and header.open_cases == 1
    assert header.exposure >= D("100000")
    assert [w["code"] for w in header.warnings] == [rules.PENDING_DOWNGRADE, rules.OVERDUE_BEYOND_TOLERANCE,
                                                    rules.HIGH_SEVERITY_ALERT, rules.OPEN_COLLECTION_CASE]
    for language in ("en", "zh-hans"):
        with translation.override(language):
            html = render_to_string("monitoring/_customer_header.html", {"header": customer_header(customer)})
        assert customer.name in html and "30,000.00" in html


def test_header_queries_do_not_grow_with_the_customer(build, users, today):
    small = build.customer()
    build.facility(small, "1000")
    build.invoice(small, "100", days_past_due=5)
    big = build.customer()
    for _ in range(6):
        facility = build.facility(big, "1000")
        build.order(facility, "10")
    for days in (5, 40, 90, 200):
        build.invoice(big, "100", days_past_due=days)
        build.invoice(big, "100", days_past_due=days, currency="CNY")
    with CaptureQueriesContext(connection) as few:
        customer_header(small)
    with CaptureQueriesContext(connection) as many:
        customer_header(big)
    assert len(many.captured_queries) == len(few.captured_queries) <= HEADER_QUERIES


def test_an_expired_rating_is_a_warning(build, today):
    customer = build.customer()
    build.rating(customer, "A", review_due=today - dt.timedelta(days=1))
    header = customer_header(customer)
    assert header.rating_expired
    assert [w["code"] for w in header.warnings] == [rules.RATING_EXPIRED]


def test_the_exposure_part_alone_gives_the_headers_figures_with_fewer_queries(build, users, today):
    """``exposure_header`` (the rating report prints these figures only) computes them by the same code as
    ``customer_header``: the same figures, fewer queries, none growing with the customer (issue 25)."""
    from monitoring.header import exposure_header

    customer = build.customer()
    build.rating(customer, "BBB")
    for _ in range(3):
        facility = build.facility(customer, "100000")
        build.order(facility, "5000")
    build.invoice(customer, "30000", days_past_due=45)
    build.invoice(customer, "10000", days_past_due=0, currency="CNY")
    with CaptureQueriesContext(connection) as all_queries:
        full = customer_header(customer, users["analyst"])
    with CaptureQueriesContext(connection) as queries:
        part = exposure_header(customer)
    figures = ("currency", "missing_rates", "exposure", "group_exposure", "limits", "usage", "facilities",
               "suspended_facilities", "overdue_amount", "max_days_past_due", "classification")
    assert {f: getattr(part, f) for f in figures} == {f: getattr(full, f) for f in figures}
    assert part.limits == D("300000.00") and part.overdue_amount == D("30000.00") and part.max_days_past_due == 45
    assert len(queries.captured_queries) <= EXPOSURE_QUERIES < len(all_queries.captured_queries)
