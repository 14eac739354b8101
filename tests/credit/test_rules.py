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


def test_effective_level_and_delegation_period():
    assert rules.effective_level(1, [3]) == 3
    assert rules.effective_level(None, []) is None
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
    ({"group_limit_free": D("1999999")}, "group_limit"),
])
def test_soft_violations_need_an_exception(kw, code):
    result = check(**kw)
    assert code in [v.code for v in result.soft]
    assert result.needs_exception and not result.blocked


def test_at_the_boundaries_nothing_is_violated():
    assert check(amount=4 * M, term_months=24, coverage=D("0.3"), group_limit_free=4 * M).violations == ()


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
    ratios = rules.statement_ratios({"total_liabilities": D("600"), "equity": D("400"), "total_assets": D("1000")})
    assert ratios["debt_to_equity"] == D("1.5000")
    assert ratios["current_ratio"] is None
    assert rules.covenant_holds(ratios["debt_to_equity"], "<=", D("2")) is True
    assert rules.covenant_holds(ratios["debt_to_equity"], "<=", D("1")) is False
    assert rules.covenant_holds(None, "<=", D("1")) is None
