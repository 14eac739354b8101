"""The portfolio over time (issue 21): monthly overdue rate, NPL ratio, provision coverage, letters and their
moves, the latest month's breakdown — from the month-end classifications, scoped, in constant queries."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitoring import rules
from monitoring.models import AssetClassification, ProvisionLine, ProvisionRun
from monitoring.trends import portfolio_trend

pytestmark = pytest.mark.django_db

MONTHS = [dt.date(2026, 4, 30), dt.date(2026, 5, 31), dt.date(2026, 6, 30)]


def _classify(customer, period, exposure, tier="normal", dpd=0, letter="B"):
    return AssetClassification.objects.create(customer=customer, period=period, exposure=D(exposure), currency="CNY",
                                              days_past_due=dpd, letter=letter, floor_tier=tier, tier=tier)


def _provisions(users, period, amounts):
    run = ProvisionRun.objects.create(period=period, currency="CNY", run_by=users["riskadmin"], run_at=timezone.now())
    for customer, amount in amounts:
        ProvisionLine.objects.create(run=run, customer=customer, tier="normal", exposure=D("0"), rate=D("0"),
                                     amount=D(amount))


@pytest.fixture
def book(build, users):
    a, b, c = build.customer(), build.customer(industry="F"), build.customer(rm=users["rm2"])
    for period in MONTHS:
        _classify(a, period, "600", letter="A")
    _classify(b, MONTHS[0], "300", letter="B")
    _classify(b, MONTHS[1], "300", tier="special_mention", dpd=40, letter="B")
    _classify(b, MONTHS[2], "300", tier="substandard", dpd=100, letter="C")  # a downgrade into NPL
    _classify(c, MONTHS[2], "100", tier="doubtful", dpd=200, letter="D")
    _provisions(users, MONTHS[2], [(b, "75"), (c, "50")])
    return a, b, c


def test_the_ratios_of_each_month(book, users, today):
    trend = portfolio_trend(users["riskadmin"], months=3)
    assert [m["period"] for m in trend["months"]] == MONTHS
    april, may, june = trend["months"]
    assert april["npl_ratio"] == D("0") and april["overdue_rate"] == D("0")
    assert may["overdue_rate"] == D("0.3333") and may["npl_ratio"] == D("0")
    assert june["exposure"] == D("1000") and june["npl_exposure"] == D("400")
    assert june["npl_ratio"] == D("0.4") and june["overdue_rate"] == D("0.4")
    assert june["provision_coverage"] == D("0.3125")  # 125 / 400
    assert may["provision_coverage"] is None  # nothing booked that month: no ratio, not 0%
    assert june["letters"] == {"A": 1, "B": 0, "C": 1, "D": 1, "NR": 0}
    assert june["moves"] == {"upgrades": 0, "downgrades": 1, "unchanged": 1}
    assert "tier=substandard" in dict(june["npl_urls"])["substandard"] or june["npl_urls"][0][1].count("tier=")
    assert trend["chart"]["npl_ratio"] == [0.0, 0.0, 40.0]


def test_breakdowns_by_manager_and_industry(book, users, today):
    by_manager = {row["value"]: row for row in portfolio_trend(users["riskadmin"], months=3)["breakdown"]}
    assert by_manager[users["rm"].pk]["exposure"] == D("900")
    assert by_manager[users["rm"].pk]["npl_ratio"] == D("0.3333")
    assert by_manager[users["rm2"].pk]["npl_ratio"] == D("1")
    by_industry = {row["value"]: row for row in portfolio_trend(users["riskadmin"], months=3,
                                                                dimension="industry")["breakdown"]}
    assert set(by_industry) == {"C", "F"} and by_industry["F"]["overdue_rate"] == D("1")


def test_a_relationship_manager_sees_their_own_book(book, users, today):
    june = portfolio_trend(users["rm"], months=3)["months"][-1]
    assert june["exposure"] == D("900") and june["provision"] == D("75")


def test_rules_of_the_month():
    figures = rules.MonthFigures(exposure=D("0"), npl_exposure=D("0"), overdue_exposure=D("0"), provision=D("0"))
    assert figures.npl_ratio is None and figures.overdue_rate is None and figures.provision_coverage is None
    assert rules.letter_moves([("A", "B", 2), ("C", "A", 1), (None, "A", 5), ("B", "B", 3)], "ABCD") == {
        "upgrades": 1, "downgrades": 2, "unchanged": 3}


def test_queries_do_not_grow_with_months_or_customers(build, users, today):
    customer = build.customer()
    _classify(customer, MONTHS[2], "10")
    portfolio_trend(users["riskadmin"], months=3)
    with CaptureQueriesContext(connection) as few:
        portfolio_trend(users["riskadmin"], months=3)
    for period in MONTHS:
        for _ in range(3):
            _classify(build.customer(), period, "10", letter="C", tier="loss", dpd=400)
    portfolio_trend(users["riskadmin"], months=3)  # the permission cache warm, as for the first measure
    with CaptureQueriesContext(connection) as many:
        portfolio_trend(users["riskadmin"], months=3)
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize("language, words", [("en", ["Portfolio over time", "NPL ratio", "40.00%"]),
                                             ("zh-hans", ["资产组合趋势", "不良率", "40.00%"])])
def test_the_page_in_both_languages(book, users, client_for, language, words):
    from django.urls import reverse

    response = client_for(users["riskadmin"]).get(reverse("monitoring:trends"), {"months": 12},
                                                  HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()
    assert response.status_code == 200
    for word in words:
        assert word in html
    industry = client_for(users["riskadmin"]).get(reverse("monitoring:trends"), {"by": "industry"})
    assert industry.status_code == 200 and industry.context["trend"]["dimension"] == "industry"


def test_the_page_needs_a_login_and_shows_each_role_its_own_customers(book, users, client_for, client):
    from django.urls import reverse

    assert client.get(reverse("monitoring:trends")).status_code == 302
    rm_months = client_for(users["rm"]).get(reverse("monitoring:trends")).context["trend"]["months"]
    assert rm_months[-1]["exposure"] == D("900")  # the relationship manager's own book
