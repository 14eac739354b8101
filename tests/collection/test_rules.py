"""The receivables arithmetic on its own: allocation, buckets, late fees, dunning level choice, key figures."""
import datetime as dt
from decimal import Decimal as D

import pytest

from collection import rules as logic
from collection.rules import AllocationError, LevelRule, OpenItem

TODAY = dt.date(2026, 6, 30)


@pytest.mark.parametrize("days,bucket", [
    (-5, "current"), (0, "current"), (1, "d1_30"), (30, "d1_30"), (31, "d31_60"), (60, "d31_60"),
    (61, "d61_90"), (90, "d61_90"), (91, "d91_180"), (180, "d91_180"), (181, "d181_360"),
    (360, "d181_360"), (361, "over_360"), (5000, "over_360"),
])
def test_bucket_boundaries(days, bucket):
    assert logic.bucket_for(days) == bucket


@pytest.mark.parametrize("days", [0, 1, 30, 31, 60, 61, 90, 91, 180, 181, 360, 361])
def test_bucket_date_bounds_agree_with_bucket_for(days):
    due = TODAY - dt.timedelta(days=days)
    earliest, latest = logic.bucket_date_bounds(logic.bucket_for(days), TODAY)
    assert (earliest is None or due >= earliest) and (latest is None or due <= latest)


def items():
    return [
        OpenItem(3, dt.date(2026, 3, 1), dt.date(2026, 2, 1), D("100.00"), 1),
        OpenItem(1, dt.date(2026, 1, 1), dt.date(2025, 12, 1), D("50.00"), 1),
        OpenItem(2, dt.date(2026, 2, 1), dt.date(2026, 1, 1), D("80.00"), 1),
    ]


def test_oldest_first_allocation_fills_oldest_due_first():
    lines, rest = logic.allocate_oldest_first(D("100.00"), items())
    assert lines == [(1, D("50.00")), (2, D("50.00"))]
    assert rest == D("0.00")


def test_oldest_first_leaves_remainder_unallocated():
    lines, rest = logic.allocate_oldest_first(D("300.00"), items())
    assert [x for _, x in lines] == [D("50.00"), D("80.00"), D("100.00")]
    assert rest == D("70.00")


def test_oldest_first_refuses_non_positive():
    with pytest.raises(AllocationError):
        logic.allocate_oldest_first(D("0"), items())
    with pytest.raises(AllocationError):
        logic.allocate_oldest_first(D("-1"), items())


@pytest.mark.parametrize("lines,code", [
    ([(1, D("60.00"))], "over_invoice"),
    ([(1, D("50.00")), (2, D("80.00"))], "over_payment"),
    ([(1, D("-1"))], "line_not_positive"),
    ([(1, D("10")), (1, D("10"))], "duplicate_invoice"),
    ([(9, D("10"))], "unknown_invoice"),
])
def test_explicit_allocation_rules(lines, code):
    table = {i.id: i for i in items()}
    with pytest.raises(AllocationError) as exc:
        logic.check_explicit_allocation(D("100.00"), lines, table, customer_id=1, currency="CNY")
    assert exc.value.code == code


def test_explicit_allocation_other_customer_refused():
    table = {i.id: i for i in items()}
    table[4] = OpenItem(4, dt.date(2026, 1, 1), dt.date(2026, 1, 1), D("10"), customer_id=2)
    with pytest.raises(AllocationError) as exc:
        logic.check_explicit_allocation(D("10"), [(4, D("10"))], table, customer_id=1)
    assert exc.value.code == "other_customer"


def test_explicit_allocation_returns_remainder():
    table = {i.id: i for i in items()}
    assert logic.check_explicit_allocation(D("100.00"), [(3, D("40.00"))], table, customer_id=1) == D("60.00")


# --- late fees: known values ---------------------------------------------------------------------

def test_late_fee_simple_thirty_days():
    fee = logic.late_fee(principal=D("10000.00"), due_date=dt.date(2026, 1, 31), as_of=dt.date(2026, 3, 2),
                         daily_rate=D("0.0005"))
    assert fee == D("150.00")  # 10,000 × 0.05% × 30 days


