"""The set-wise aging (PostgreSQL SQL: rates as a VALUES list, GROUP BY customer_id, names and DSO sales for the
page only) against a straightforward Python computation over the invoices of a small mixed-currency portfolio:
four currencies with rates and one without, partial payments, every bucket boundary, DSO sales, scoping and
filters, every sort and page, the page, the API and the CSV export, and constant query counts."""
import csv
import datetime as dt
import io
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest
from django.urls import reverse

from collection import rules as logic
from collection import selectors, services
from collection.models import Invoice, InvoiceStatus
from creditportal.models import FxRate

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

RATES = {"CNY": D("1"), "USD": D("7.1"), "EUR": D("7.75"), "HKD": D("0.91")}  # JPY: no rate
DAYS = [-20, 0, 1, 30, 31, 60, 61, 90, 91, 180, 181, 360, 361, 500]  # every bucket boundary, either side


@pytest.fixture
def portfolio(users, make_customer, make_invoice, today):
    for code in ("USD", "EUR", "HKD"):
        FxRate.objects.create(base_currency=code, quote_currency="CNY", rate=RATES[code], valid_on=today)
    customers = [
        make_customer("甲机械", industry="C"),
        make_customer("乙建筑", rm=users["rm2"], industry="F"),
        make_customer("丙贸易", industry="G"),
        make_customer("丁科技", rm=users["rm2"], industry="C"),
        make_customer("戊物流", industry="H"),
    ]
    currencies = ["CNY", "USD", "EUR", "HKD", "CNY", "JPY"]
    n = 0
    for i, customer in enumerate(customers[:4]):
        for j, days in enumerate(DAYS):
            if (i + j) % 2:
                continue
            n += 1
            make_invoice(customer, f"{100 + 37 * n}.{n % 100:02d}", days_past_due=days,
                         currency=currencies[(i + j) % len(currencies)], issue_days_before_due=15 + 10 * (n % 12))
    # partial payments (allocated oldest first) in CNY, and one invoice paid in full
    services.payment_post(actor=users["rm"], customer=customers[0], amount="250.55", received_on=today)
    services.payment_post(actor=users["rm2"], customer=customers[1], amount="120.00", received_on=today)
    paid = make_invoice(customers[4], "300.00", days_past_due=5)
    services.payment_post(actor=users["rm"], customer=customers[4], amount="300.00", received_on=today)
    paid.refresh_from_db()
    assert paid.status == InvoiceStatus.PAID
    # a customer whose only open invoice is in a currency without a rate: counted nowhere (total 0)
    only_jpy = make_customer("己日本", industry="C")
    make_invoice(only_jpy, "5000.00", days_past_due=10, currency="JPY")
    return customers


def reference(as_of, *, rm=None, industry=None, portfolio=False):
    """Aging per customer (rounded to cents per customer), or the portfolio's sums (rounded once), computed
    in Python from the invoice rows."""
    window_start = as_of - dt.timedelta(days=selectors.DSO_DAYS)
    per_customer = {}
    invoices = Invoice.objects.select_related("customer", "customer__relationship_manager").order_by("pk")
    for inv in invoices:
        c = inv.customer
        if (rm and c.relationship_manager_id != rm.pk) or (industry and c.industry_section != industry):
            continue
        row = per_customer.setdefault(c.pk, {
            "customer_id": c.pk, "customer__name": c.name,
            "customer__relationship_manager__username": c.relationship_manager.username,
            "customer__industry_section": c.industry_section,
            **{k: D(0) for k in logic.BUCKET_KEYS}, "total": D(0), "overdue": D(0), "sales": D(0),
            "open_count": 0, "oldest_due": None})
        rate = RATES.get(inv.currency)
        if window_start < inv.issue_date <= as_of and rate is not None:
            row["sales"] += inv.amount * rate
        if inv.status != InvoiceStatus.OPEN:
            continue
        row["open_count"] += 1
        row["oldest_due"] = min(filter(None, [row["oldest_due"], inv.due_date]))
        if rate is None:
            continue
        amount = (inv.amount - inv.paid_amount - inv.written_off_amount) * rate
        days = (as_of - inv.due_date).days
        row[logic.bucket_for(days)] += amount
        row["total"] += amount
        if days > 0:
            row["overdue"] += amount
    if portfolio:
        return {key: sum((r[key] for r in per_customer.values()), D(0)).quantize(D("0.01"), ROUND_HALF_UP)
                for key in [*logic.BUCKET_KEYS, "total", "overdue", "sales"]}
    rows = []
    for row in per_customer.values():
        if row["total"] <= 0:
            continue
        for key in [*logic.BUCKET_KEYS, "total", "overdue", "sales"]:
            row[key] = row[key].quantize(D("0.01"), rounding=ROUND_HALF_UP)
        row["dso"] = (row["total"] / row["sales"] * 90).quantize(D("0.1"), ROUND_HALF_UP) if row["sales"] else None
        row["max_days_past_due"] = max((as_of - row["oldest_due"]).days, 0)
        rows.append(row)
    return rows


def test_rows_match_python_for_every_sort_and_page(users, portfolio, today):
    expected = reference(today)
    assert len(expected) == 4
    sorts = {
        "-total": lambda r: (-r["total"], r["customer_id"]),
        "total": lambda r: (r["total"], r["customer_id"]),
        "name": lambda r: (r["customer__name"], r["customer_id"]),
        "-oldest": lambda r: (-r["oldest_due"].toordinal(), r["customer_id"]),
        **{k: (lambda key: lambda r: (r[key], r["customer_id"]))(k) for k in logic.BUCKET_KEYS},
        "-d31_60": lambda r: (-r["d31_60"], r["customer_id"]),
    }
    qs = selectors.aging_queryset(user=users["auditor"], as_of=today)
    for sort, key in sorts.items():
        rows, missing, finish = selectors.aging_by_customer(qs, as_of=today, sort=sort)
        assert missing == ["GBP", "JPY"]
        want = sorted(expected, key=key)
        if sort == "name":  # the database's collation orders the names; the rows are the same
            assert sorted(r["customer_id"] for r in rows) == sorted(r["customer_id"] for r in want)
            continue
        assert [finish(r) for r in rows] == want, sort
        assert [finish(r) for r in rows[1:3]] == want[1:3], sort
        assert finish(rows[3]) == want[3]
        assert rows[10:20] == [] and rows.count() == 4


