"""Fixtures of the insurance tests: a Sinosure policy (90% insured, notify within 60 days past due, claim within
120), a customer with a facility and a granted buyer limit."""
import datetime as dt
from decimal import Decimal as D

import pytest

from creditportal.core import clock
from insurance.models import BuyerLimit, InsurancePolicy
from tests.factories import CustomerFactory, facility

TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def today():
    clock.set_today(TODAY)
    return TODAY


@pytest.fixture
def make_customer(users):
    return CustomerFactory(users["rm"], registration="INS{n}", size="large")


@pytest.fixture
def sinosure(db, today):
    return InsurancePolicy.objects.create(
        insurer="中国出口信用保险公司", policy_number="SIN-2026-01", insured_share=D("90"), max_credit_days=180,
        notification_days=60, claim_days=120, valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 12, 31))


@pytest.fixture
def insured(users, make_customer, sinosure, today):
    """A customer with a 1,000,000 CNY facility and a granted 600,000 CNY buyer limit."""
    customer = make_customer("华东贸易有限公司")
    facility(customer, "1000000", start=dt.date(2026, 1, 1), expiry=dt.date(2027, 1, 1), status="active")
    BuyerLimit.objects.create(policy=sinosure, customer=customer, amount=D("600000"), currency="CNY",
                              valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 12, 31), state="granted",
                              created_by=users["analyst"])
    return customer


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are asserted in English."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
