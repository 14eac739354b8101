"""Invoices, payments and allocation through the services: rules, refusals, nothing saved on error."""
import datetime as dt
from decimal import Decimal as D

import pytest

from collection import services
from collection.models import Invoice, Payment, PaymentAllocation
from creditportal.core.errors import NotAllowed, ValidationFailed

pytestmark = pytest.mark.django_db


def test_payment_allocated_oldest_first(users, customer, make_invoice, today, django_capture_on_commit_callbacks):
    old = make_invoice(customer, "100.00", days_past_due=40)
    mid = make_invoice(customer, "200.00", days_past_due=10)
    new = make_invoice(customer, "300.00", days_past_due=-10)
    received = []
    from creditportal.core import events

    events.subscribe("collection.payment_posted", lambda **kw: received.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        payment = services.payment_post(actor=users["rm"], customer=customer, amount="250.00", received_on=today)
    for inv in (old, mid, new):
        inv.refresh_from_db()
    assert old.status == "paid" and old.paid_on == today and old.paid_amount == D("100.00")
    assert mid.status == "open" and mid.paid_amount == D("150.00")
    assert new.paid_amount == D("0")
    assert payment.allocated_amount == D("250.00")
    assert {"payment_id": payment.pk, "customer_id": customer.pk} in received


def test_explicit_allocation_and_unapplied_rest(users, customer, make_invoice, today):
    old = make_invoice(customer, "100.00", days_past_due=40)
    new = make_invoice(customer, "300.00", days_past_due=-10)
    payment = services.payment_post(actor=users["rm"], customer=customer, amount="400.00", received_on=today,
                                    allocations=[(new.pk, "300.00")])
    new.refresh_from_db()
    old.refresh_from_db()
    assert new.status == "paid" and old.status == "open"
    assert payment.unallocated == D("100.00")


@pytest.mark.parametrize("allocation,message", [
    (lambda a, b, other: [(a.pk, "150.00")], "still owes"),
    (lambda a, b, other: [(a.pk, "100.00"), (b.pk, "100.00")], "exceed the payment"),
    (lambda a, b, other: [(other.pk, "10.00")], "another customer"),
    (lambda a, b, other: [(a.pk, "-5.00")], "greater than zero"),
])
def test_bad_allocation_refused_and_nothing_saved(users, customer, make_customer, make_invoice, today, allocation,
                                                  message):
    a = make_invoice(customer, "100.00", days_past_due=40)
    b = make_invoice(customer, "100.00", days_past_due=20)
    other = make_invoice(make_customer("另一家公司"), "100.00", days_past_due=5)
    with pytest.raises(ValidationFailed) as exc:
        services.payment_post(actor=users["rm"], customer=customer, amount="150.00", received_on=today,
                              allocations=allocation(a, b, other))
    assert message in str(exc.value.message)
    assert Payment.objects.count() == 0 and PaymentAllocation.objects.count() == 0
    assert set(Invoice.objects.values_list("paid_amount", flat=True)) == {D("0")}


@pytest.mark.parametrize("amount", ["-10", "0", "abc", "1.001"])
def test_bad_payment_amount_refused(users, customer, today, amount):
    with pytest.raises(ValidationFailed):
        services.payment_post(actor=users["rm"], customer=customer, amount=amount, received_on=today)
    assert Payment.objects.count() == 0


def test_negative_invoice_refused(users, customer, today):
    with pytest.raises(ValidationFailed):
        services.invoice_create(actor=users["rm"], customer=customer, number="X1", issue_date=today,
                                due_date=today, amount="-1")
    assert Invoice.objects.count() == 0


def test_invoice_issued_in_the_future_refused(users, customer, today):
    """An invoice dated after the business date was accepted (it then aged as 'current' for months)."""
    with pytest.raises(ValidationFailed) as exc:
        services.invoice_create(actor=users["rm"], customer=customer, number="F1",
                                issue_date=today + dt.timedelta(days=1), due_date=today + dt.timedelta(days=31),
                                amount="10")
    assert "issue_date" in exc.value.field_errors
    services.invoice_create(actor=users["rm"], customer=customer, number="F2", issue_date=today,
                            due_date=today + dt.timedelta(days=30), amount="10")
    content = "number,customer_id,issue_date,due_date,amount,currency\n" \
              f"F3,{customer.pk},{today + dt.timedelta(days=1)},{today + dt.timedelta(days=31)},10.00,CNY\n"
    with pytest.raises(services.ImportRefused) as refused:
        services.invoices_import(actor=users["rm"], content=content)
    assert refused.value.rows == [(2, "issue date after today")]
    assert list(Invoice.objects.values_list("number", flat=True)) == ["F2"]


def test_other_portfolio_refused(users, customer, today):
    with pytest.raises(NotAllowed):
        services.invoice_create(actor=users["rm2"], customer=customer, number="X1", issue_date=today,
                                due_date=today, amount="10")


def test_invoice_import_all_or_nothing(users, customer, make_customer, today):
    other_rm_customer = make_customer(rm=users["rm2"])
    good = "number,customer_id,issue_date,due_date,amount,currency\n" \
           f"A-1,{customer.pk},2026-05-01,2026-05-31,100.00,CNY\n" \
           f"A-2,{customer.pk},2026-05-01,2026-06-30,200.50,USD\n"
    assert services.invoices_import(actor=users["rm"], content=good).created == 2
    bad = "number,customer_id,issue_date,due_date,amount,currency\n" \
          f"B-1,{customer.pk},2026-05-01,2026-05-31,100.00,CNY\n" \
          f"A-1,{customer.pk},2026-05-01,2026-05-31,100.00,CNY\n" \
          f"B-2,{other_rm_customer.pk},2026-05-01,2026-05-31,100.00,CNY\n" \
          f"B-3,{customer.pk},2026-05-31,2026-05-01,-4,XXX\n"
    with pytest.raises(services.ImportRefused) as exc:
        services.invoices_import(actor=users["rm"], content=bad)
    assert [row for row, _msg in exc.value.rows] == [3, 4, 5]
    assert "already exists" in exc.value.rows[0][1]
    assert Invoice.objects.count() == 2


def test_payment_import_all_or_nothing(users, customer, make_invoice, today):
    inv = make_invoice(customer, "100.00", days_past_due=5, number="P-1")
    bad = "customer_id,received_on,amount,currency,reference,invoice_number\n" \
          f"{customer.pk},{today},60.00,CNY,r1,P-1\n" \
          f"{customer.pk},{today},60.00,CNY,r2,P-1\n" \
          f"{customer.pk},2099-01-01,abc,CNY,r3,\n"
    with pytest.raises(services.ImportRefused) as exc:
        services.payments_import(actor=users["rm"], content=bad)
    assert [row for row, _msg in exc.value.rows] == [3, 4]
    assert Payment.objects.count() == 0
    ok = "customer_id,received_on,amount,currency,reference,invoice_number\n" \
         f"{customer.pk},{today},60.00,CNY,r1,P-1\n{customer.pk},{today},40.00,CNY,r2,\n"
    assert services.payments_import(actor=users["rm"], content=ok).created == 2
    inv.refresh_from_db()
    assert inv.status == "paid"


def test_imports_name_the_customer_by_id_or_unified_social_credit_code(users, make_customer, make_invoice, today):
    """A collector's bank statement or an ERP export carries the credit code, not the portal's id: both work,
    in either case of letters; another portfolio's customer is refused the same way by either."""
    from customers.validators import complete_credit_code

    mine = make_customer(credit_code=complete_credit_code("91350100M000100Y4"))
    others = make_customer(rm=users["rm2"], credit_code=complete_credit_code("91110108MA01ABCDE"))
    invoices = "number,customer_id,issue_date,due_date,amount,currency\n" \
               f"C-1,{mine.credit_code},2026-05-01,2026-05-31,100.00,CNY\n" \
               f"C-2,{mine.credit_code.lower()},2026-05-01,2026-06-30,50.00,CNY\n" \
               f"C-3,{mine.pk},2026-05-01,2026-06-30,25.00,CNY\n"
    assert services.invoices_import(actor=users["rm"], content=invoices).created == 3
    assert set(Invoice.objects.filter(number__startswith="C-").values_list("customer_id", flat=True)) == {mine.pk}
    refused = "number,customer_id,issue_date,due_date,amount,currency\n" \
              f"D-1,{others.credit_code},2026-05-01,2026-05-31,100.00,CNY\n" \
              "D-2,91350100M000100Y4X,2026-05-01,2026-05-31,100.00,CNY\n"
    with pytest.raises(services.ImportRefused) as exc:
        services.invoices_import(actor=users["rm"], content=refused)
    assert [row for row, _msg in exc.value.rows] == [2, 3]
    assert all("not in your portfolio" in msg for _row, msg in exc.value.rows)
    payments = "customer_id,received_on,amount,currency,reference,invoice_number\n" \
               f"{mine.credit_code},{today},100.00,CNY,bank-1,C-1\n"
    assert services.payments_import(actor=users["rm"], content=payments).created == 1
    assert Payment.objects.get(reference="bank-1").customer_id == mine.pk
