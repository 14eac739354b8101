"""The providers collection registers for ratings and credit return the DESIGN §3 numbers on known data."""
import datetime as dt
from decimal import Decimal as D

import pytest

from collection import services
from creditportal.models import FxRate

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

d = dt.date


@pytest.fixture
def history(users, customer, make_customer, today):
    FxRate.objects.create(base_currency="USD", quote_currency="CNY", rate=D("7"), valid_on=d(2026, 1, 1))
    rm = users["rm"]

    def inv(number, amount, due, currency="CNY", c=customer):
        return services.invoice_create(actor=rm, customer=c, number=number, issue_date=due - dt.timedelta(days=30),
                                       due_date=due, amount=amount, currency=currency)

    i1 = inv("H-1", "1000.00", d(2026, 3, 1))
    i2 = inv("H-2", "2000.00", d(2026, 4, 1))
    inv("H-3", "1000.00", d(2026, 5, 1))  # unpaid
    i4 = inv("H-4", "100.00", d(2026, 5, 15), "USD")
    old = inv("H-0", "5000.00", d(2025, 1, 1))  # due before the window: ignored
    pay = services.payment_post
    pay(actor=rm, customer=customer, amount="1000.00", received_on=d(2026, 3, 1), allocations=[(i1.pk, "1000.00")])
    pay(actor=rm, customer=customer, amount="1000.00", received_on=d(2026, 4, 6), allocations=[(i2.pk, "1000.00")])
    pay(actor=rm, customer=customer, amount="1000.00", received_on=d(2026, 4, 11), allocations=[(i2.pk, "1000.00")])
    pay(actor=rm, customer=customer, amount="100.00", received_on=d(2026, 5, 14), currency="USD",
        allocations=[(i4.pk, "100.00")])
    pay(actor=rm, customer=customer, amount="5000.00", received_on=d(2026, 6, 1), allocations=[(old.pk, "5000.00")])
    services.claim_payout_create(actor=rm, customer=customer, amount="100.00", paid_on=d(2026, 3, 10),
                                 reason="quality claim", invoice=i1)
    services.claim_payout_create(actor=rm, customer=customer, amount="50.00", paid_on=d(2025, 1, 10),
                                 reason="old claim", invoice=old)
    quiet = make_customer("无发票公司")
    return customer, quiet


def test_payment_behaviour_provider(history, django_assert_max_num_queries):
    """Collection reads the rows (two queries, whatever the number of customers); the ratings engine applies
    DESIGN §3. Rating date 2026-06-30, grace 30 days: invoices due in (2025-05-31, 2026-05-31]."""
    from ratings.engine.behaviour import behaviour_window, evaluate_behaviour
    from ratings.providers import PAYMENT_BEHAVIOUR, behaviour_facts_for

    customer, quiet = history
    window = behaviour_window(d(2026, 6, 30))
    with django_assert_max_num_queries(2):
        rows = list(PAYMENT_BEHAVIOUR.get().behaviour_rows([customer.pk, quiet.pk], window.due_after, window.due_until))
    assert [customer_id for customer_id, _i, _c in rows] == [customer.pk]  # no invoice due → not available
    invoices = {i.key: i for i in rows[0][1]}
    assert len(invoices) == 4 and all(len(i.payments) <= 2 for i in invoices.values())
    with django_assert_max_num_queries(3):  # the rows and the FX rates
        facts = behaviour_facts_for([customer.pk, quiet.pk], window)
    assert quiet.pk not in facts
    f = facts[customer.pk]
    assert f.invoice_count == 4
    assert f.amount_due == D("4700.00")  # 1000 + 2000 + 1000 + 100 USD × 7
    assert f.amount_received == D("3700.00")  # H-3 (1000) is unpaid
    assert f.claim_payouts == D("100.00")  # the old claim is on an invoice outside the window
    # 1000 × 0 + 1000 × 5 + 1000 × 10 + 1000 unpaid × 60 days to the rating date + 700 early × 0
    assert f.days_late_numerator == D("75000.00") and f.days_late_denominator == D("4700.00")
    assert f.max_days_late == 60
    result = evaluate_behaviour(f, None)
    # (3700 − 100) / 4700 = 76.60 % → D; 75000 / 4700 = 15.96 → 16 days → D
    assert result.as_dict()["net_collection_rate"] == "0.7660" and result.days_late == 16
    assert result.letters == "DD-"


