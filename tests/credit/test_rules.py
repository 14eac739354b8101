"""The pure credit rules: authority matrix → required levels, policy check, collateral, limits, covenants."""
import datetime as dt
from decimal import Decimal as D

import pytest

from credit import rules

M = D("1000000")
MATRIX = [rules.Level(1, 5 * M, "BB"), rules.Level(2, 20 * M, "B"), rules.Level(3, None, "CCC")]


def need(amount, grade="A", group=D("0"), **kw):
    return rules.required_levels(levels=MATRIX, amount=D(amount), group_exposure=D(group), grade=grade, **kw).levels


@pytest.mark.parametrize("amount, expected", [
    ("1", 1), ("4999999.99", 1), ("5000000", 1), ("5000000.01", 2), ("19999999.99", 2), ("20000000", 2),
    ("20000000.01", 3), ("999999999", 3),
])
def test_required_levels_at_and_around_each_amount_boundary(amount, expected):
    assert need(amount) == expected


@pytest.mark.parametrize("amount, group, expected", [
    ("1000000", "4000000", 1),         # 5m in total: still level 1
    ("1000000", "4000000.01", 2),      # just above: level 2
    ("1000000", "19000000", 2),
    ("1000000", "19000000.01", 3),
    ("0.01", "30000000", 3),
])
def test_group_exposure_adds_to_the_amount(amount, group, expected):
    assert need(amount, group=group) == expected


@pytest.mark.parametrize("grade, expected", [("AAA", 1), ("BB", 1), ("B", 2), ("CCC", 3), ("CC", None), ("D", None)])
def test_weaker_grades_need_higher_levels(grade, expected):
    assert need("100", grade=grade) == expected


def test_policy_exception_needs_the_top_level_and_a_decrease_one_level():
    assert need("100", exception=True) == 3
    assert need("100000000", grade="CCC", decrease=True) == 1
    assert rules.required_levels(levels=[], amount=D(1), grade="A").levels is None


def test_grade_and_amount_together():
    assert need("6000000", grade="B") == 2
    assert need("21000000", grade="B") == 3


L1, L2, L3 = MATRIX


def test_one_authority_rule_own_level_delegation_capped_and_no_entry():
    # no entry, no delegation: no authority at all (not "unlimited")
    assert rules.authority(None).level is None
    assert not rules.authority(None).covers(D("0.01"))
    # own entry
    assert rules.authority(L1).covers(5 * M) and not rules.authority(L1).covers(D("5000000.01"))
    assert rules.authority(L3).covers(10**6 * M)  # the top level has no upper limit
    # a delegation of level 3 from a level-2 delegator lends level 2 only (capped at the delegator's authority)
    capped = rules.authority(None, [(L3, L2, 7)])
    assert capped.number == 2 and capped.delegator_id == 7
    assert capped.covers(20 * M) and not capped.covers(D("20000000.01"))
    # a delegator who no longer has authority lends nothing
    assert rules.authority(None, [(L2, None, 7)]).level is None
    # own level 1 + a delegated level 2: the higher wins; a lower delegation does not lower one's own
    assert rules.authority(L1, [(L2, L3, 8)]).number == 2
    assert rules.authority(L2, [(L1, L3, 8)]) == rules.Authority(L2)


def test_delegation_period():
    start, end = dt.date(2026, 1, 1), dt.date(2026, 1, 31)
    assert rules.delegation_active(start, end, dt.date(2026, 1, 31))
    assert not rules.delegation_active(start, end, dt.date(2026, 2, 1))
    assert not rules.delegation_active(start, end, dt.date(2025, 12, 31))
    assert not rules.delegation_active(start, end, dt.date(2026, 1, 15), revoked=True)


def test_lendable_value_and_coverage():
    assert rules.lendable_value(D("1000000"), D("0.3")) == D("700000.00")
    assert rules.coverage_ratio(D("500"), D("1000")) == D("0.5000")
    assert rules.coverage_ratio(D("1"), D("0")) is None
    with pytest.raises(ValueError):
        rules.lendable_value(D("1"), D("1.5"))


RULE = rules.GradeRule(grade="A", max_limit=10 * M, max_limit_hard=True, max_equity_share=D("0.5"),
                       max_revenue_share=D("0.2"), share_hard=False, max_term_months=24, term_hard=False,
                       min_coverage=D("0.3"), coverage_hard=False)


def check(**kw):
    base = dict(rule=RULE, amount=2 * M, term_months=12, coverage=D("0.5"), equity=10 * M, revenue=20 * M)
    base.update(kw)
    return rules.policy_check(**base)


def test_policy_within_every_rule_passes():
    result = check()
    assert result.violations == () and not result.blocked and not result.needs_exception


def test_hard_violation_blocks():
    result = check(amount=D("10000000.01"), equity=100 * M, revenue=100 * M)
    assert [v.code for v in result.hard] == ["max_limit"]
    assert result.blocked and not result.needs_exception


@pytest.mark.parametrize("kw, code", [
    ({"amount": D("5000000.01"), "revenue": 100 * M}, "max_equity_share"),
    ({"amount": D("4000000.01")}, "max_revenue_share"),
    ({"term_months": 25}, "max_term"),
    ({"coverage": D("0.2999")}, "min_coverage"),
    ({"coverage": None}, "min_coverage"),
    ({"equity": None}, "equity_unknown"),
])
def test_soft_violations_need_an_exception(kw, code):
    result = check(**kw)
    assert code in [v.code for v in result.soft]
    assert result.needs_exception and not result.blocked