def test_late_fee_not_before_or_on_due_date():
    assert logic.late_fee(principal=D("10000"), due_date=TODAY, as_of=TODAY, daily_rate=D("0.0005")) == D("0.00")
    assert logic.late_fee(principal=D("10000"), due_date=TODAY, as_of=TODAY - dt.timedelta(days=3),
                          daily_rate=D("0.0005")) == D("0.00")


def test_late_fee_follows_the_balance_after_a_partial_payment():
    fee = logic.late_fee(principal=D("10000.00"), due_date=dt.date(2026, 1, 31), as_of=dt.date(2026, 3, 2),
                         daily_rate=D("0.0005"), payments=[(dt.date(2026, 2, 10), D("4000.00"))])
    # 1–10 Feb: 10 days × 10,000 × 0.0005 = 50; 11 Feb – 2 Mar: 20 days × 6,000 × 0.0005 = 60.
    assert fee == D("110.00")


def test_late_fee_payment_before_due_reduces_principal_and_full_payment_stops_it():
    fee = logic.late_fee(principal=D("1000"), due_date=dt.date(2026, 1, 31), as_of=dt.date(2026, 3, 31),
                         daily_rate=D("0.001"), payments=[(dt.date(2026, 1, 20), D("500")),
                                                          (dt.date(2026, 2, 5), D("500"))])
    assert fee == D("2.50")  # 500 × 0.001 × 5 days (1–5 Feb), then nothing owed


def test_late_fee_rounds_half_up_once_per_invoice():
    fee = logic.late_fee(principal=D("333.33"), due_date=dt.date(2026, 1, 1), as_of=dt.date(2026, 1, 8),
                         daily_rate=D("0.00033"))
    assert fee == D("0.77")  # 333.33 × 0.00033 × 7 = 0.7699923
    fee = logic.late_fee(principal=D("100"), due_date=dt.date(2026, 1, 1), as_of=dt.date(2026, 1, 2),
                         daily_rate=D("0.00005"))
    assert fee == D("0.01")  # 0.005 rounds half up


# --- dunning levels -----------------------------------------------------------------------------

LEVELS = [LevelRule(10, 0, -3), LevelRule(11, 1, 1), LevelRule(12, 2, 15), LevelRule(13, 3, 30), LevelRule(14, 4, 60)]


@pytest.mark.parametrize("days,order", [(-4, None), (-3, 0), (0, 0), (1, 1), (14, 1), (15, 2), (59, 3), (60, 4), (400, 4)])
def test_level_reached(days, order):
    level = logic.level_reached(days, LEVELS)
    assert (level.order if level else None) == order


def test_level_to_raise_only_upward_and_skips_to_highest():
    kwargs = dict(overdue_amount=D("1000"), tolerance=D("100"), levels=LEVELS)
    assert logic.level_to_raise(max_days_past_due=45, current_order=None, **kwargs).order == 3
    assert logic.level_to_raise(max_days_past_due=45, current_order=3, **kwargs) is None
    assert logic.level_to_raise(max_days_past_due=70, current_order=3, **kwargs).order == 4


def test_small_amount_tolerance_stops_dunning():
    assert logic.level_to_raise(max_days_past_due=45, overdue_amount=D("100"), tolerance=D("100"), levels=LEVELS,
                                current_order=None) is None
    assert logic.level_to_raise(max_days_past_due=45, overdue_amount=D("100.01"), tolerance=D("100"), levels=LEVELS,
                                current_order=None).order == 3


def test_nothing_overdue_reaches_only_pre_due_levels():
    assert logic.level_to_raise(max_days_past_due=-2, overdue_amount=D("0"), tolerance=D("100"), levels=LEVELS,
                                current_order=None).order == 0
    assert logic.level_to_raise(max_days_past_due=-2, overdue_amount=D("0"), tolerance=D("100"), levels=LEVELS,
                                current_order=0) is None


def test_key_figures():
    assert logic.dso(D("300"), D("900"), 90) == D("30.0")
    assert logic.dso(D("300"), D("0"), 90) is None
