"""Aging in the database: every bucket boundary, per customer and portfolio, DSO, FX, filters, query count."""
import datetime as dt
from decimal import Decimal as D

import pytest

from collection import selectors, services
from creditportal.models import FxRate

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

BOUNDARIES = {0: "current", 1: "d1_30", 30: "d1_30", 31: "d31_60", 60: "d31_60", 61: "d61_90", 90: "d61_90",
              91: "d91_180", 180: "d91_180", 181: "d181_360", 360: "d181_360", 361: "over_360"}


@pytest.mark.parametrize("days,bucket", sorted(BOUNDARIES.items()))
def test_every_bucket_boundary_in_the_database(users, customer, make_invoice, today, days, bucket):
    make_invoice(customer, "100.00", days_past_due=days)
    qs = selectors.aging_queryset(user=users["analyst"], as_of=today)
    rows, missing, finish = selectors.aging_by_customer(qs, as_of=today)
    row = finish(list(rows)[0])
    assert row[bucket] == D("100.00")
    assert sum(row[k] for k in selectors.rules.BUCKET_KEYS) == D("100.00")
    assert row["max_days_past_due"] == days


def test_portfolio_and_customer_totals_with_fx_dso_and_filters(users, make_customer, make_invoice, today):
    FxRate.objects.create(base_currency="USD", quote_currency="CNY", rate=D("7.1"), valid_on=today)
    a = make_customer("甲公司", industry="C")
    b = make_customer("乙公司", rm=users["rm2"], industry="F")
    make_invoice(a, "1000.00", days_past_due=45)
    make_invoice(a, "100.00", days_past_due=-10, currency="USD")
    paid = make_invoice(b, "500.00", days_past_due=5)
    services.payment_post(actor=users["rm2"], customer=b, amount="200.00", received_on=today)
    qs = selectors.aging_queryset(user=users["analyst"], as_of=today)
    portfolio = selectors.aging_portfolio(qs, as_of=today)
    assert portfolio["total"] == D("2010.00")  # 1000 + 710 + 300
    assert portfolio["d31_60"] == D("1000.00") and portfolio["current"] == D("710.00")
    assert portfolio["d1_30"] == D("300.00")
    assert portfolio["overdue"] == D("1300.00")
    # DSO: 2010 receivables over 90 days of sales (1000 + 710 + 500 = 2210): 2010 / 2210 × 90 = 81.9
    assert portfolio["dso"] == D("81.9")
    by_industry = selectors.aging_portfolio(selectors.aging_queryset(user=users["analyst"], as_of=today,
                                                                     industry="F"), as_of=today)
    assert by_industry["total"] == D("300.00")
    by_manager = selectors.aging_portfolio(selectors.aging_queryset(user=users["analyst"], as_of=today,
                                                                    manager=users["rm"]), as_of=today)
    assert by_manager["total"] == D("1710.00")
    assert paid.pk


def test_aging_is_one_query_whatever_the_size(users, make_customer, make_invoice, today,
                                              django_assert_max_num_queries):
    for i in range(5):
        c = make_customer(f"客户{i}")
        for d in (0, 40, 100, 400):
            make_invoice(c, "10.00", days_past_due=d)
    qs = selectors.aging_queryset(user=users["analyst"], as_of=today)
    with django_assert_max_num_queries(4):
        rows, _missing, finish = selectors.aging_by_customer(qs, as_of=today)
        result = [finish(r) for r in rows]
    assert len(result) == 5 and all(r["total"] == D("40.00") for r in result)


def test_aging_collector_filter(users, make_customer, make_invoice, make_user, today):
    a, b = make_customer("甲"), make_customer("乙")
    make_invoice(a, "100.00", days_past_due=10)
    make_invoice(b, "200.00", days_past_due=10)
    services.case_open(actor=users["collector"], customer=a, assigned_to=users["collector"])
    qs = selectors.aging_queryset(user=users["analyst"], as_of=today, collector=users["collector"])
    assert selectors.aging_portfolio(qs, as_of=today)["total"] == D("100.00")


def test_the_aging_page_reads_its_rows_count_and_totals_in_one_statement(users, make_customer, make_invoice, today,
                                                                        client_for):
    """The page's rows come with their number (``COUNT(*) OVER ()``) and the portfolio's totals, from one grouping
    of the open invoices: no count before the page (``PageFirstPaginator``), no second scan for the totals; a page
    past the end still counts and shows the last page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    for i in range(30):
        make_invoice(make_customer(f"客户{i:02d}"), f"{100 + i}.00", days_past_due=i)
    client = client_for(users["analyst"])
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("collection:aging"), {"page": 2})
    assert page.status_code == 200
    scans = [q["sql"] for q in queries.captured_queries if " o AS (" in q["sql"]]  # reads of the open invoices
    assert len(scans) == 1 and "COUNT(*) OVER ()" in scans[0]  # the page, its count and the portfolio's totals
    assert page.context["page_obj"].paginator.count == 30 and len(page.context["rows"]) == 5
    portfolio = page.context["portfolio"]
    assert portfolio["total"] == sum(D(f"{100 + i}.00") for i in range(30)) and portfolio["customers"] == 30
    assert portfolio == selectors.aging_portfolio(selectors.aging_queryset(user=users["analyst"], as_of=today),
                                                  as_of=today)  # the same totals as their own statement
    assert [r["customer_id"] for r in page.context["rows"]] == [
        r["customer_id"] for r in page.context["page_obj"].object_list]
    last = client.get(reverse("collection:aging"), {"page": "last"})
    assert last.status_code == 200 and last.context["page_obj"].number == 2


@pytest.mark.parametrize("sort", ["-total", "name", "oldest", "-d1_30", "overdue"])
def test_a_page_read_with_the_totals_is_the_page_read_alone(users, make_customer, make_invoice, today, sort):
    """``prefetch_page`` (page, count and totals in one statement) gives the rows, count and totals of the separate
    reads, in every sort; past the end the page is empty and the totals still there."""
    for i in range(12):
        c = make_customer(f"客户{i:02d}")
        for days in (0, 20 + i, 70, 200 + 10 * i):
            make_invoice(c, f"{10 * (i + 1)}.00", days_past_due=days)
    qs = selectors.aging_queryset(user=users["analyst"], as_of=today)
    alone, _m, _f = selectors.aging_by_customer(qs, as_of=today, sort=sort)
    together, _m, _f = selectors.aging_by_customer(qs, as_of=today, sort=sort)
    together.prefetch_page(5, 5)
    assert together[5:10] == alone[5:10] and together.count() == alone.count() == 12
    assert selectors.aging_portfolio(qs, as_of=today, rows=together) == selectors.aging_portfolio(qs, as_of=today)
    beyond, _m, _f = selectors.aging_by_customer(qs, as_of=today, sort=sort)
    beyond.prefetch_page(100, 5)
    assert beyond[100:105] == [] and beyond.totals_row is not None
    assert selectors.aging_portfolio(qs, as_of=today, rows=beyond) == selectors.aging_portfolio(qs, as_of=today)
