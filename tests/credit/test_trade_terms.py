"""Trade credit by grade (issue 23): payment terms and deposits in the policy, the payment term an application
asks for (refused or routed as a policy exception at the boundary) and the proposed limit with its arithmetic."""
import datetime as dt
from decimal import Decimal as D

import pytest

from credit import rules
from creditportal.core.errors import ValidationFailed
from tests.factories import invoice, statement

pytestmark = pytest.mark.django_db

M = D("1000000")


# --- the pure rules --------------------------------------------------------------------------------------

def _rule(**kw):
    return rules.GradeRule(grade="A", max_limit=50 * M, **kw)


@pytest.mark.parametrize("days, hard, expected", [
    (60, False, None), (61, False, "soft"), (60, True, None), (61, True, "hard"),
])
def test_payment_term_at_and_beyond_the_grade_maximum(days, hard, expected):
    result = rules.policy_check(rule=_rule(max_payment_term_days=60, payment_term_hard=hard), amount=M,
                                term_months=12, coverage=None, payment_term_days=days)
    found = [v for v in result.violations if v.code == "max_payment_term"]
    assert (found[0].severity if found else None) == expected
    if found:
        assert (found[0].limit, found[0].actual) == ("60", "61")


def test_no_payment_term_asked_or_set_breaks_nothing():
    assert not rules.policy_check(rule=_rule(), amount=M, term_months=12, coverage=None,
                                  payment_term_days=365).violations
    assert not rules.policy_check(rule=_rule(max_payment_term_days=30), amount=M, term_months=12,
                                  coverage=None).violations


def test_above_the_proposed_limit_is_a_soft_exception_equal_is_within():
    at = rules.policy_check(rule=_rule(), amount=D("323333.33"), term_months=12, coverage=None,
                            proposed_limit=D("323333.33"))
    above = rules.policy_check(rule=_rule(), amount=D("323333.34"), term_months=12, coverage=None,
                               proposed_limit=D("323333.33"))
    assert not at.violations
    assert [(v.code, v.severity) for v in above.violations] == [("above_proposed_limit", "soft")]
    assert above.needs_exception and not above.blocked
    decrease = rules.policy_check(rule=_rule(), amount=D("400000"), term_months=12, coverage=None,
                                  proposed_limit=D("1"), decrease=True)
    assert not decrease.violations


def test_sales_days_sizing_by_hand():
    """100,000 a month × (60 days' term + 37 days late) / 30 = 100,000 × 97 / 30 = 323,333.333… → 323,333.33."""
    sizing = rules.size_limit(method=rules.SIZING_SALES_DAYS, cap=50 * M, monthly_sales=D("100000"),
                              sales_source="expected", payment_term_days=60, term_source="application", days_late=37)
    assert sizing.limit == sizing.uncapped == D("323333.33") and not sizing.capped
    assert [s["code"] for s in sizing.steps] == ["monthly_sales", "payment_term", "days_late", "sales_days", "cap"]
    assert sizing.steps[3]["days"] == "97"


def test_sales_days_without_history_counts_no_days_late_and_is_capped():
    """2,000,000 a month × (90 + 0) / 30 = 6,000,000, above the grade's cap of 5,000,000 → 5,000,000."""
    sizing = rules.size_limit(method=rules.SIZING_SALES_DAYS, cap=5 * M, monthly_sales=2 * M,
                              payment_term_days=90, days_late=None)
    assert sizing.uncapped == 6 * M and sizing.limit == 5 * M and sizing.capped
    assert sizing.steps[2] == {"code": "days_late", "value": "0", "source": ""}


def test_equity_and_revenue_share_sizing_by_hand():
    """Equity 12,345,678.90 × 0.25 = 3,086,419.725 → 3,086,419.73; revenue 80,000,000 × 0.1 = 8,000,000,
    capped at 5,000,000; a negative equity proposes 0."""
    equity = rules.size_limit(method=rules.SIZING_EQUITY, cap=50 * M, equity=D("12345678.90"), share=D("0.25"))
    assert equity.limit == D("3086419.73")
    revenue = rules.size_limit(method=rules.SIZING_REVENUE, cap=5 * M, revenue=80 * M, share=D("0.1"))
    assert (revenue.uncapped, revenue.limit) == (8 * M, 5 * M)
    assert rules.size_limit(method=rules.SIZING_EQUITY, equity=D("-5"), share=D("0.5")).limit == D("0.00")


def test_sizing_says_what_is_missing():
    assert rules.size_limit(method=rules.SIZING_EQUITY, equity=None, share=D("0.2")).missing == "equity"
    assert rules.size_limit(method=rules.SIZING_SALES_DAYS, monthly_sales=None, payment_term_days=30).missing \
        == "monthly_sales"
    assert rules.size_limit(method=rules.SIZING_SALES_DAYS, monthly_sales=M, payment_term_days=None).missing \
        == "payment_term"


