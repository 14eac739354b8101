"""The kept analyses of the latest statements (``LatestAnalysis``): equal to computing, kept by the statement
services, forgotten by the database on any other write, ignored under other rules, refreshed nightly."""
import datetime as dt
from decimal import Decimal

from customers import selectors, services
from customers.models import FinancialStatement, LatestAnalysis
from customers.services import latest_analysis_refresh

from .conftest import statement_data


def _kept(customer):
    return LatestAnalysis.objects.filter(customer=customer).first()


def test_the_statement_services_keep_the_latest_analysis(users, make_customer, make_statement):
    customer = make_customer()
    make_statement(customer, year=2022)
    latest = make_statement(customer, year=2023, revenue=Decimal("1440"), cost_of_sales=Decimal("1000"))
    kept = _kept(customer)
    assert kept.statement_id == latest.pk and kept.rules_version == selectors.ANALYSIS_VERSION
    assert kept.analysis["ratios"]["revenue_growth"] == "0.2000"
    assert selectors.latest_ratios_for([customer.pk]) == selectors.latest_analysed([customer.pk])

    services.statement_update(actor=users["rm"], statement=latest, revenue=Decimal("1800"),
                              cost_of_sales=Decimal("1300"))
    assert _kept(customer).analysis["ratios"]["revenue_growth"] == "0.5000"
    assert selectors.latest_ratios_for([customer.pk])[customer.pk]["ratios"]["revenue_growth"] == Decimal("0.5000")


def test_read_from_the_kept_rows_in_one_query(users, make_customer, make_statement, django_assert_num_queries):
    customers = [make_customer() for _ in range(3)]
    for customer in customers:
        make_statement(customer, year=2023)
    with django_assert_num_queries(1):
        result = selectors.latest_ratios_for([c.pk for c in customers])
    assert set(result) == {c.pk for c in customers}
    assert result == selectors.latest_analysed([c.pk for c in customers])
    # the same Decimal, exponent included: the rating's input texts and their hash do not move
    assert str(result[customers[0].pk]["ratios"]["current_ratio"]) == "2.0000"


def test_a_write_around_the_services_is_never_read_stale(users, make_customer, make_statement):
    customer = make_customer()
    make_statement(customer, year=2022)
    assert _kept(customer) is not None
    # a newer statement written directly (a data fix, a bulk load): the database forgets the kept row
    newer = FinancialStatement.objects.create(customer=customer, created_by=users["rm"],
                                              **statement_data(year=2023, current_liabilities=Decimal("200")))
    assert _kept(customer) is None
    result = selectors.latest_ratios_for([customer.pk])[customer.pk]
    assert result["statement_id"] == newer.pk and result["ratios"]["current_ratio"] == Decimal("3.0000")
    latest_analysis_refresh(stale_only=True)
    assert _kept(customer).statement_id == newer.pk

    FinancialStatement.objects.filter(pk=newer.pk).update(current_liabilities=Decimal("300"))  # an UPDATE
    assert _kept(customer) is None
    latest_analysis_refresh(stale_only=True)
    newer.delete()  # a DELETE
    assert _kept(customer) is None
    assert selectors.latest_ratios_for([customer.pk])[customer.pk]["period_end"] == dt.date(2022, 12, 31)


def test_rows_computed_under_other_rules_are_ignored_and_recomputed(users, make_customer, make_statement):
    customer, other = make_customer(), make_customer()
    make_statement(customer, year=2023)
    make_statement(other, year=2023)
    LatestAnalysis.objects.filter(customer=customer).update(
        rules_version="older-rules", analysis={**_kept(customer).analysis, "ratios": {"current_ratio": "9.9999"}})
    assert selectors.latest_ratios_for([customer.pk])[customer.pk]["ratios"]["current_ratio"] == Decimal("2.0000")

    assert latest_analysis_refresh(stale_only=True) == 1  # only the stale one
    kept = _kept(customer)
    assert kept.rules_version == selectors.ANALYSIS_VERSION and kept.analysis["ratios"]["current_ratio"] == "2.0000"


def test_the_nightly_task_refreshes_once_per_day(users, make_customer, make_statement):
    from config.celery import beat_schedule
    from customers.tasks import refresh_latest_analyses

    customer = make_customer()
    make_statement(customer, year=2023)
    LatestAnalysis.objects.all().delete()
    assert refresh_latest_analyses() == 1
    assert _kept(customer) is not None
    LatestAnalysis.objects.all().delete()
    assert refresh_latest_analyses() is None  # once per business date
    entries = [e for e in beat_schedule(10).values() if e["task"] == "customers.refresh_latest_analyses"]
    peers = [e for e in beat_schedule(10).values() if e["task"] == "customers.refresh_peer_statistics"]
    assert len(entries) == 1
    def at(entry):
        return min(entry["schedule"].hour), min(entry["schedule"].minute)

    assert at(entries[0]) < at(peers[0])  # the peers (and the re-rating after them) read the fresh rows


def test_a_customer_without_statements_keeps_nothing(users, make_customer):
    customer = make_customer()
    assert latest_analysis_refresh(customer_ids=[customer.pk]) == 0
    assert selectors.latest_ratios_for([customer.pk]) == {}
