"""Issue 23's two warning signals: limits used far below their size for months (feeding the alert queue with
"reduce the limit"), and a sharp change of the payment pattern (a good payer suddenly paying everything early, or
the opposite), each at its threshold; the formulas are pure (monitoring.rules, collection.rules)."""
import datetime as dt
from decimal import Decimal as D

import pytest

from collection import rules as collection_rules
from collection import services as collection_services
from monitoring import rules, services
from monitoring.defaults import SHIPPED_DISABLED
from monitoring.models import Alert, WarningRule
from tests import factories

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def fired(system, code, customers):
    rule = WarningRule.objects.get(code=code)
    rule.enabled = True  # shipped disabled; the risk administrator enables it (four-eyes, tested elsewhere)
    rule.save(update_fields=["enabled"])
    services.alerts_evaluate(actor=system, customer_ids=[c.pk for c in customers], rule_ids=[rule.pk])
    return {a.customer_id: a for a in Alert.objects.filter(rule=rule)}


# --- pure rules ----------------------------------------------------------------------------------------------------

def test_trailing_month_ends_and_average_usage():
    assert rules.trailing_month_ends(dt.date(2026, 6, 30), 3) == [dt.date(2026, 4, 30), dt.date(2026, 5, 31),
                                                                  dt.date(2026, 6, 30)]
    assert rules.trailing_month_ends(dt.date(2026, 3, 15), 2) == [dt.date(2026, 1, 31), dt.date(2026, 2, 28)]
    assert rules.average_usage([D("100"), D("300")], D("1000")) == D("0.2000")
    assert rules.average_usage([D("-50"), D("150")], D("1000")) == D("0.0750")  # a credit balance counts 0
    assert rules.average_usage([D("1")], None) is None and rules.average_usage([], D("1")) is None


def test_mean_days_paid_counts_early_payment_negative_and_the_shift():
    assert collection_rules.mean_days_paid([(-10, D("100")), (20, D("300"))]) == D("12.50")
    assert collection_rules.mean_days_paid([]) is None
    assert collection_rules.payment_pattern_shift([(-15, D("1"))], [(0, D("5"))]) == (D("-15.00"), D("0.00"),
                                                                                       D("-15.00"))
    assert collection_rules.payment_pattern_shift([(3, D("1"))], [])[2] is None


def test_both_rules_are_shipped_disabled():
    assert set(WarningRule.objects.filter(code__in=SHIPPED_DISABLED).values_list("code", "enabled")) == {
        ("limit-under-used", False), ("payment-pattern-change", False)}


# --- under-used limits ---------------------------------------------------------------------------------------------

def _old_facility(customer, limit="1000", start=dt.date(2026, 1, 1)):
    return factories.facility(customer, limit, start=start, expiry=dt.date(2026, 12, 31))


def _open_invoice(build, customer, amount, issued=dt.date(2025, 12, 1)):
    return factories.invoice(customer, amount, number=f"U-{customer.pk}-{amount}", issued=issued,
                             due=dt.date(2026, 12, 1), created_by=build.rm)


def test_limit_used_below_the_threshold_for_the_months_fires_with_reduce_the_limit(build, system, users):
    under, edge, new, idle = build.customer(), build.customer(), build.customer(), build.customer()
    for customer in (under, edge, idle):
        _old_facility(customer)
    _open_invoice(build, under, "190")       # 19% every month end
    _open_invoice(build, edge, "200")        # exactly 20%: not below
    _old_facility(new, start=dt.date(2026, 6, 1))  # too new to judge
    paid = _open_invoice(build, idle, "1200", issued=dt.date(2026, 1, 2))
    collection_services.payment_post(actor=users["rm"], customer=idle, amount="1200", received_on=dt.date(2026, 1, 20))
    alerts = fired(system, "limit-under-used", [under, edge, new, idle])
    assert set(alerts) == {under.pk, idle.pk}
    alert = alerts[under.pk]
    assert alert.value == D("0.1900") and alert.recommended_action == "reduce_limit"
    assert len(alert.detail["month_ends"]) == 6 and alert.detail["limit"] == "1000.00"
    assert alerts[idle.pk].value == D("0")  # invoiced and paid within January: nothing at any month end
    assert paid.pk


def test_usage_counts_invoices_issued_by_each_month_end_less_what_was_paid_by_then(build, system, users):
    customer = build.customer()
    _old_facility(customer)
    # 1000 issued in March and paid in May: used at the March and April month ends only (2 of 6) → 333.33 / 1000
    factories.invoice(customer, "1000", number="U-1", issued=dt.date(2026, 3, 10), due=dt.date(2026, 4, 10),
                      created_by=build.rm)
    collection_services.payment_post(actor=users["rm"], customer=customer, amount="1000",
                                     received_on=dt.date(2026, 5, 5))
    rule = WarningRule.objects.get(code="limit-under-used")
    rule.threshold, rule.enabled = D("0.34"), True
    rule.save()
    alerts = fired(system, "limit-under-used", [customer])
    assert alerts[customer.pk].value == D("0.3333")
    assert alerts[customer.pk].detail["usage"] == ["0.00", "0.00", "1000.00", "1000.00", "0.00", "0.00"]


# --- payment pattern ------------------------------------------------------------------------------------------------

def _paid(build, customer, *, due, days_after_due, amount="1000"):
    return factories.invoice(customer, amount, number=f"P-{customer.pk}-{due.isoformat()}", due=due,
                             created_by=build.rm, paid_amount=D(amount),
                             paid_on=due + dt.timedelta(days=days_after_due))


def test_a_good_payer_suddenly_paying_early_and_a_late_turn_fire_at_the_threshold(build, system):
    early, edge, late, new = build.customer(), build.customer(), build.customer(), build.customer()
    for customer, recent_days in ((early, -15), (edge, -14), (late, 20)):
        for month in (8, 10, 12):  # the year before: paid on the due date
            _paid(build, customer, due=dt.date(2025, month, 15), days_after_due=0)
        _paid(build, customer, due=dt.date(2026, 5, 20), days_after_due=recent_days)
    _paid(build, new, due=dt.date(2026, 5, 20), days_after_due=-30)  # no earlier history: no change to measure
    alerts = fired(system, "payment-pattern-change", [early, edge, late, new])
    assert set(alerts) == {early.pk, late.pk}
    assert alerts[early.pk].value == D("15") and alerts[early.pk].detail["shift_days"] == "-15.00"
    assert alerts[late.pk].detail["shift_days"] == "20.00"
    assert alerts[early.pk].recommended_action == "rerate"