def test_monthly_credit_sales_prefers_the_expected_figure():
    assert rules.monthly_credit_sales(expected=D("50000"), history_sales=D("1200000"), history_months=12) \
        == (D("50000.00"), "expected")
    assert rules.monthly_credit_sales(expected=None, history_sales=D("1200000"), history_months=12) \
        == (D("100000.00"), "history")
    assert rules.monthly_credit_sales(expected=None, history_sales=None, history_months=12) == (None, "")


# --- the policy carries the terms -------------------------------------------------------------------------

def _policy_with(users, grade_a, **extra):
    from credit import services

    from .conftest import GRADE_RULES

    rows = [dict(r, **grade_a) if r["grade"] == "A" else r for r in GRADE_RULES]
    policy = services.policy_create(actor=users["riskadmin"], name="Terms 2026", effective_from=dt.date(2026, 1, 1),
                                    rules=rows)
    return services.policy_activate(actor=users["approver1"], policy=policy)


@pytest.fixture
def terms_policy(setup):
    return _policy_with(setup.users, {"max_payment_term_days": 60, "payment_term_hard": False,
                                      "deposit_percent": "10", "sizing_method": "sales_days"})


def test_policy_rule_keeps_terms_and_activation_takes_four_eyes(setup):
    from creditportal.core.errors import NotAllowed
    from credit import services

    from .conftest import GRADE_RULES

    rows = [dict(r, max_payment_term_days=45, deposit_percent="20") for r in GRADE_RULES]
    draft = services.policy_create(actor=setup.users["riskadmin"], name="Terms", effective_from=dt.date(2026, 1, 1),
                                   rules=rows)
    rule = draft.rules.get(grade="A")
    assert (rule.max_payment_term_days, rule.deposit_percent) == (45, D("20.00"))
    with pytest.raises(NotAllowed):
        services.policy_activate(actor=setup.users["riskadmin"], policy=draft)


@pytest.mark.parametrize("bad", [
    {"deposit_percent": "100.01"}, {"deposit_percent": "-1"}, {"max_payment_term_days": 0},
    {"max_payment_term_days": 3651}, {"sizing_method": "guess"}, {"sizing_method": "equity_share"},
    {"sizing_method": "revenue_share", "sizing_share": "11"},
])
def test_bad_term_rules_are_refused_and_change_nothing(setup, bad):
    from credit import services
    from credit.models import CreditPolicy

    before = CreditPolicy.objects.count()
    with pytest.raises(ValidationFailed):
        services.policy_create(actor=setup.users["riskadmin"], name="Bad", effective_from=dt.date(2026, 1, 1),
                               rules=[{"grade": "A", **bad}])
    assert CreditPolicy.objects.count() == before


# --- applications: the payment term at the boundary ---------------------------------------------------------

def test_soft_payment_term_at_max_passes_and_max_plus_one_needs_an_exception_and_the_top_level(
        setup, terms_policy, new_application, to_pending):
    from credit import services

    within = new_application(payment_term_days=60, expected_monthly_sales="10000000")
    within = to_pending(within)
    assert not within.policy_exception and within.required_levels == 1
    beyond = new_application(payment_term_days=61, expected_monthly_sales="10000000")
    with pytest.raises(ValidationFailed) as info:
        services.application_submit(actor=setup.users["rm"], application=beyond)
    assert info.value.code == "exception_required"
    beyond = to_pending(beyond, exception_reason="Seasonal stock: 61 days agreed with sales")
    assert beyond.policy_exception and beyond.required_levels == 3
    codes = [v["code"] for v in beyond.policy_result["violations"]]
    assert codes == ["max_payment_term"]
    assert beyond.policy_result["terms"]["deposit_percent"] == "10.00"


def test_hard_payment_term_at_max_passes_and_max_plus_one_is_refused(setup, new_application, to_pending):
    from credit import services
    from credit.models import CreditApplication

    _policy_with(setup.users, {"max_payment_term_days": 90, "payment_term_hard": True})
    assert not to_pending(new_application(payment_term_days=90)).policy_exception
    app = new_application(payment_term_days=91)
    with pytest.raises(ValidationFailed) as info:
        services.application_submit(actor=setup.users["rm"], application=app, exception_reason="please")
    assert info.value.code == "policy_violation"
    assert CreditApplication.objects.get(pk=app.pk).status == "draft"


@pytest.mark.parametrize("days", ["0", "3651", "x", "-5"])
def test_bad_payment_terms_are_refused(setup, new_application, days):
    with pytest.raises(ValidationFailed) as info:
        new_application(payment_term_days=days)
    assert "payment_term_days" in info.value.field_errors


# --- applications: the proposed limit --------------------------------------------------------------------

