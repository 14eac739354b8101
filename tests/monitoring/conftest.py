"""Builders for monitoring tests: rows of the lower apps written directly (their services are tested there)."""
import datetime as dt
import itertools
from decimal import Decimal as D

import pytest

from creditportal.core import clock
from tests import factories

TODAY = dt.date(2026, 6, 30)
_seq = itertools.count(1)


def _code():
    return f"{next(_seq):06d}"


@pytest.fixture(autouse=True)
def _shipped_defaults(request):
    """The shipped rules and rates (a data migration) again, since transactional tests flush every table."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")
    from monitoring.defaults import ensure_defaults
    from monitoring.models import ProvisionRate, WarningRule

    ensure_defaults(WarningRule, ProvisionRate)


@pytest.fixture
def today():
    clock.set_today(TODAY)
    return TODAY


class Builder:
    def __init__(self, users):
        self.users = users
        self.rm = users["rm"]

    def customer(self, name=None, *, industry="C", group=None, rm=None, status="active"):
        n = _code()
        return factories.customer(name=name or f"客户{n}", registration_number=f"R{n}",
                                  relationship_manager=rm or self.rm, country="HK", industry_section=industry,
                                  status=status, group=group)

    def group(self, name=None):
        from customers.models import CustomerGroup

        return CustomerGroup.objects.create(name=name or f"集团{_code()}")

    def invoice(self, customer, amount="1000", *, days_past_due=0, currency="CNY", paid="0"):
        return factories.invoice(customer, amount, number=f"INV{_code()}",
                                 due=TODAY - dt.timedelta(days=days_past_due), currency=currency,
                                 paid_amount=D(paid), created_by=self.rm)

    def rating(self, customer, grade, *, state="approved", approved_on=None, review_due=None):
        # the shipped model, or a stand-in when a transactional test elsewhere flushed it
        model = factories.rating_model(self.users["riskadmin"])
        approved_on = approved_on or TODAY - dt.timedelta(days=10)
        return factories.stored_rating(
            customer, model=model, state=state, score="50", grade=grade, letter=grade[0], pd="0.01",
            created_by=self.users["analyst"], approved_on=approved_on if state in ("approved", "superseded") else None,
            review_due=review_due or TODAY + dt.timedelta(days=180))

    def statement(self, customer, period_end, *, equity="500", net_profit="10", current_assets="200",
                  current_liabilities="100", period_type="annual"):
        equity = D(equity)
        return factories.statement(
            customer, period_end=period_end, period_type=period_type, total_assets=D("1000"),
            total_liabilities=D("1000") - equity, equity=equity, net_profit=D(net_profit),
            current_assets=D(current_assets), current_liabilities=D(current_liabilities), created_by=self.rm)

    def facility(self, customer, limit="10000", *, expiry_days=365, currency="CNY", application=None,
                 status="active"):
        return factories.facility(customer, limit, currency=currency, start=TODAY - dt.timedelta(days=30),
                                  expiry=TODAY + dt.timedelta(days=expiry_days), application=application,
                                  status=status)

    def order(self, facility, amount, *, days_ago=0):
        from django.utils import timezone

        from credit.models import Order

        order = Order.objects.create(facility=facility, reference=f"O{_code()}", amount=D(amount),
                                     currency=facility.currency, created_by=self.rm)
        when = timezone.make_aware(dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(12)))
        Order.objects.filter(pk=order.pk).update(created_at=when)
        return order

    def application(self, customer, *, grade="BBB", min_coverage=None):
        from credit.models import CreditApplication, CreditPolicy, PolicyGradeRule

        policy = None
        if min_coverage is not None:
            policy = CreditPolicy.objects.create(name="P", version=next(_seq), effective_from=TODAY,
                                                 created_by=self.users["riskadmin"], status="in_force")
            PolicyGradeRule.objects.create(policy=policy, grade=grade, min_coverage=D(min_coverage))
        return CreditApplication.objects.create(customer=customer, amount=D("10000"), term_months=12, purpose="x",
                                                created_by=self.rm, status="facility_opened", policy=policy,
                                                rating_grade=grade)

    def collateral(self, application, value, *, haircut="0", revaluation_days=100):
        from credit.models import Collateral

        return Collateral.objects.create(application=application, kind="deposit", market_value=D(value),
                                         haircut=D(haircut), valuation_date=TODAY - dt.timedelta(days=10),
                                         revaluation_due=TODAY + dt.timedelta(days=revaluation_days))

    def negative_record(self, customer, *, days_ago=5):
        from customers.models import NegativeRecord

        return NegativeRecord.objects.create(customer=customer, kind="litigation",
                                             occurred_on=TODAY - dt.timedelta(days=days_ago), source="court",
                                             recorded_by=self.rm)

    def document(self, customer, *, expires_in_days):
        from customers.models import CustomerDocument

        return CustomerDocument.objects.create(
            customer=customer, doc_type="business_licence", file="x.pdf", original_name="x.pdf",
            content_type="application/pdf", size=1, sha256="0" * 64,
            expires_on=TODAY + dt.timedelta(days=expires_in_days), uploaded_by=self.rm)

    def breach(self, customer, application, *, days_ago=5):
        from credit.models import Covenant, CovenantBreach

        covenant = Covenant.objects.create(application=application, ratio="current_ratio", comparison=">=",
                                           threshold=D("1.2"))
        return CovenantBreach.objects.create(covenant=covenant, customer=customer, statement_id=next(_seq),
                                             value=D("0.9"), tested_on=TODAY - dt.timedelta(days=days_ago))


@pytest.fixture
def build(users, today):
    return Builder(users)


@pytest.fixture
def system(db):
    from accounts.system import system_user

    return system_user()
