"""The pure insurance rules against hand arithmetic."""
import datetime as dt
from decimal import Decimal as D

from insurance import rules

JAN, DEC = dt.date(2026, 1, 1), dt.date(2026, 12, 31)


def test_insured_part_is_the_exposure_within_the_buyer_limit_times_the_share():
    # exposure 1,000,000; limit 600,000 at 90% → insured 540,000, uninsured 460,000
    split = rules.insured_split(D("1000000"), [(D("600000"), D("0.9"))])
    assert (split.covered, split.insured, split.uninsured) == (D("600000.00"), D("540000.00"), D("460000.00"))
    assert split.insured_share == D("0.5400")


def test_an_exposure_below_the_limit_is_insured_in_full_at_the_share():
    split = rules.insured_split(D("400000"), [(D("600000"), D("0.9"))])
    assert (split.insured, split.uninsured) == (D("360000.00"), D("40000.00"))


def test_no_valid_limit_insures_nothing_and_no_exposure_has_no_share():
    assert rules.insured_split(D("500000")).uninsured == D("500000")
    assert rules.insured_split(D("0"), [(D("1"), D("0.9"))]).insured_share is None


def test_several_limits_take_the_highest_share_first():
    # 1,000,000: 300,000 at 90% = 270,000, then 500,000 at 80% = 400,000 → 670,000
    split = rules.insured_split(D("1000000"), [(D("500000"), D("0.8")), (D("300000"), D("0.9"))])
    assert split.insured == D("670000.00") and split.uninsured == D("330000.00")


def test_only_a_granted_or_reduced_limit_within_its_validity_covers():
    common = dict(valid_from=JAN, valid_to=dt.date(2026, 6, 30), policy_from=JAN, policy_to=DEC)
    assert rules.buyer_limit_covers(state="granted", on_date=dt.date(2026, 6, 30), **common)
    assert rules.buyer_limit_covers(state="reduced", on_date=dt.date(2026, 3, 1), **common)
    assert not rules.buyer_limit_covers(state="granted", on_date=dt.date(2026, 7, 1), **common)  # expired by date
    for state in ("expired", "withdrawn", "requested"):
        assert not rules.buyer_limit_covers(state=state, on_date=dt.date(2026, 3, 1), **common)
    assert not rules.buyer_limit_covers(state="granted", valid_from=JAN, valid_to=None, policy_from=JAN,
                                        policy_to=dt.date(2026, 2, 1), on_date=dt.date(2026, 3, 1))


def test_uninsured_cap_equal_is_within():
    assert not rules.uninsured_over_cap(D("100"), D("100"))
    assert rules.uninsured_over_cap(D("100.01"), D("100"))
    assert not rules.uninsured_over_cap(D("1e9"), None)


def test_deadlines_count_days_past_due():
    due = dt.date(2026, 4, 1)
    assert rules.deadline(due, 60) == dt.date(2026, 5, 31)
    assert rules.days_left(due, 60, dt.date(2026, 5, 30)) == 1
    assert rules.days_left(due, 60, dt.date(2026, 5, 31)) == 0
    assert rules.days_left(due, 60, dt.date(2026, 6, 1)) == -1


def test_an_invoice_is_insured_when_issued_under_the_limit_on_terms_within_the_maximum():
    base = dict(due_date=dt.date(2026, 4, 1), state="granted", valid_from=JAN, valid_to=DEC, withdrawn_on=None,
                policy_from=JAN, policy_to=DEC, max_credit_days=90)
    assert rules.invoice_insured(issue_date=dt.date(2026, 3, 1), **base)
    assert not rules.invoice_insured(issue_date=dt.date(2025, 12, 1), **base)          # before the limit
    assert not rules.invoice_insured(issue_date=dt.date(2026, 1, 1), **{**base, "max_credit_days": 60})  # 90 days
    assert rules.invoice_insured(issue_date=dt.date(2026, 3, 1), **{**base, "state": "expired"})
    withdrawn = {**base, "state": "withdrawn", "withdrawn_on": dt.date(2026, 3, 1)}
    assert rules.invoice_insured(issue_date=dt.date(2026, 2, 28), **withdrawn)
    assert not rules.invoice_insured(issue_date=dt.date(2026, 3, 1), **withdrawn)
    assert not rules.invoice_insured(issue_date=dt.date(2026, 3, 1), **{**base, "state": "requested"})