def _history(customer, user):
    """Two unpaid invoices in the window (2025-05-16, 2026-05-16] of the business date 2026-06-15:
    800,000 due 2026-05-06 (40 days late) and 400,000 due 2026-05-16 (30 days late).
    Average days late = (800,000 × 40 + 400,000 × 30) / 1,200,000 = 44,000,000 / 1,200,000 = 36.67 → 37;
    monthly credit sales = 1,200,000 / 12 = 100,000."""
    invoice(customer, "800000", number="T-1", due=dt.date(2026, 5, 6), created_by=user)
    invoice(customer, "400000", number="T-2", due=dt.date(2026, 5, 16), created_by=user)


def test_sales_days_sizing_from_the_payment_history(setup, terms_policy, new_application):
    """100,000 × (60 + 37) / 30 = 9,700,000 / 30 = 323,333.33."""
    from credit.services import terms

    _history(setup.customer, setup.users["rm"])
    app = new_application(amount="300000", payment_term_days=60)
    info = terms.application_terms(app)
    assert info["grade"] == "A" and info["terms"]["max_payment_term_days"] == 60
    sizing = info["sizing"]
    assert sizing["limit"] == "323333.33" and sizing["steps"][2]["value"] == "37"
    assert sizing["steps"][0] == {"code": "monthly_sales", "value": "100000.00", "source": "history", "months": "12"}
    words = terms.sizing_words(sizing, "CNY")
    assert words[-1] == "Within the grade's maximum limit CNY 50,000,000.00: proposed CNY 323,333.33."


def test_asking_above_the_proposal_is_an_exception_recorded_with_its_reason(setup, terms_policy, new_application,
                                                                            to_pending):
    """The term defaults to the policy's 60 days: 100,000 × (60 + 37) / 30 = 323,333.33; 400,000 is above it."""
    from credit import services

    _history(setup.customer, setup.users["rm"])
    within = to_pending(new_application(amount="323333.33"))
    assert not within.policy_exception
    assert within.policy_result["sizing"]["steps"][1] == {"code": "payment_term", "value": "60", "source": "policy"}
    above = new_application(amount="400000")
    with pytest.raises(ValidationFailed) as info:
        services.application_submit(actor=setup.users["rm"], application=above)
    assert info.value.code == "exception_required"
    above = to_pending(above, exception_reason="New distribution contract doubles the volume")
    assert above.policy_exception and above.required_levels == 3
    assert above.exception_reason == "New distribution contract doubles the volume"
    assert [v["code"] for v in above.policy_result["violations"]] == ["above_proposed_limit"]


def test_expected_sales_replace_the_history_in_the_application_currency(setup, terms_policy, new_application, fx):
    """USD 20,000 a month at 7.0 = CNY 140,000; × (30 + 37) / 30 = 9,380,000 / 30 = 312,666.67."""
    from credit.services import terms

    _history(setup.customer, setup.users["rm"])
    app = new_application(amount="40000", currency="USD", payment_term_days=30, expected_monthly_sales="20000")
    sizing = terms.application_terms(app)["sizing"]
    assert sizing["limit"] == "312666.67" and sizing["steps"][0]["source"] == "expected"


def test_equity_share_sizing_from_the_latest_statement(setup, new_application):
    """Equity 8,000 thousand yuan = 8,000,000 × 0.3 = 2,400,000."""
    from credit.services import terms

    _policy_with(setup.users, {"sizing_method": "equity_share", "sizing_share": "0.3"})
    statement(setup.customer, period_end=dt.date(2025, 12, 31), created_by=setup.users["rm"], unit=1000,
              total_assets=D("20000"), total_liabilities=D("12000"), equity=D("8000"))
    sizing = terms.application_terms(new_application())["sizing"]
    assert sizing["limit"] == "2400000.00"
    assert terms.sizing_words(sizing, "CNY")[1] == "CNY 8,000,000.00 × 0.3000 = CNY 2,400,000.00."


def test_revenue_share_sizing_capped_by_the_grade(setup, new_application):
    """Revenue 600,000,000 × 0.1 = 60,000,000, above grade A's 50,000,000 → 50,000,000."""
    from credit.services import terms

    _policy_with(setup.users, {"sizing_method": "revenue_share", "sizing_share": "0.1"})
    statement(setup.customer, period_end=dt.date(2025, 12, 31), created_by=setup.users["rm"],
              total_assets=D("900000000"), total_liabilities=D("500000000"), equity=D("400000000"),
              revenue=D("600000000"))
    sizing = terms.application_terms(new_application())["sizing"]
    assert (sizing["uncapped"], sizing["limit"], sizing["capped"]) == ("60000000.00", "50000000.00", True)


def test_no_statement_means_no_proposal_and_no_violation(setup, new_application, to_pending):
    from credit.services import terms

    _policy_with(setup.users, {"sizing_method": "equity_share", "sizing_share": "0.3"})
    app = new_application()
    sizing = terms.application_terms(app)["sizing"]
    assert sizing["limit"] is None and sizing["missing"] == "equity"
    assert terms.sizing_words(sizing, "CNY") == ["No limit can be proposed: No statement with equity."]
    assert not to_pending(app).policy_exception
