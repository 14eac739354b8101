"""Collection lists exported through the shared machinery: content, filter, sort, scoping, audit, queries."""
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from collection import services
from tests.exports import column, export

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(users, make_customer, make_invoice, today):
    mine = make_customer("华东机械有限公司")
    other = make_customer("Other Portfolio Ltd", rm=users["rm2"])
    make_invoice(mine, "1000.00", days_past_due=40, number="INV-A")
    make_invoice(mine, "250.50", days_past_due=0, number="INV-B", currency="EUR")
    make_invoice(other, "777.00", days_past_due=10, number="INV-C")
    services.payment_post(actor=users["rm"], customer=mine, amount=D("100.00"), received_on=today,
                          reference="BANK-1")
    return {"mine": mine, "other": other}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_invoice_export_rows_header_filter_and_sort(client, users, book, fmt):
    client.force_login(users["collector"])
    url = reverse("collection:invoice_list")
    rows = export(client, url, fmt, sort="-amount")
    assert rows[0] == ["Number", "Customer", "Issue date", "Due date", "Amount", "Amount currency", "Outstanding",
                       "Outstanding currency", "Status", "Term (days)"]
    assert column(rows, "Number") == ["INV-A", "INV-C", "INV-B"]
    inv_b = rows[3]
    assert inv_b[1] == "华东机械有限公司" and inv_b[5] == "EUR" and str(inv_b[4]) in ("250.50", "250.5")
    assert len(inv_b[3]) == 10 and inv_b[3][4] == "-"  # ISO date
    rows = export(client, url, fmt, currency="EUR")
    assert column(rows, "Number") == ["INV-B"]
    rows = export(client, url, fmt, sort="number")
    assert column(rows, "Number") == ["INV-A", "INV-B", "INV-C"]


def test_rm_exports_only_own_portfolio(client, users, book):
    client.force_login(users["rm"])
    for fmt in ("csv", "xlsx"):
        rows = export(client, reverse("collection:invoice_list"), fmt)
        assert sorted(column(rows, "Number")) == ["INV-A", "INV-B"]
        rows = export(client, reverse("collection:payment_list"), fmt)
        assert column(rows, "Reference") == ["BANK-1"] and column(rows, "Amount currency") == ["CNY"]
    client.force_login(users["rm2"])
    assert column(export(client, reverse("collection:invoice_list"), "csv"), "Number") == ["INV-C"]
    assert column(export(client, reverse("collection:payment_list"), "csv"), "Reference") == []


def test_export_is_audited_with_filter_and_row_count(client, users, book):
    client.force_login(users["collector"])
    export(client, reverse("collection:invoice_list"), "xlsx", currency="CNY")
    event = AuditEvent.objects.filter(action="export").latest("id")
    assert event.verb == "invoices_xlsx" and event.object_type == "collection.invoice"
    assert event.after == {"currency": "CNY", "format": "xlsx", "rows": 2}


def test_aging_export_keeps_its_urls_and_is_audited(client, users, book):
    client.force_login(users["collector"])
    for name, fmt in (("collection:aging_csv", "csv"), ("collection:aging_xlsx", "xlsx")):
        from tests.exports import rows_of

        rows = rows_of(client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="en"), fmt)
        assert rows[0][0] == "Customer" and rows[-1][0] == "Portfolio"
        assert AuditEvent.objects.filter(action="export", verb=f"aging_{fmt}").exists()
    assert client.get(reverse("collection:aging"), {"export": "csv"}).status_code == 200  # page ignores it


def test_invoice_export_query_count_is_flat(client, users, make_customer, make_invoice):
    client.force_login(users["collector"])
    url = reverse("collection:invoice_list")
    customer = make_customer("Flat Co")

    def queries_for_export():
        export(client, url, "csv")  # warm: the user's permission set is cached after the first request
        with CaptureQueriesContext(connection) as ctx:
            rows = export(client, url, "csv")
        return len(ctx.captured_queries), len(rows) - 1

    for n in range(5):
        make_invoice(customer, "10.00", number=f"F-{n:03d}")
    small, count = queries_for_export()
    assert count == 5
    for n in range(5, 50):
        make_invoice(customer, "10.00", number=f"F-{n:03d}")
    large, count = queries_for_export()
    assert count == 50
    assert large == small


@pytest.mark.parametrize("name", ["collection:payment_list", "collection:case_list", "collection:dunning_list",
                                  "collection:writeoff_list", "collection:claim_list"])
def test_other_collection_lists_export_flat_queries(client, users, book, name, django_assert_max_num_queries):
    client.force_login(users["collector"])
    with django_assert_max_num_queries(12):
        export(client, reverse(name), "xlsx")
