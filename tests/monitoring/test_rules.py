"""Each shipped warning rule fires on data that should fire it and stays quiet otherwise; alerts are
idempotent (one active alert per rule and customer across repeated runs)."""
import datetime as dt
from decimal import Decimal as D

import pytest

from monitoring import services
from monitoring.defaults import DEFAULT_RULES
from monitoring.models import Alert, WarningRule

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def fired(system, code, customers):
    rule = WarningRule.objects.get(code=code)
    services.alerts_evaluate(actor=system, customer_ids=[c.pk for c in customers], rule_ids=[rule.pk])
    return set(Alert.objects.filter(rule=rule).values_list("customer_id", flat=True))


def test_every_default_rule_is_shipped():
    codes = set(WarningRule.objects.values_list("code", flat=True))
    assert {row[0] for row in DEFAULT_RULES} <= codes
    assert len(DEFAULT_RULES) >= 16


def test_overdue(build, system):
    bad, edge, good = build.customer(), build.customer(), build.customer()
    build.invoice(bad, days_past_due=31)
    build.invoice(edge, days_past_due=30)
    build.invoice(good, days_past_due=0)
    assert fired(system, "overdue-30", [bad, edge, good]) == {bad.pk}
    worse = build.customer()
    build.invoice(worse, days_past_due=91)
    assert fired(system, "overdue-90", [bad, worse]) == {worse.pk}


def test_utilisation(build, system):
    high, low = build.customer(), build.customer()
    build.facility(high, "1000")
    build.invoice(high, "950")
    build.facility(low, "1000")
    build.invoice(low, "500")
    assert fired(system, "utilisation-90", [high, low]) == {high.pk}


def test_rating_downgrade(build, system):
    down, flat = build.customer(), build.customer()
    build.rating(down, "A", state="superseded", approved_on=TODAY - dt.timedelta(days=200))
    build.rating(down, "BB")
    build.rating(flat, "A", state="superseded", approved_on=TODAY - dt.timedelta(days=200))
    build.rating(flat, "BBB")  # one notch only
    assert fired(system, "rating-downgrade", [down, flat]) == {down.pk}


def test_downgrade_proposed(build, system):
    proposed, better = build.customer(), build.customer()
    build.rating(proposed, "A")
    build.rating(proposed, "BBB", state="proposed")
    build.rating(better, "BBB")
    build.rating(better, "A", state="proposed")
    assert fired(system, "downgrade-proposed", [proposed, better]) == {proposed.pk}


def test_current_ratio_drop(build, system):
    drop, stable = build.customer(), build.customer()
    build.statement(drop, dt.date(2024, 12, 31), current_assets="200")  # 2.0
    build.statement(drop, dt.date(2025, 12, 31), current_assets="150")  # 1.5: −25%
    build.statement(stable, dt.date(2024, 12, 31), current_assets="200")
    build.statement(stable, dt.date(2025, 12, 31), current_assets="170")  # −15%
    assert fired(system, "current-ratio-drop", [drop, stable]) == {drop.pk}


def test_negative_equity(build, system):
    negative, positive = build.customer(), build.customer()
    build.statement(negative, dt.date(2025, 12, 31), equity="-10")
    build.statement(positive, dt.date(2025, 12, 31), equity="10")
    assert fired(system, "negative-equity", [negative, positive]) == {negative.pk}


def test_loss_after_profit(build, system):
    turned, always = build.customer(), build.customer()
    build.statement(turned, dt.date(2024, 12, 31), net_profit="50")
    build.statement(turned, dt.date(2025, 12, 31), net_profit="-5")
    build.statement(always, dt.date(2024, 12, 31), net_profit="-50")
    build.statement(always, dt.date(2025, 12, 31), net_profit="-5")
    assert fired(system, "loss-after-profit", [turned, always]) == {turned.pk}


def _orders(build, facility, history, current):
    for period, amount in enumerate(history, start=1):
        build.order(facility, amount, days_ago=period * 30 + 1)
    build.order(facility, current, days_ago=1)


