import datetime as dt
from decimal import Decimal

from customers import selectors


def test_latest_ratios_for_is_set_wise(users, make_customer, make_statement, django_assert_num_queries):
    a, b, empty = make_customer(), make_customer(manager=users["rm2"]), make_customer()
    make_statement(a, year=2022, revenue=Decimal("1000"), net_profit=Decimal("100"))
    latest = make_statement(a, year=2023, unit=1000)
    make_statement(a, year=2023, consolidated=True)  # consolidated wins for the same period
    make_statement(b, year=2023, total_liabilities=Decimal("1100"), current_liabilities=Decimal("300"),
                   equity=Decimal("-100"), net_profit=Decimal("-20"))
    make_statement(b, year=2022)
    with django_assert_num_queries(2):  # the kept analyses; the statements of the customer without one (empty)
        result = selectors.latest_ratios_for([a.pk, b.pk, empty.pk])
    assert set(result) == {a.pk, b.pk}
    assert result[a.pk]["consolidated"] is True and result[a.pk]["statement_id"] != latest.pk
    assert result[a.pk]["period_end"] == dt.date(2023, 12, 31)
    assert result[a.pk]["ratios"]["current_ratio"] == Decimal("2.0000")
    assert result[b.pk]["negative_equity"] is True
    assert result[b.pk]["loss_after_profit"] is True
    assert result[b.pk]["ratios"]["debt_to_equity"] is None


def test_growth_uses_yuan_across_units(users, make_customer, make_statement):
    customer = make_customer()
    make_statement(customer, year=2022, unit=1000)  # revenue 1,200 thousand
    make_statement(customer, year=2023, unit=1, revenue=Decimal("1440000"), total_assets=Decimal("1000000"),
                   total_liabilities=Decimal("500000"), equity=Decimal("500000"), current_assets=Decimal("600000"),
                   cash=Decimal("1"), receivables=Decimal("1"), inventory=Decimal("1"))
    ratios = selectors.latest_ratios_for([customer.pk])[customer.pk]["ratios"]
    assert ratios["revenue_growth"] == Decimal("0.2000")


def test_credit_file_flags(users, make_customer, make_statement):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from customers import services

    fresh, stale, none = make_customer(), make_customer(), make_customer()
    make_statement(fresh, year=2023)
    make_statement(stale, year=2021)
    services.document_upload(actor=users["rm"], customer=fresh, doc_type="business_licence",
                             uploaded_file=SimpleUploadedFile("l.pdf", b"%PDF-1.4 x", content_type="application/pdf"),
                             expires_on=dt.date(2024, 1, 31))
    flags = selectors.credit_file_flags_for([fresh.pk, stale.pk, none.pk], on_date=dt.date(2024, 6, 1))
    assert flags[fresh.pk]["statements_stale"] is False
    assert len(flags[fresh.pk]["expired_document_ids"]) == 1
    assert flags[stale.pk]["statements_stale"] is True
    assert flags[none.pk]["statements_stale"] is True and flags[none.pk]["latest_period_end"] is None