def test_at_the_boundaries_nothing_is_violated():
    assert check(amount=4 * M, term_months=24, coverage=D("0.3"), group_exposure=9 * M,
                 group_limit=9 * M).violations == ()


def test_grade_without_rule_or_not_eligible_is_hard():
    assert rules.policy_check(rule=None, amount=D(1), term_months=1, coverage=None).blocked
    no = rules.GradeRule(grade="D", eligible=False)
    assert rules.policy_check(rule=no, amount=D(1), term_months=1, coverage=None).blocked


def test_limit_decision():
    ok = rules.limit_decision(amount=D("100"), limit=D("1000"), utilised=D("900"))
    assert ok.allowed and ok.free == D("100")
    over = rules.limit_decision(amount=D("100.01"), limit=D("1000"), utilised=D("900"))
    assert over.reasons == ("over_free_limit",)
    group = rules.limit_decision(amount=D("10"), limit=D("1000"), utilised=D("0"), group_limit=D("500"),
                                 group_utilised=D("495"))
    assert group.reasons == ("over_group_limit",)
    status = rules.limit_decision(amount=D("1"), limit=D("1000"), utilised=D("0"), status_reasons=["suspended"])
    assert not status.allowed and status.reasons == ("suspended",)
    assert rules.utilisation_share(D("1000"), D("250")) == D("25.0")
    assert rules.utilisation_share(D("1000"), D("2000")) == D("100")


def test_covenants():
    from customers.rules import compute_ratios

    ratios = compute_ratios({"total_liabilities": D("600"), "equity": D("400"), "total_assets": D("1000")})
    assert ratios["debt_to_equity"] == D("1.5000")
    assert ratios["current_ratio"] is None
    assert rules.covenant_holds(ratios["debt_to_equity"], "<=", D("2")) is True
    assert rules.covenant_holds(ratios["debt_to_equity"], "<=", D("1")) is False
    assert rules.covenant_holds(None, "<=", D("1")) is None


def test_covenant_on_negative_or_zero_equity_is_a_breach_not_a_pass():
    from customers.rules import compute_ratios, equity_depleted

    values = {"total_liabilities": D("1200"), "equity": D("-200"), "total_assets": D("1000")}
    ratios = compute_ratios(values)
    assert ratios["debt_to_equity"] is None  # no meaning, never −6.0
    assert equity_depleted(values) and equity_depleted({"equity": D("0")}) and not equity_depleted({"equity": D(1)})
    assert rules.covenant_holds(ratios["debt_to_equity"], "<=", D("2.5"), ratio="debt_to_equity",
                                equity_depleted=True) is False
    # other ratios with missing data stay "cannot be tested"
    assert rules.covenant_holds(None, ">=", D("1"), ratio="current_ratio", equity_depleted=True) is None


# --- Exposure (design brief §3) -----------------------------------------------------------------

def test_exposure_is_max_of_limit_and_usage_plus_pending():
    assert rules.facility_exposure(8 * M, 3 * M) == 8 * M
    assert rules.facility_exposure(8 * M, 9 * M) == 9 * M  # overdrawn: the usage counts
    assert rules.customer_exposure([(8 * M, 3 * M), (2 * M, 5 * M)], [4 * M]) == 17 * M
    assert rules.customer_exposure([]) == 0
    assert rules.pending_addition(amount=4 * M) == 4 * M
    assert rules.pending_addition(amount=12 * M, replaced_limit=8 * M) == 4 * M  # an increase adds the increment
    assert rules.pending_addition(amount=6 * M, replaced_limit=8 * M) == 0
    assert rules.pending_addition(amount=6 * M, decrease=True) == 0
    assert rules.exposure_after(exposure=8 * M, amount=45 * M) == 53 * M
    assert rules.exposure_after(exposure=0, amount=5 * M, replaced_usage=7 * M) == 7 * M


CAP50 = rules.GradeRule(grade="BBB", max_limit=50 * M)


@pytest.mark.parametrize("existing, amount, blocked", [
    (8 * M, 45 * M, True),               # the case: 8M existing + 45M new under a 50M cap
    (8 * M, 42 * M, False),              # exactly at the cap
    (8 * M, D("42000000.01"), True),     # a cent above
    (0, 50 * M, False),
    (0, D("50000000.01"), True),
])
def test_grade_cap_applies_to_exposure_after_the_amount(existing, amount, blocked):
    result = rules.policy_check(rule=CAP50, amount=amount, term_months=12, coverage=None,
                                exposure=rules.exposure_after(exposure=existing, amount=amount))
    assert result.blocked is blocked
    assert ("max_limit" in [v.code for v in result.hard]) is blocked


@pytest.mark.parametrize("group_after, blocked", [(30 * M, False), (D("30000000.01"), True), (29 * M, False)])
def test_group_limit_is_hard(group_after, blocked):
    result = rules.policy_check(rule=rules.GradeRule(grade="A"), amount=M, term_months=12, coverage=None,
                                exposure=M, group_exposure=group_after, group_limit=30 * M)
    assert result.blocked is blocked
    assert not result.needs_exception


def test_a_decrease_never_breaches_a_cap():
    result = rules.policy_check(rule=CAP50, amount=40 * M, term_months=12, coverage=None, exposure=60 * M,
                                group_exposure=90 * M, group_limit=80 * M, decrease=True)
    assert not result.blocked


def test_coverage_counts_collateral_and_guarantees():
    secured = rules.secured_value([D("300")], [D("400")])
    assert rules.coverage_ratio(secured, D("1000")) == D("0.7000")