def test_order_volume_z(build, system):
    spike, steady = build.customer(), build.customer()
    _orders(build, build.facility(spike, "1000000"), ["100", "110", "90", "100", "105", "95"], "400")
    _orders(build, build.facility(steady, "1000000"), ["100", "110", "90", "100", "105", "95"], "104")
    assert fired(system, "order-volume-z", [spike, steady]) == {spike.pk}


def test_large_orders_while_paying_late(build, system):
    late, punctual = build.customer(), build.customer()
    for customer in (late, punctual):
        _orders(build, build.facility(customer, "1000000"), ["100", "110", "90", "100", "105", "95"], "200")
    build.invoice(late, "10", days_past_due=15)
    build.invoice(punctual, "10", days_past_due=0)
    assert fired(system, "large-orders-late-payment", [late, punctual]) == {late.pk}


def test_new_negative_record(build, system):
    new, old = build.customer(), build.customer()
    build.negative_record(new, days_ago=3)
    build.negative_record(old, days_ago=60)
    assert fired(system, "new-negative-record", [new, old]) == {new.pk}


def test_review_overdue(build, system):
    overdue, current = build.customer(), build.customer()
    build.rating(overdue, "A", review_due=TODAY - dt.timedelta(days=1))
    build.rating(current, "A", review_due=TODAY)
    assert fired(system, "review-overdue", [overdue, current]) == {overdue.pk}


def test_facility_near_expiry(build, system):
    soon, later = build.customer(), build.customer()
    build.facility(soon, expiry_days=30)
    build.facility(later, expiry_days=31)
    assert fired(system, "facility-near-expiry", [soon, later]) == {soon.pk}


def test_covenant_breached(build, system):
    breached, old = build.customer(), build.customer()
    build.breach(breached, build.application(breached), days_ago=10)
    build.breach(old, build.application(old), days_ago=120)
    assert fired(system, "covenant-breached", [breached, old]) == {breached.pk}


def test_collateral_coverage(build, system):
    short, covered = build.customer(), build.customer()
    app = build.application(short, grade="BBB", min_coverage="0.5")
    build.facility(short, "10000", application=app)
    build.collateral(app, "4000")  # 40% < 50%
    app2 = build.application(covered, grade="BBB", min_coverage="0.5")
    build.facility(covered, "10000", application=app2)
    build.collateral(app2, "6000", haircut="0.1")  # 54%
    assert fired(system, "collateral-coverage", [short, covered]) == {short.pk}


def test_revaluation_overdue(build, system):
    overdue, fine = build.customer(), build.customer()
    app = build.application(overdue)
    build.facility(overdue, application=app)
    build.collateral(app, "100", revaluation_days=-1)
    app2 = build.application(fine)
    build.facility(fine, application=app2)
    build.collateral(app2, "100", revaluation_days=0)
    assert fired(system, "revaluation-overdue", [overdue, fine]) == {overdue.pk}


def test_document_expired(build, system):
    expired, renewed, valid = build.customer(), build.customer(), build.customer()
    build.document(expired, expires_in_days=-1)
    build.document(renewed, expires_in_days=-100)
    build.document(renewed, expires_in_days=200)
    build.document(valid, expires_in_days=0)
    assert fired(system, "document-expired", [expired, renewed, valid]) == {expired.pk}


def test_no_duplicate_open_alerts_across_runs(build, system):
    customer = build.customer()
    build.invoice(customer, days_past_due=120)
    for _ in range(3):
        services.alerts_evaluate(actor=system)
    alerts = Alert.objects.filter(customer=customer)
    assert alerts.filter(rule__code="overdue-30").count() == 1
    assert alerts.filter(rule__code="overdue-90").count() == 1
    # an acknowledged alert is updated, not duplicated; a resolved one lets a new alert open
    alert = alerts.get(rule__code="overdue-30")
    services.alert_acknowledge(actor=build.users["analyst"], alert=alert)
    services.alerts_evaluate(actor=system)
    assert alerts.filter(rule__code="overdue-30").count() == 1
    services.alert_resolve(actor=build.users["analyst"], alert=alert, comment="paid plan agreed")
    services.alerts_evaluate(actor=system)
    assert alerts.filter(rule__code="overdue-30").count() == 2
    assert alerts.filter(rule__code="overdue-30", status__in=["open", "acknowledged"]).count() == 1


