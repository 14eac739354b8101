"""Fixtures of the reports tests: a Chinese customer with three annual statements and an approved rating.

PDF renders are slow on the shared machine: the module-level tests render as few documents as they can.
"""
import datetime as dt
from decimal import Decimal

import pytest

from creditportal.core import clock
from tests import factories
from tests.factories import CustomerFactory

TODAY = dt.date(2026, 10, 15)
CUSTOMER_NAME = "华夏精密制造有限公司"


def statement_values(scale: Decimal):
    base = dict(cash=Decimal("2000"), receivables=Decimal("1500"), inventory=Decimal("1000"),
                current_assets=Decimal("6000"), total_assets=Decimal("10000"), short_term_debt=Decimal("500"),
                current_liabilities=Decimal("2500"), long_term_debt=Decimal("500"),
                total_liabilities=Decimal("3500"), equity=Decimal("6500"), revenue=Decimal("20000"),
                cost_of_sales=Decimal("15000"), operating_profit=Decimal("2000"), interest_expense=Decimal("100"),
                profit_before_tax=Decimal("1900"), net_profit=Decimal("1500"), operating_cash_flow=Decimal("1200"))
    values = {k: (v * scale).quantize(Decimal("0.01")) for k, v in base.items()}
    values["total_liabilities"] = values["total_assets"] - values["equity"]
    return values


@pytest.fixture
def today():
    clock.set_today(TODAY)
    return TODAY


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path


@pytest.fixture
def make_customer(users, today):
    factory = CustomerFactory(users["rm"], name=CUSTOMER_NAME, registration="HK{n:06d}", country="HK",
                              legal_representative="张伟", address="上海市浦东新区世纪大道 100 号")

    def make(name=CUSTOMER_NAME, *, manager="rm", name_en="Huaxia Precision Manufacturing Co., Ltd."):
        customer = factory(name, rm=users[manager], name_en=name_en)
        for year, scale in ((2023, Decimal("0.85")), (2024, Decimal("0.93")), (2025, Decimal("1"))):
            factories.statement(customer, period_end=dt.date(year, 12, 31), audited=True, created_by=users["rm"],
                                **statement_values(scale))
        return customer

    return make


@pytest.fixture
def approve_rating(users, today):
    """``approve_rating(customer, on=date)`` → an approved rating through the ratings services."""
    from ratings import selectors, services
    from ratings.models import FactorKind

    def make(customer, *, on=None):
        if on:
            clock.set_today(on)
        rating = services.rating_start(actor=users["analyst"], customer=customer)
        for factor in rating.model_definition["factors"]:
            if factor["kind"] == FactorKind.QUALITATIVE:
                services.expert_score_set(actor=users["analyst"], rating=rating, factor_code=factor["code"], score=4,
                                          comment="管理层稳定")
                services.expert_score_set(actor=users["analyst2"], rating=rating, factor_code=factor["code"], score=3)
        rating.refresh_from_db()
        services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
        # the experts (analyst, analyst2) are among the rating's makers: an approver decides
        rating = services.rating_approve(actor=users["approver1"], rating=rating, note="同意 / agreed")
        clock.set_today(TODAY)
        return selectors.current_rating(customer) if rating.state == "approved" else rating

    return make
