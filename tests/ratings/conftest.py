import datetime as dt
from decimal import Decimal

import pytest

from creditportal.core import clock
from tests import factories
from tests.factories import CustomerFactory

TODAY = dt.date(2026, 6, 30)


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are asserted in English (pages and API follow the request's language otherwise)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def today():
    clock.set_today(TODAY)
    return TODAY


@pytest.fixture
def make_customer(users, today):
    """``make_customer(name, strength="good")`` → a customer with one annual statement (a fixed set of ratios)."""
    factory = CustomerFactory(users["rm"], name="Customer {n}", registration="REG{n:05d}", country="HK")

    def make(name=None, *, strength="good", size="medium", industry="C", period_end=dt.date(2025, 12, 31),
             manager=None):
        customer = factory(name, rm=manager, industry_section=industry, size=size)
        if strength is not None:
            factories.statement(customer, period_end=period_end, created_by=users["rm"], **STATEMENTS[strength])
        return customer

    return make


STATEMENTS = {
    "good": dict(cash=Decimal("2000"), receivables=Decimal("1500"), inventory=Decimal("1000"),
                 current_assets=Decimal("6000"), total_assets=Decimal("10000"), short_term_debt=Decimal("500"),
                 current_liabilities=Decimal("2500"), long_term_debt=Decimal("500"),
                 total_liabilities=Decimal("3500"), equity=Decimal("6500"), revenue=Decimal("20000"),
                 cost_of_sales=Decimal("15000"), operating_profit=Decimal("2000"), interest_expense=Decimal("100"),
                 profit_before_tax=Decimal("1900"), net_profit=Decimal("1500"),
                 operating_cash_flow=Decimal("1200")),
    "weak": dict(cash=Decimal("100"), receivables=Decimal("3000"), inventory=Decimal("3000"),
                 current_assets=Decimal("6500"), total_assets=Decimal("10000"), short_term_debt=Decimal("4000"),
                 current_liabilities=Decimal("8000"), long_term_debt=Decimal("1000"),
                 total_liabilities=Decimal("9500"), equity=Decimal("500"), revenue=Decimal("8000"),
                 cost_of_sales=Decimal("7600"), operating_profit=Decimal("100"), interest_expense=Decimal("300"),
                 profit_before_tax=Decimal("-200"), net_profit=Decimal("-200"),
                 operating_cash_flow=Decimal("-300")),
}

QUALITATIVE = ["management", "market_position", "industry_outlook", "legal_compliance"]


@pytest.fixture
def scored_rating(users, make_customer, expert2):
    """``scored_rating(customer=None, maker="analyst", score=4)`` → a draft with every expert score given (by the
    maker and ``expert2``)."""
    from ratings import services

    def make(customer=None, maker="analyst", score=4):
        customer = customer or make_customer()
        rating = services.rating_start(actor=users[maker], customer=customer)
        for code in QUALITATIVE:
            services.expert_score_set(actor=users[maker], rating=rating, factor_code=code, score=score)
            services.expert_score_set(actor=expert2, rating=rating, factor_code=code, score=score)
        rating.refresh_from_db()
        return rating

    return make


@pytest.fixture
def approved_rating(users, scored_rating):
    from ratings import services

    def make(customer=None, maker="analyst", checker="analyst2"):
        rating = scored_rating(customer, maker)
        services.rating_submit(actor=users[maker], rating=rating, rationale="经营稳定 / stable business")
        return services.rating_approve(actor=users[checker], rating=rating)

    return make
