"""Fixtures for the credit tests: a customer, an authority matrix (5m / 20m / unlimited CNY), a policy in
force, FX rates, and a stand-in for the ratings app's current rating (set per customer)."""
import datetime as dt
from decimal import Decimal as D
from types import SimpleNamespace

import pytest

from creditportal.core import clock
from tests.config import configured
from tests.factories import CustomerFactory

M = D("1000000")


@pytest.fixture
def ratings_stub(monkeypatch):
    """``ratings_stub[customer.pk] = "A"`` (or a SimpleNamespace) sets the customer's current rating."""
    from credit import selectors

    table = {}

    def rating_of(customer):
        value = table.get(getattr(customer, "pk", customer))
        if isinstance(value, str):
            return SimpleNamespace(pk=None, grade=value, is_expired=False, review_due=None)
        return value

    monkeypatch.setattr(selectors, "current_rating", rating_of)
    monkeypatch.setattr(selectors, "current_ratings", lambda ids: {i: rating_of(i) for i in ids})
    return table


@pytest.fixture
def fx(db):
    from creditportal.models import FxRate

    FxRate.objects.create(valid_on=dt.date(2020, 1, 1), base_currency="USD", quote_currency="CNY", rate=D("7.0"))
    FxRate.objects.create(valid_on=dt.date(2020, 1, 1), base_currency="EUR", quote_currency="CNY", rate=D("8.0"))


@pytest.fixture
def make_customer(users):
    factory = CustomerFactory(users["rm"], registration="R{n}", size="large")

    def make(name=None, rm=None, group=None):
        return factory(name, rm=rm, group=group)

    return make


@pytest.fixture
def customer(make_customer, ratings_stub):
    c = make_customer("华东贸易有限公司")
    ratings_stub[c.pk] = "A"
    return c


@pytest.fixture
def matrix(users):
    from credit import services

    admin = users["riskadmin"]
    levels = [
        configured(services.authority_level_propose(actor=admin, number=1, name="Branch", max_amount=5 * M,
                                                    weakest_grade="BB")),
        configured(services.authority_level_propose(actor=admin, number=2, name="Head office", max_amount=20 * M,
                                                    weakest_grade="B")),
        configured(services.authority_level_propose(actor=admin, number=3, name="Committee", max_amount=None,
                                                    weakest_grade="CCC")),
    ]
    for i, level in enumerate(levels, start=1):
        configured(services.approver_authority_propose(actor=admin, user=users[f"approver{i}"], level=level))
    return levels


GRADE_RULES = [
    {"grade": g, "max_limit": str(limit), "max_term_months": 36, "min_coverage": cov, "pricing_spread_bps": bps,
     "review_months": months}
    for g, limit, cov, bps, months in [
        ("AAA", 100 * M, None, 50, 12), ("AA", 80 * M, None, 60, 12), ("A", 50 * M, None, 80, 12),
        ("BBB", 30 * M, "0.2", 120, 6), ("BB", 20 * M, "0.3", 150, 6), ("B", 10 * M, "0.5", 200, 6),
        ("CCC", 2 * M, "1.0", 400, 3),
    ]
]


@pytest.fixture
def policy(users):
    from credit import services

    p = services.policy_create(actor=users["riskadmin"], name="Policy 2026", effective_from=dt.date(2020, 1, 1),
                               rules=GRADE_RULES)
    return services.policy_activate(actor=users["approver1"], policy=p)


@pytest.fixture
def setup(users, matrix, policy, customer, fx):
    return SimpleNamespace(users=users, matrix=matrix, policy=policy, customer=customer)


@pytest.fixture
def new_application(setup):
    from credit import services

    def make(amount="1000000", currency="CNY", customer=None, maker=None, **kw):
        kw.setdefault("term_months", 12)
        kw.setdefault("purpose", "Working capital for the 2026 season")
        return services.application_create(actor=maker or setup.users["rm"], customer=customer or setup.customer,
                                           amount=amount, currency=currency, **kw)

    return make


@pytest.fixture
def to_pending(setup):
    """Submit, review and recommend an application: it waits for level 1 of n."""
    from credit import services

    def run(app, maker=None, analyst=None, exception_reason=""):
        users = setup.users
        app = services.application_submit(actor=maker or users["rm"], application=app,
                                          exception_reason=exception_reason)
        app = services.application_start_review(actor=analyst or users["analyst"], application=app)
        return services.application_recommend(actor=analyst or users["analyst"], application=app,
                                              opinion="Sound trading history; recommend.")

    return run


@pytest.fixture(autouse=True)
def _fixed_business_date():
    clock.set_today(dt.date(2026, 6, 15))
    yield
    clock.set_today(None)


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are asserted in English; one test checks the Chinese pages explicitly."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
