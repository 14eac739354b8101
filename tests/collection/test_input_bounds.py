"""Input hardening: business dates in a plausible range, numbers in ASCII digits only, no negative zero.

Dates such as 0001-01-01 or 9999-12-31 are refused for invoices, payments, claims, promises (and
delegations, in tests/credit); fullwidth digits (``１２３``) are not read as numbers by the API, the pages or
the one parse helper (``money.to_decimal``); ``-0.00`` comes out as ``0.00``.
"""
import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from collection import services
from collection.models import Invoice, Payment
from creditportal.core import dates, money
from creditportal.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db
FAR = ["0001-01-01", "1899-12-31", "9999-12-31"]


def _invoice(customer, **extra):
    return {"customer": customer.pk, "number": "INV-B1", "issue_date": "2026-05-01", "due_date": "2026-06-01",
            "amount": "100.00", "currency": "CNY", **extra}


@pytest.mark.parametrize("day", FAR)
@pytest.mark.parametrize("field", ["issue_date", "due_date"])
def test_invoice_dates_out_of_range_refused_by_the_api(users, api_for, customer, today, day, field):
    answer = api_for(users["rm"]).post("/api/v1/invoices/", _invoice(customer, **{field: day}), format="json")
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["errors"]
    assert not Invoice.objects.exists()


@pytest.mark.parametrize("day", FAR)
def test_payment_and_claim_dates_out_of_range_refused(users, api_for, customer, today, day):
    api = api_for(users["rm"])
    answer = api.post("/api/v1/payments/", {"customer": customer.pk, "received_on": day, "amount": "10.00",
                                            "currency": "CNY"}, format="json")
    assert answer.status_code == 400 and "received_on" in answer.json()["errors"], answer.content
    assert not Payment.objects.exists()
    with pytest.raises(ValidationFailed) as refused:
        services.claim_payout_create(actor=users["rm"], customer=customer, amount="10", reason="x",
                                     paid_on=dt.date.fromisoformat(day))
    assert "paid_on" in refused.value.field_errors


def test_promise_date_out_of_range_refused(users, customer, make_invoice, today):
    make_invoice(customer, days_past_due=40)
    case = services.case_open(actor=users["collector"], customer=customer)
    case = services.case_start(actor=users["collector"], case=case)
    with pytest.raises(ValidationFailed) as refused:
        services.promise_add(actor=users["collector"], case=case, promised_date=dt.date(9999, 12, 31), amount="10")
    assert "promised_date" in refused.value.field_errors
    assert services.promise_add(actor=users["collector"], case=case, promised_date=today + dt.timedelta(days=7),
                                amount="10")


def test_plausible_range_follows_the_settings(settings, today):
    settings.BUSINESS_DATE_EARLIEST = "2000-01-01"
    settings.BUSINESS_DATE_YEARS_AHEAD = 5
    assert dates.plausible_range() == (dt.date(2000, 1, 1), dt.date(2031, 6, 30))
    assert dates.is_plausible(dt.date(2031, 6, 30)) and not dates.is_plausible(dt.date(2031, 7, 1))
    assert not dates.is_plausible(dt.date(1999, 12, 31))


@pytest.mark.parametrize("amount", ["１２３.00", "１0.00", "٣.00"])
def test_fullwidth_digits_are_not_numbers_in_the_api(users, api_for, customer, today, amount):
    answer = api_for(users["rm"]).post("/api/v1/invoices/", _invoice(customer, amount=amount), format="json")
    assert answer.status_code == 400 and "amount" in answer.json()["errors"], answer.content
    answer = api_for(users["rm"]).post("/api/v1/payments/", {"customer": customer.pk, "received_on": "2026-06-01",
                                                             "amount": amount, "currency": "CNY"}, format="json")
    assert answer.status_code == 400 and "amount" in answer.json()["errors"], answer.content
    assert not Invoice.objects.exists() and not Payment.objects.exists()


def test_fullwidth_digits_are_not_numbers_on_the_pages(users, client, customer, today):
    client.force_login(users["rm"])
    page = client.post(reverse("collection:payment_create"), {
        "customer": customer.pk, "received_on": "2026-06-01", "amount": "１２３", "currency": "CNY"},
        HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "Enter an amount, e.g. 1,234,567.89 or 120 万元." in page.content.decode()
    assert not Payment.objects.exists()


def test_one_parse_helper_ascii_only_and_no_negative_zero():
    for text in ("１２３", "１２.５", "٣"):
        with pytest.raises(ValueError):
            money.to_decimal(text)
    zero = money.to_decimal("-0.00")
    assert zero == 0 and not zero.is_signed() and str(zero) == "0.00"
    assert str(money.to_decimal("1,234.50")) == "1234.50"
    assert money.to_decimal(Decimal("-0")).is_signed() is False


def test_number_fields_refuse_fullwidth_and_negative_zero():
    from credit.api import CollateralSerializer
    from creditportal.core import api, forms

    assert forms.DecimalField(max_digits=10, decimal_places=2).clean("-0.00").is_signed() is False
    with pytest.raises(Exception):
        forms.DecimalField().clean("１２３")
    with pytest.raises(Exception):
        forms.IntegerField().clean("１２")
    assert forms.IntegerField().clean("12") == 12
    field = api.DecimalField(max_digits=10, decimal_places=2)
    assert field.run_validation("-0.00").is_signed() is False
    with pytest.raises(Exception):
        field.run_validation("１２３")
    with pytest.raises(Exception):
        api.IntegerField().run_validation("１２")
    # a ModelSerializer builds its number fields from the ASCII-only classes
    body = CollateralSerializer(data={"kind": "real_estate", "market_value": "-0.00", "currency": "CNY",
                                      "haircut": "0.3", "valuation_date": "2026-01-01"})
    assert isinstance(body.fields["market_value"], api.DecimalField)
    assert body.is_valid(), body.errors
    assert not body.validated_data["market_value"].is_signed()
    assert not CollateralSerializer(data={"kind": "real_estate", "market_value": "１２", "currency": "CNY",
                                          "haircut": "0.3", "valuation_date": "2026-01-01"}).is_valid()
