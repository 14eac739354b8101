"""Covenants are tested on the credit file's ratios (``customers.rules``), not on copies of their own."""
import datetime as dt
from decimal import Decimal as D

import pytest

from credit import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def opened(setup, new_application, to_pending):
    def make(ratio, comparison, threshold):
        app = to_pending(new_application(covenants=[{"ratio": ratio, "comparison": comparison,
                                                     "threshold": threshold}]))
        return services.application_approve(actor=setup.users["approver1"], application=app)

    return make


def statement(setup, **values):
    from customers.models import FinancialStatement

    return FinancialStatement.objects.create(customer=setup.customer, period_end=dt.date(2025, 12, 31),
                                             created_by=setup.users["rm"], **{k: D(v) for k, v in values.items()})


def test_negative_equity_breaches_the_debt_to_equity_covenant(setup, opened):
    """Liabilities 1,200 on equity −200 gave D/E −6.0, so "D/E ≤ 2.5" held."""
    opened("debt_to_equity", "<=", "2.5")
    s = statement(setup, total_assets="1000", total_liabilities="1200", equity="-200")
    breaches = services.covenants_test_statement(actor=services.system_actor(), statement_id=s.pk)
    assert len(breaches) == 1 and breaches[0].value is None   # no meaningful ratio, recorded as a breach


def test_zero_equity_breaches_too(setup, opened):
    opened("debt_to_equity", "<=", "2.5")
    zero = statement(setup, total_assets="1000", total_liabilities="1000", equity="0")
    assert len(services.covenants_test_statement(actor=services.system_actor(), statement_id=zero.pk)) == 1


def test_interest_coverage_is_the_credit_files(setup, opened):
    """EBIT / interest with EBIT = profit before tax + interest (the credit file's definition), not
    operating profit / interest."""
    from customers.selectors import ratios_for_statements

    opened("interest_coverage", ">=", "3")
    # credit file: (100 + 50) / 50 = 3.0 → holds; the old copy read operating profit 120 / 50 = 2.4 → breach
    s = statement(setup, total_assets="1000", total_liabilities="500", equity="500", operating_profit="120",
                  profit_before_tax="100", interest_expense="50")
    credit_file = ratios_for_statements([s.pk])[s.pk]["ratios"]["interest_coverage"]
    assert credit_file == D("3.0000")
    assert services.covenants_test_statement(actor=services.system_actor(), statement_id=s.pk) == []


def test_interest_coverage_breach_records_the_credit_files_value(setup, opened):
    from customers.selectors import ratios_for_statements

    opened("interest_coverage", ">=", "4")
    s = statement(setup, total_assets="1000", total_liabilities="500", equity="500", operating_profit="200",
                  profit_before_tax="100", interest_expense="50")
    breaches = services.covenants_test_statement(actor=services.system_actor(), statement_id=s.pk)
    assert [b.value for b in breaches] == [ratios_for_statements([s.pk])[s.pk]["ratios"]["interest_coverage"]]
    assert breaches[0].value == D("3.0000")


def test_equity_ratio_and_net_worth_covenants(setup, opened):
    opened("equity_ratio", ">=", "0.3")
    s = statement(setup, total_assets="1000", total_liabilities="750", equity="250")
    breaches = services.covenants_test_statement(actor=services.system_actor(), statement_id=s.pk)
    assert [b.value for b in breaches] == [D("0.2500")]
