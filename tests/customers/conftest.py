import datetime as dt
from decimal import Decimal

import pytest

from customers import services
from tests.factories import domestic_customer
from tests.factories import next_credit_code as next_code  # noqa: F401 - used by the tests


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are asserted in English; one test checks the Chinese pages explicitly."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def make_customer(users):
    def make(manager=None, **fields):
        return domestic_customer(manager or users["rm"], **fields)

    return make


BALANCED = dict(
    cash=Decimal("100"), receivables=Decimal("200"), inventory=Decimal("150"), current_assets=Decimal("600"),
    total_assets=Decimal("1000"), short_term_debt=Decimal("100"), current_liabilities=Decimal("300"),
    long_term_debt=Decimal("200"), total_liabilities=Decimal("500"), equity=Decimal("500"),
    revenue=Decimal("1200"), cost_of_sales=Decimal("900"), operating_profit=Decimal("130"),
    interest_expense=Decimal("20"), profit_before_tax=Decimal("120"), net_profit=Decimal("90"),
    operating_cash_flow=Decimal("110"), investing_cash_flow=Decimal("-40"), financing_cash_flow=Decimal("10"),
)


def statement_data(year=2023, **overrides):
    data = dict(period_end=dt.date(year, 12, 31), period_type="annual", audited=True, consolidated=False,
                currency="CNY", unit=1, **BALANCED)
    data.update(overrides)
    return data


@pytest.fixture
def make_statement(users):
    def make(customer, actor=None, **overrides):
        return services.statement_create(actor=actor or customer.relationship_manager, customer=customer,
                                         **statement_data(**overrides))

    return make
