import datetime as dt
from decimal import Decimal as D

import pytest

from creditportal.core import clock
from tests.factories import CustomerFactory

TODAY = dt.date(2026, 6, 30)


@pytest.fixture
def today():
    clock.set_today(TODAY)
    return TODAY


@pytest.fixture
def make_customer(users):
    factory = CustomerFactory(users["rm"], name="华东机械有限公司", registration="REG{n}", name_en="Customer {n}")

    def make(name=None, rm=None, industry="C", **extra):
        return factory(name, rm=rm, industry_section=industry, **extra)

    return make


@pytest.fixture
def customer(make_customer):
    return make_customer()


@pytest.fixture
def make_invoice(users, today):
    from collection import services

    counter = {"n": 0}

    def make(customer, amount="1000.00", days_past_due=0, issue_days_before_due=30, currency="CNY", number=None):
        counter["n"] += 1
        due = today - dt.timedelta(days=days_past_due)
        return services.invoice_create(actor=customer.relationship_manager, customer=customer, number=number or f"INV-{counter['n']:04d}",
                                       issue_date=due - dt.timedelta(days=issue_days_before_due), due_date=due,
                                       amount=D(amount), currency=currency)

    return make


@pytest.fixture
def policy(db):
    """The default policy shipped by the data migration (re-created if a transactional test flushed it)."""
    from importlib import import_module

    from django.apps import apps

    from collection.models import DunningPolicy

    if not DunningPolicy.objects.filter(name_en="Standard").exists():
        import_module("collection.migrations.0002_default_dunning_policy").forwards(apps, None)
        import_module("collection.migrations.0009_names_in_two_languages").split_names(apps, None)
    return DunningPolicy.objects.get(name_en="Standard")


@pytest.fixture(autouse=True)
def _english_messages():
    """Service messages are asserted in English; pages and API follow the request's language."""
    from django.utils import translation

    with translation.override("en"):
        yield