def test_cleared_condition_is_marked(build, system):
    customer = build.customer()
    invoice = build.invoice(customer, days_past_due=40)
    services.alerts_evaluate(actor=system, customer_ids=[customer.pk])
    alert = Alert.objects.get(customer=customer, rule__code="overdue-30")
    assert alert.still_firing
    from collection.models import Invoice
    Invoice.objects.filter(pk=invoice.pk).update(due_date=TODAY)
    services.alerts_evaluate(actor=system, customer_ids=[customer.pk])
    alert.refresh_from_db()
    assert not alert.still_firing and alert.status == "open"


def test_evaluation_is_refused_to_people(build):
    from creditportal.core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        services.alerts_evaluate(actor=build.users["analyst"])


def test_evaluation_queries_do_not_grow_with_the_portfolio(build, system, django_assert_max_num_queries):
    def portfolio(n):
        for i in range(n):
            c = build.customer()
            build.invoice(c, "100", days_past_due=40 + i)
            build.facility(c, "110")
            build.rating(c, "BBB", review_due=TODAY - dt.timedelta(days=1))
            build.negative_record(c)

    from creditportal.core.permcache import forget_remembered

    # the first run reads the system user's permissions (no earlier test's remembered set: their versions
    # are the migration's, the same in every test), which leaves room for the second run's inserts
    forget_remembered()
    portfolio(2)
    with django_assert_max_num_queries(200) as small:
        services.alerts_evaluate(actor=system)
    portfolio(15)
    with django_assert_max_num_queries(len(small.captured_queries)):
        services.alerts_evaluate(actor=system)


def test_collateral_coverage_counts_guarantees_like_the_application(build, system):
    """A facility approved on guarantees raised a false alert: the alert counted collateral only, the
    application collateral plus guarantees. Both now use ``credit.rules.coverage_ratio`` (issue 23: guarantees at
    face × the guarantor's recovery factor, 1 for AAA)."""
    from credit.models import Guarantor

    aaa = {"external_agency": "中诚信", "external_grade": "AAA", "mapped_grade": "AAA",
           "external_rated_on": TODAY - dt.timedelta(days=30)}

    guaranteed, short = build.customer(), build.customer()
    app = build.application(guaranteed, grade="BBB", min_coverage="0.5")
    build.facility(guaranteed, "10000", application=app)
    build.collateral(app, "2000")                                  # 20% collateral
    Guarantor.objects.create(application=app, outside_name="担保公司", amount=D("3000"), currency="CNY", **aaa)  # +30%
    app2 = build.application(short, grade="BBB", min_coverage="0.5")
    build.facility(short, "10000", application=app2)
    Guarantor.objects.create(application=app2, outside_name="担保公司", amount=D("4990"), currency="CNY", **aaa)
    assert fired(system, "collateral-coverage", [guaranteed, short]) == {short.pk}  # 49.9% < 50%
    assert D(str(Alert.objects.get(customer=short).value)) == D("0.0010")


def test_revaluation_due_at_its_day(build, system):
    """Issue 23: the rule fires 30 days before the revaluation date and on the day; the day after, the overdue
    rule takes over."""
    soon, later, overdue = build.customer(), build.customer(), build.customer()
    for customer, days in ((soon, 30), (later, 31), (overdue, -1)):
        app = build.application(customer)
        build.facility(customer, application=app)
        build.collateral(app, "100", revaluation_days=days)
    assert fired(system, "revaluation-due", [soon, later, overdue]) == {soon.pk}
    assert fired(system, "revaluation-overdue", [soon, later, overdue]) == {overdue.pk}
