"""Builders for the ECL tests: rows of the lower apps written directly (their services are tested there)."""
import datetime as dt
import itertools
from decimal import Decimal as D

import pytest

from creditportal.core import clock
from tests import factories

TODAY = dt.date(2026, 6, 15)
_seq = itertools.count(1)


def _code():
    return f"{next(_seq):06d}"


@pytest.fixture
def today():
    clock.set_today(TODAY)
    return TODAY


class Builder:
    def __init__(self, users):
        self.users = users
        self.rm = users["rm"]

    def customer(self, name=None, *, industry="C"):
        n = _code()
        return factories.customer(name=name or f"客户{n}", registration_number=f"R{n}", relationship_manager=self.rm,
                                  country="HK", industry_section=industry)

    def invoice(self, customer, amount, *, issued, due, currency="CNY"):
        return factories.invoice(customer, amount, number=f"INV{_code()}", issued=issued, due=due, currency=currency,
                                 created_by=self.rm)

    def pay(self, invoice, amount, *, on):
        from collection.models import Payment, PaymentAllocation

        payment = Payment.objects.create(customer=invoice.customer, received_on=on, amount=D(amount),
                                         currency=invoice.currency, allocated_amount=D(amount), created_by=self.rm)
        PaymentAllocation.objects.create(payment=payment, invoice=invoice, amount=D(amount))
        type(invoice).objects.filter(pk=invoice.pk).update(paid_amount=D(amount))
        return payment

    def rating(self, customer, letter, *, approved_on):
        return factories.stored_rating(
            customer, model=factories.rating_model(self.users["riskadmin"]), grade=letter, letter=letter, pd="0.5",
            score="10", created_by=self.users["analyst"], approved_on=approved_on,
            review_due=approved_on + dt.timedelta(days=30))


@pytest.fixture
def build(users):
    return Builder(users)


@pytest.fixture
def published(build, users, today):
    """The published provision-matrix example: one customer per bucket at 2026-05-31 (and a month of history)."""
    from provisions import services

    amounts = {0: "15000000.00", 10: "7500000.00", 45: "4000000.00", 75: "2500000.00", 120: "1000000.00"}
    period = dt.date(2026, 5, 31)
    for days, amount in amounts.items():
        customer = build.customer()
        due = period - dt.timedelta(days=days)
        build.invoice(customer, amount, issued=due - dt.timedelta(days=400), due=due)
    for month in (dt.date(2026, 4, 30), period):
        services.snapshot_take(actor=users["riskadmin"], period=month)
    return period


PUBLISHED_OVERRIDE = {"current": "0.003", "d1_30": "0.016", "d31_60": "0.036", "d61_90": "0.066", "d91_180": "0.106"}