def test_portfolio_matches_python(users, portfolio, today):
    expected = reference(today, portfolio=True)
    qs = selectors.aging_queryset(user=users["auditor"], as_of=today)
    portfolio_row = selectors.aging_portfolio(qs, as_of=today)
    for key in [*logic.BUCKET_KEYS, "total", "overdue", "sales"]:
        assert portfolio_row[key] == expected[key], key
    assert portfolio_row["dso"] == (portfolio_row["total"] / portfolio_row["sales"] * 90).quantize(D("0.1"),
                                                                                                   ROUND_HALF_UP)
    # every customer with an open invoice, the JPY-only one included, as before
    assert portfolio_row["customers"] == 5
    assert portfolio_row["missing_rates"] == ["GBP", "JPY"]
    assert portfolio_row["max_days_past_due"] == 500


def test_scope_and_filters_match_python(users, portfolio, today):
    for user, kwargs, expected in [
        (users["rm2"], {}, {"rm": users["rm2"]}),
        (users["auditor"], {"manager": users["rm"]}, {"rm": users["rm"]}),
        (users["auditor"], {"industry": "C"}, {"industry": "C"}),
    ]:
        qs = selectors.aging_queryset(user=user, as_of=today, **kwargs)
        rows, _missing, finish = selectors.aging_by_customer(qs, as_of=today)
        assert [finish(r) for r in rows] == sorted(reference(today, **expected),
                                                   key=lambda r: (-r["total"], r["customer_id"]))
        totals = selectors.aging_portfolio(qs, as_of=today)
        assert {k: totals[k] for k in ("total", "overdue", "sales")} == {
            k: v for k, v in reference(today, portfolio=True, **expected).items() if k in ("total", "overdue", "sales")}
    nobody = selectors.aging_queryset(user=users["rm"], as_of=today, manager=users["rm2"])
    rows, _missing, _finish = selectors.aging_by_customer(nobody, as_of=today)
    assert list(rows) == [] and rows.count() == 0
    assert selectors.aging_portfolio(nobody, as_of=today)["total"] == D("0.00")


def test_bad_slices_are_refused(users, portfolio, today):
    rows, _missing, _finish = selectors.aging_by_customer(
        selectors.aging_queryset(user=users["auditor"], as_of=today), as_of=today)
    for bad in (slice(-1, None), slice(0, 4, 2)):
        with pytest.raises(TypeError):
            rows[bad]
    with pytest.raises(IndexError):
        rows[-1]
    with pytest.raises(IndexError):
        rows[99]


def test_query_counts_are_constant(users, portfolio, make_customer, make_invoice, today,
                                   django_assert_max_num_queries, django_assert_num_queries):
    qs = selectors.aging_queryset(user=users["auditor"], as_of=today)
    # rates, then one statement per page (names and DSO sales included), the count comes with the page
    with django_assert_max_num_queries(2):
        rows, _missing, finish = selectors.aging_by_customer(qs, as_of=today)
        page = [finish(r) for r in rows[:2]]
    with django_assert_num_queries(0):
        assert rows.count() == 4
    with django_assert_max_num_queries(2):
        selectors.aging_portfolio(qs, as_of=today)
    for i in range(10):
        make_invoice(make_customer(f"新客户{i}"), "10.00", days_past_due=i * 40)
    with django_assert_max_num_queries(2):
        rows, _missing, finish = selectors.aging_by_customer(qs, as_of=today)
        assert len([finish(r) for r in rows[:2]]) == len(page)
    with django_assert_max_num_queries(1):
        assert rows.count() == 14


def test_page_api_and_export_show_the_python_figures(users, portfolio, today, client_for, api_for, make_user,
                                                     django_assert_max_num_queries):
    expected = sorted(reference(today), key=lambda r: (-r["total"], r["customer_id"]))
    client = client_for(users["auditor"])
    with django_assert_max_num_queries(25):
        response = client.get(reverse("collection:aging"))
    assert response.status_code == 200
    html = response.content.decode()
    assert [r["customer_id"] for r in response.context["rows"]] == [r["customer_id"] for r in expected]
    from creditportal.core.formatting import amount

    for row in expected:  # the page shows grouped amounts in the active language
        assert row["customer__name"] in html and amount(row["total"]) in html
    data = api_for(users["auditor"]).get("/api/v1/aging/?page_size=2").json()
    assert data["count"] == 4
    assert [r["customer_id"] for r in data["results"]] == [r["customer_id"] for r in expected[:2]]
    assert [D(r["total"]) for r in data["results"]] == [r["total"] for r in expected[:2]]
    export = client.get(reverse("collection:aging_csv"))
    body = b"".join(export.streaming_content) if export.streaming else export.content
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [line[0] for line in lines[1:-1]] == [r["customer__name"] for r in expected]
    assert [D(line[10]) for line in lines[1:-1]] == [r["total"] for r in expected]
    nobody = make_user("no-role-aging")
    assert client_for(nobody).get(reverse("collection:aging")).status_code == 403
    assert api_for(nobody).get("/api/v1/aging/").status_code == 403
