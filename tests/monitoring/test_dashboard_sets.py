"""The dashboard's one-pass figures (PostgreSQL) against a straightforward Python computation over a small
mixed-currency portfolio: exposure by grade and industry, both HHIs, top customers and groups, aging totals at
every bucket boundary, the migration matrix with ratings on and around both dates, the rated counts; the
relationship manager's scope; constant query counts; the page for the risk admin and refused to a manager."""
import datetime as dt
from collections import defaultdict
from decimal import Decimal as D

import pytest
from django.urls import reverse

from collection import rules as collection_logic
from collection.models import Invoice, InvoiceStatus
from creditportal.models import FxRate
from monitoring import metrics, rules as logic, selectors
from ratings.models import Rating

from .conftest import TODAY

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

RATES = {"CNY": D("1"), "USD": D("7.1"), "EUR": D("7.75"), "HKD": D("0.91")}  # JPY: no rate (counts 0)
DAYS = [-20, 0, 1, 30, 31, 60, 61, 90, 91, 180, 181, 360, 361, 500]
START, END = TODAY - dt.timedelta(days=365), TODAY


@pytest.fixture
def portfolio(build, users):
    for code in ("USD", "EUR", "HKD"):
        FxRate.objects.create(base_currency=code, quote_currency="CNY", rate=RATES[code], valid_on=TODAY)
    groups = [build.group("甲集团"), build.group("乙集团")]
    currencies = ["CNY", "USD", "EUR", "HKD", "CNY", "JPY"]
    grades = ["A", "BBB", "BB", "B", "AA", None]
    customers = []
    for i in range(14):
        customer = build.customer(industry="CFGH"[i % 4], group=groups[i % 2] if i % 3 else None,
                                  rm=users["rm2"] if i % 4 == 3 else None)
        customers.append(customer)
        if i == 13:
            continue  # a customer without invoices
        for j, days in enumerate(DAYS[i % 3::3]):
            amount = f"{200 + 53 * i + 7 * j}.{(i * 7 + j) % 100:02d}"
            paid = f"{(i * 13 + j) % 50}.25" if j % 2 else "0"  # partial payments
            build.invoice(customer, amount, days_past_due=days, currency=currencies[(i + j) % 6], paid=paid)
        grade = grades[i % 6]
        if grade:
            # the grade a year ago (superseded), then the current one; some approved just after START or END
            build.rating(customer, grades[(i + 1) % 5], state="superseded",
                         approved_on=START - dt.timedelta(days=30 + i))
            build.rating(customer, grade, approved_on=START + dt.timedelta(days=1 + 20 * i))
        if i == 5:
            build.rating(customer, "CCC", state="superseded", approved_on=START)  # exactly on START
    settled = build.invoice(customers[0], "999.00", days_past_due=10)
    Invoice.objects.filter(pk=settled.pk).update(status=InvoiceStatus.PAID, paid_amount=D("999.00"))
    return customers


def grade_at(customer_id, day):
    ratings = [r for r in Rating.objects.filter(customer_id=customer_id, state__in=["approved", "superseded"])
               if r.approved_on and r.approved_on <= day]
    return max(ratings, key=lambda r: (r.approved_on, r.pk)).grade if ratings else None


def reference(user_filter=lambda customer: True):
    """Every figure of the dashboard, computed in Python from the rows."""
    exposure, buckets = defaultdict(D), defaultdict(D)
    customers = {}
    for inv in Invoice.objects.filter(status=InvoiceStatus.OPEN).select_related("customer"):
        if not user_filter(inv.customer):
            continue
        customers[inv.customer_id] = inv.customer
        amount = (inv.amount - inv.paid_amount - inv.written_off_amount) * RATES.get(inv.currency, D(0))
        exposure[inv.customer_id] += amount
        buckets[collection_logic.bucket_for((TODAY - inv.due_date).days)] += amount
    current = {r.customer_id: r.grade for r in Rating.objects.filter(state="approved")}
    by_grade, by_industry = defaultdict(lambda: [D(0), 0]), defaultdict(lambda: [D(0), 0])
    obligors, groups = defaultdict(D), defaultdict(lambda: [D(0), 0])
    for cid, amount in exposure.items():
        c = customers[cid]
        for table, key in ((by_grade, current.get(cid) or "NR"), (by_industry, c.industry_section)):
            table[key][0] += amount
            table[key][1] += 1
        obligors[-c.group_id if c.group_id else cid] += amount
        if c.group_id:
            groups[c.group_id][0] += amount
            groups[c.group_id][1] += 1
    total = sum(exposure.values(), D(0))
    hhi = (lambda values: (sum(v * v for v in values) / (sum(values) ** 2)).quantize(logic.RATIO_EXP))
    from customers.models import Customer

    visible = [c for c in Customer.objects.all() if user_filter(c)]
    pairs = [(grade_at(c.pk, START), grade_at(c.pk, END)) for c in visible]
    rated = defaultdict(int)
    for r in Rating.objects.filter(state="approved").select_related("customer"):
        if user_filter(r.customer):
            rated[r.grade] += 1
    return {
        "total": total, "by_grade": by_grade, "by_industry": by_industry, "customer_hhi": hhi(list(exposure.values())),
        "group_hhi": hhi(list(obligors.values())),
        "top_customers": sorted(exposure.items(), key=lambda kv: (-kv[1], kv[0]))[:10],
        "top_groups": sorted(((gid, v[0], v[1]) for gid, v in groups.items()), key=lambda t: (-t[1], t[0]))[:10],
        "aging": buckets,
        "migration": logic.migration_matrix([p for p in pairs if p[0] or p[1]], metrics.grade_order()),
        "rated": rated,
    }


