"""The statement of account (对账单, issue 21): the customer's ledger for a period in each currency, the invoices
open at its end with their days past due, a reply slip; refused outside the portfolio and for a bad period."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from collection.models import Invoice, Payment, PaymentAllocation
from reports.documents.statement import statement_context

from .test_rating_report import pdf_text

pytestmark = pytest.mark.django_db


def _invoice(customer, users, number, issued, due, amount, currency="CNY", paid="0"):
    return Invoice.objects.create(number=number, customer=customer, issue_date=issued, due_date=due,
                                  amount=D(amount), currency=currency, paid_amount=D(paid), created_by=users["rm"])


def _payment(customer, users, invoice, on, amount):
    payment = Payment.objects.create(customer=customer, received_on=on, amount=D(amount), currency=invoice.currency,
                                     reference=f"BANK-{on:%m%d}", allocated_amount=D(amount), created_by=users["rm"])
    PaymentAllocation.objects.create(payment=payment, invoice=invoice, amount=D(amount))
    return payment


@pytest.fixture
def account(make_customer, users, today):
    customer = make_customer()
    old = _invoice(customer, users, "INV-OLD", dt.date(2026, 6, 1), dt.date(2026, 7, 1), "1000", paid="1000")
    _payment(customer, users, old, dt.date(2026, 7, 20), "1000")  # paid inside the period
    a = _invoice(customer, users, "INV-A", dt.date(2026, 7, 5), dt.date(2026, 8, 4), "5000", paid="2000")
    _payment(customer, users, a, dt.date(2026, 8, 20), "2000")
    _invoice(customer, users, "INV-B", dt.date(2026, 9, 10), dt.date(2026, 10, 10), "3000")
    _invoice(customer, users, "INV-USD", dt.date(2026, 8, 1), dt.date(2026, 8, 31), "200", currency="USD")
    return customer


def test_the_ledger_adds_up(account):
    context = statement_context(account, dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    cny, usd = context["sections"]
    assert cny["currency"] == "CNY" and cny["opening"] == "1,000.00"  # INV-OLD, issued before the period
    assert [line["reference"] for line in cny["lines"]] == ["INV-A", "BANK-0720", "BANK-0820", "INV-B"]
    assert cny["debits"] == "8,000.00" and cny["credits"] == "3,000.00" and cny["closing"] == "6,000.00"
    assert [(r["number"], r["outstanding"], r["days"]) for r in cny["open_invoices"]] == [
        ("INV-A", "3,000.00", 57), ("INV-B", "3,000.00", 0)]
    assert cny["overdue"] == "3,000.00"
    assert usd["closing"] == "200.00" and usd["open_invoices"][0]["days"] == 30


def test_a_payment_after_the_end_does_not_change_the_statement(account):
    context = statement_context(account, dt.date(2026, 7, 1), dt.date(2026, 8, 10))
    cny = context["sections"][0]
    assert [(r["number"], r["outstanding"]) for r in cny["open_invoices"]] == [("INV-A", "5,000.00")]


def test_the_pdf_in_both_languages_for_the_collector(account, users, client_for, tmp_path):
    url = reverse("reports:statement_of_account", args=[account.pk])
    client = client_for(users["collector"])
    zh = client.get(url, {"start": "2026-07-01", "end": "2026-09-30", "lang": "zh-hans"})
    assert zh.status_code == 200 and zh["Content-Type"] == "application/pdf"
    text = pdf_text(zh.content, tmp_path)
    for expected in ("对账单", "期初余额", "期末余额", "INV-A", "6,000.00", "盖章"):
        assert expected in text, expected
    en = pdf_text(client.get(url, {"start": "2026-07-01", "end": "2026-09-30", "lang": "en"}).content, tmp_path)
    assert "Statement of account" in en and "Opening balance" in en
    assert AuditEvent.objects.filter(verb="statement_of_account", object_id=str(account.pk)).count() == 2


@pytest.mark.parametrize("query", [{"start": "2026-09-30", "end": "2026-07-01"}, {"end": "2099-01-01"},
                                   {"start": "not-a-date"}])
def test_a_bad_period_is_refused(account, users, client_for, query):
    response = client_for(users["collector"]).get(reverse("reports:statement_of_account", args=[account.pk]), query)
    assert response.status_code == 400


def test_refused_outside_the_portfolio_and_to_roles_without_invoices(account, users, client_for):
    url = reverse("reports:statement_of_account", args=[account.pk])
    assert client_for(users["rm2"]).get(url).status_code == 404
    assert client_for(users["rm"]).get(url).status_code == 200