def test_open_receivables_provider(users, customer, make_customer, today, django_assert_max_num_queries):
    from credit import providers
    from credit.models import Facility

    FxRate.objects.create(base_currency="USD", quote_currency="CNY", rate=D("7"), valid_on=d(2026, 1, 1))
    facility = Facility.objects.create(customer=customer, limit=D("100000"), currency="CNY",
                                       start_date=d(2026, 1, 1), expiry_date=d(2026, 12, 31))
    rm = users["rm"]
    a = services.invoice_create(actor=rm, customer=customer, number="F-1", issue_date=today, due_date=today,
                                amount="1000.00", facility=facility)
    services.invoice_create(actor=rm, customer=customer, number="F-2", issue_date=today, due_date=today,
                            amount="100.00", currency="USD", facility=facility)
    services.invoice_create(actor=rm, customer=customer, number="F-3", issue_date=today, due_date=today,
                            amount="50.00")
    services.payment_post(actor=rm, customer=customer, amount="400.00", received_on=today,
                          allocations=[(a.pk, "400.00")])
    other = make_customer("其他")
    with django_assert_max_num_queries(4):
        by_facility = providers.open_amounts_by_facility([facility.pk, 999999])
        by_customer = providers.open_amounts_by_customer([customer.pk, other.pk])
    assert by_facility == {facility.pk: D("1300.00")}  # 600 + 100 USD × 7
    assert sorted(by_customer[customer.pk], key=lambda x: x[1]) == [(D("650.00"), "CNY"), (D("100.00"), "USD")]
    assert other.pk not in by_customer


def test_invoice_of_other_customers_facility_refused(users, customer, make_customer, today):
    from credit.models import Facility

    from creditportal.core.errors import ValidationFailed

    facility = Facility.objects.create(customer=make_customer("别家"), limit=D("1"), currency="CNY",
                                       start_date=today, expiry_date=today)
    with pytest.raises(ValidationFailed):
        services.invoice_create(actor=users["rm"], customer=customer, number="F-9", issue_date=today,
                                due_date=today, amount="1", facility=facility)


def test_suspend_deliveries_level_calls_credit_as_system_user(users, customer, make_invoice, today, policy,
                                                                django_capture_on_commit_callbacks):
    from credit.models import Facility

    from collection.models import DunningLevel

    DunningLevel.objects.create(policy=policy, order=5, name="暂停交货", days_past_due=90, action="suspend_deliveries")
    facility = Facility.objects.create(customer=customer, limit=D("100000"), currency="CNY",
                                       start_date=d(2026, 1, 1), expiry_date=d(2026, 12, 31))
    make_invoice(customer, "1000.00", days_past_due=95)
    with django_capture_on_commit_callbacks(execute=True):
        services.dunning_run(as_of=today)
    facility.refresh_from_db()
    assert facility.status == "suspended"


def test_beat_entry_registered():
    from config.celery import app

    assert app.conf.beat_schedule["collection-daily"]["task"] == "collection.daily"


def test_daily_task_runs_once_per_business_date(users, customer, make_invoice, today, policy):
    from collection import tasks
    from collection.models import DunningAction

    make_invoice(customer, "1000.00", days_past_due=20)
    result = tasks.daily()
    assert result["created"] == 1
    assert tasks.daily() is None  # the same business date: nothing runs twice
    assert DunningAction.objects.count() == 1