def assert_same(data, want):
    assert data["total_exposure"] == want["total"]
    grade_rows = {r["grade"]: r for r in data["by_grade"]}
    for grade, (amount, count) in want["by_grade"].items():
        assert grade_rows[grade]["exposure"] == amount and grade_rows[grade]["customers_with_exposure"] == count
    assert sum(r["exposure"] for r in data["by_grade"]) == want["total"]
    for grade, row in grade_rows.items():
        if grade != "NR":
            assert row["rated_customers"] == want["rated"].get(grade, 0), grade
    assert {r["code"]: (r["exposure"], r["customers"]) for r in data["by_industry"]} == {
        k: tuple(v) for k, v in want["by_industry"].items()}
    assert [r["exposure"] for r in data["by_industry"]] == sorted((r["exposure"] for r in data["by_industry"]),
                                                                 reverse=True)
    assert data["customer_hhi"] == want["customer_hhi"] and data["group_hhi"] == want["group_hhi"]
    assert [(r["id"], r["exposure"]) for r in data["top_customers"]] == want["top_customers"]
    assert [(r["id"], r["exposure"], r["members"]) for r in data["top_groups"]] == want["top_groups"]
    assert {r["bucket"]: r["amount"] for r in data["aging"]} == {
        key: want["aging"].get(key, D(0)) for key in collection_logic.BUCKET_KEYS}
    for key in ("grades", "upgrades", "downgrades", "unchanged"):
        assert data["migration"][key] == want["migration"][key], key
    cells = {(row["from"], c["to"]): c["count"] for row in data["migration"]["rows"] for c in row["cells"]}
    assert cells == {(row["from"], c["to"]): c["count"] for row in want["migration"]["rows"] for c in row["cells"]}


def test_dashboard_matches_python(users, portfolio):
    want = reference()
    assert want["total"] > 0 and len(want["by_grade"]) >= 5 and want["aging"]["over_360"] > 0
    assert sum(c["count"] for row in want["migration"]["rows"] for c in row["cells"]) >= 10
    assert_same(selectors.dashboard(users["riskadmin"], start=START, end=END), want)


def test_relationship_manager_sees_only_own_portfolio(users, portfolio):
    rm2 = users["rm2"]
    want = reference(lambda customer: customer.relationship_manager_id == rm2.pk)
    data = selectors.dashboard(rm2, start=START, end=END)
    assert_same(data, want)
    assert data["total_exposure"] < reference()["total"]


def test_query_count_is_constant(users, build, portfolio, django_assert_max_num_queries):
    # rates, grades, the user's permission versions and permissions (3, for the scope), the exposure statement
    # (in a savepoint with its two SET LOCAL), the ratings statement, alerts, provisions, whether collection's
    # aging summary is valid for today
    with django_assert_max_num_queries(14) as small:
        selectors.dashboard(users["riskadmin"])
    for i in range(20):
        customer = build.customer()
        build.invoice(customer, "100.00", days_past_due=i * 20)
        build.rating(customer, "BBB")
    with django_assert_max_num_queries(len(small.captured_queries)):
        selectors.dashboard(users["riskadmin"])


def test_page_for_risk_admin_and_refused_to_manager(users, portfolio, client_for, api_for):
    want = reference()
    response = client_for(users["riskadmin"]).get(reverse("monitoring:dashboard"))
    assert response.status_code == 200
    assert response.context["data"]["total_exposure"] == want["total"]
    data = api_for(users["auditor"]).get("/api/v1/dashboard/").json()
    assert D(data["total_exposure"]) == want["total"]
    assert client_for(users["rm"]).get(reverse("monitoring:dashboard")).status_code == 403
    assert api_for(users["rm"]).get("/api/v1/dashboard/").status_code == 403
