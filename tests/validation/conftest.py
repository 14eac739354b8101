"""Fixtures for model validation: the shipped (active) corporate model, customers, historical ratings
written straight into the table (the backtest only reads them), invoices and a credit policy in force."""
import datetime as dt
from decimal import Decimal as D

import pytest

from creditportal.core import clock
from tests import factories
from tests.factories import CustomerFactory

TODAY = dt.date(2026, 6, 30)


@pytest.fixture
def today(db):
    clock.set_today(TODAY)
    return TODAY


@pytest.fixture
def active_model(db):
    from ratings.models import RatingModel

    return RatingModel.objects.get(code="corporate", state="active")


@pytest.fixture
def make_customer(users):
    factory = CustomerFactory(users["rm"], registration="V{n:05d}", country="HK")

    def make(name=None):
        return factory(name)

    return make


@pytest.fixture
def make_rating(users, active_model):
    """``make_rating(customer, day, score, grade, state="superseded")`` → a stored rating (no workflow)."""
    from django.utils import timezone

    from ratings.engine.scale import Scale

    scale = Scale.default()

    def make(customer, day, score, grade, *, state="superseded", superseded_on=None, points=None, model=None):
        g = scale.get(grade)
        factors = [{"code": code, "points": str(p)} for code, p in (points or {}).items()]
        superseded_at = None
        if state == "superseded":
            superseded_on = superseded_on or day + dt.timedelta(days=200)
            superseded_at = timezone.make_aware(dt.datetime.combine(superseded_on, dt.time(12)))
        return factories.stored_rating(
            customer, model=model or active_model, state=state, result={"factors": factors}, score=score,
            grade=grade, letter=g.letter, pd=g.pd, created_by=users["analyst"], approved_by=users["analyst2"],
            approved_on=day, superseded_at=superseded_at)

    return make


@pytest.fixture
def make_invoice(users):
    from collection.models import Invoice

    numbers = factories.sequence()

    def make(customer, due, amount="1000.00", paid_on=None, currency="CNY"):
        invoice = factories.invoice(customer, amount, number=f"VAL-{next(numbers)}", due=due, currency=currency,
                                    created_by=users["rm"])
        if paid_on is not None:
            Invoice.objects.filter(pk=invoice.pk).update(paid_on=paid_on, paid_amount=D(amount), status="paid")
        return invoice

    return make


@pytest.fixture
def policy_in_force(users, today):
    """A credit policy in force since 2026-01-01: A grades up to 10m, B grades up to 2m, C grades 0.5m, D none."""
    from credit import services

    rules = [{"grade": g, "max_limit": D("10000000")} for g in ("AAA", "AA", "A")]
    rules += [{"grade": g, "max_limit": D("2000000")} for g in ("BBB", "BB", "B")]
    rules += [{"grade": g, "max_limit": D("500000")} for g in ("CCC", "CC", "C")]
    policy = services.policy_create(actor=users["riskadmin"], name="Policy 2026", effective_from=dt.date(2026, 1, 1),
                                    rules=rules)
    return services.policy_activate(actor=users["approver1"], policy=policy)


@pytest.fixture
def make_facility():
    def make(customer, limit, currency="CNY"):
        return factories.facility(customer, limit, currency=currency, start=dt.date(2026, 1, 1),
                                  expiry=dt.date(2027, 1, 1))

    return make
