"""Peers: the portfolio's quartiles per industry section and size, computed set-wise each night and read by the
three-year view."""
import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.system import system_user
from config.celery import app
from customers import rules
from customers.models import PeerStatistic
from customers.services import peers

from .conftest import statement_data


def _portfolio(make_customer, make_statement, current_assets):
    customers = []
    for value in current_assets:
        customer = make_customer(industry_section="C", size="small")
        # current liabilities 300: current ratio = current assets / 300
        make_statement(customer, current_assets=Decimal(value), cash=Decimal("50"), receivables=Decimal("50"),
                       inventory=Decimal("50"))
        customers.append(customer)
    return customers


def test_quartiles_interpolate_like_percentile_cont():
    assert rules.quartiles([Decimal(v) for v in (1, 2, 3, 4, 5)]) == (Decimal("2.0000"), Decimal("3.0000"),
                                                                        Decimal("4.0000"))
    assert rules.quartiles([Decimal(1), Decimal(2), Decimal(4), Decimal(10)]) == (
        Decimal("1.7500"), Decimal("3.0000"), Decimal("5.5000"))
    assert rules.quartiles([None]) is None


def test_refresh_stores_median_and_quartiles_of_a_small_portfolio(make_customer, make_statement, users):
    _portfolio(make_customer, make_statement, ["300", "450", "600", "900"])  # current ratios 1, 1.5, 2, 3
    other = make_customer(industry_section="F", industry_division="51", size="small")
    make_statement(other)
    assert peers.peer_statistics_refresh(actor=system_user()) > 0
    stat = PeerStatistic.objects.get(industry_section="C", size="small", ratio="current_ratio")
    assert (stat.count, stat.p25, stat.median, stat.p75) == (4, Decimal("1.3750"), Decimal("1.7500"),
                                                            Decimal("2.2500"))
    # fewer than three peers: no statistics
    assert not PeerStatistic.objects.filter(industry_section="F").exists()
    # PostgreSQL's percentile_cont and the Python fallback agree
    samples = peers._samples()
    assert peers._quartiles_python(samples) == peers.compute_peer_quartiles(samples)


def test_refresh_needs_the_permission(users):
    from creditportal.core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        peers.peer_statistics_refresh(actor=users["analyst"])


def test_the_nightly_job_is_scheduled():
    assert app.conf.beat_schedule["customers-peer-statistics"]["task"] == "customers.refresh_peer_statistics"


def test_three_year_view_shows_every_line_with_changes_and_the_peers(make_customer, make_statement, users, client_for,
                                                                      django_assert_max_num_queries):
    customers = _portfolio(make_customer, make_statement, ["300", "450", "600"])
    customer = customers[0]
    make_statement(customer, year=2022, cash=Decimal("80"))
    peers.peer_statistics_refresh(actor=system_user())
    client = client_for(users["analyst"])
    url = reverse("customers:statement_comparison", args=[customer.pk])
    response = client.get(url)
    assert response.status_code == 200
    sections = response.context["sections"]
    cash = next(row for s in sections for row in s["rows"] if row["line"].code == "BS101")
    # 80 → 50 yuan: −30 yuan = −0.00 万元 shown, −37.5 %
    assert cash["cells"][1]["change_pct"] == Decimal("-37.5")
    peer_rows = {row["key"]: row for row in response.context["peers"]["rows"]}
    assert peer_rows["current_ratio"]["peer"]["median"] == Decimal("1.5000")
    assert peer_rows["current_ratio"]["position"] == "below"
    with django_assert_max_num_queries(20):
        client.get(url)
    assert client_for(users["rm2"]).get(url).status_code == 404
