"""Smoke test of the benchmark suite: the generator at a tiny size, then every benchmark's code path once.

No timing is asserted (benchmarks are not tests); this only proves that the generator and each
benchmark still run against the apps as they are. Takes well under a minute; PostgreSQL only (the
generator loads with COPY). The Celery worker, gunicorn and wrk are not started here: the re-rating
batch runs in-process and the API is exercised through Django's test client (query counts).
"""
import datetime as dt

import pytest


WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:8600/bench/baseline/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.51ms    1.20ms  20.11ms   80.00%
  Latency Distribution
     50%    4.12ms
     75%    5.01ms
     90%    6.00ms
     99%    1.02s
  1600 requests in 5.00s, 300.00KB read
  Non-2xx or 3xx responses: 3
Requests/sec:    320.12
Transfer/sec:     60.00KB
"""


@pytest.fixture
def portfolio(db):
    from customers.models import Customer
    from customers.validators import is_valid_credit_code
    from demo import generator

    plan = generator.Plan(customers=30, invoices_per_customer=4, seed=7, log=lambda *_: None)
    counts = generator.generate(plan)
    assert counts["customers"] == 30
    assert counts["invoices"] > 0 and counts["ratings"] > 0 and counts["financial statements"] == 90
    codes = list(Customer.objects.values_list("credit_code", flat=True))
    assert all(is_valid_credit_code(code) for code in codes) and len(set(codes)) == 30
    from collection.models import AgingSummaryState, CustomerAging

    # the fresh portfolio is served from the aging summary at once
    assert AgingSummaryState.objects.get().as_of == plan.today and CustomerAging.objects.exists()
    return counts


@pytest.fixture
def ctx():
    from bench.core import Context

    return Context(size="smoke", smoke=True, log=lambda *_: None)


@pytest.mark.postgres
@pytest.mark.urls("bench.urls")
def test_generator_and_every_benchmark_path(portfolio, ctx):
    """One tiny portfolio (generated once: it is the slow part), then each benchmark's code path."""
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.db.models import F

    from bench.benchmarks import aging, api, dashboard, ecl, pages, pdf, rerating, scaleout
    from collection.models import Invoice
    from customers.models import FinancialStatement
    from ratings.models import Rating

    # The data are sound, and a second run refuses to mix with them.
    assert not FinancialStatement.objects.exclude(total_assets=F("total_liabilities") + F("equity")).exists()
    assert not Invoice.objects.filter(paid_amount__gt=F("amount")).exists()
    approved = Rating.objects.filter(state="approved")
    assert approved.values("customer").distinct().count() == approved.count()
    with pytest.raises(CommandError):
        call_command("generate_portfolio", customers=5)
    _current_ratings_are_settled_on_own_data(approved)

    result = rerating.run(ctx)
    assert result["customers"] > 0 and result["batch"]["status"] == "finished"
    assert result["floor_rows"]["ratings"] == result["customers"]

    result = api.run(ctx)
    for label, figures in result["query_counts"].items():
        assert figures["status"] == 200, label

    assert aging.run(ctx)["same_first_page"] is True
    result = dashboard.run(ctx)
    assert result["queries"] > 0
    assert result["same_figures_as_sql"] is True, result["differences"]  # the hand-written SQL is the page's figures

    result = pages.run(ctx)  # every page of every role, in process (no gunicorn at this size)
    assert {p["role"] for p in result["pages"]} == set(pages.ROLES)
    assert [p for p in result["pages"] if p["status"] != 200] == []
    assert all(p["queries"] > 0 for p in result["pages"]), "query counts recorded"
    urls = {p["url"] for p in result["pages"]}
    assert "/monitoring/" in urls and "/audit/" in urls  # the dashboard and the audit trail
    details = [p["url"] for p in result["pages"] if p["role"] == "riskadmin" and "customer_detail" in p["label"]]
    assert len(set(details)) == 2  # a typical and the largest customer
    assert result["targets"] == {"every page 200": True}

    result = scaleout.run(ctx)
    assert result["chunk_size"] * scaleout.MIN_CHUNKS >= result["customers"]
    assert [row["processes"] for row in result["projection"]] == scaleout.PROJECTED_PROCESSES
    assert pdf.run(ctx)["pdf_bytes"] > 1000
    assert ecl.run(ctx)["same_rates"] is True  # 25 month ends loaded set-wise, one run, the hand-written SQL


def test_wrk_output_is_parsed():
    from bench.benchmarks import api

    assert api.parse_wrk(WRK_OUTPUT) == {"requests_per_s": 320.12, "p50_ms": 4.12, "p99_ms": 1020.0,
                                         "non_2xx": 3, "requests": 1600, "socket_errors": ""}


def test_report_renders(tmp_path, monkeypatch):
    from bench import core, report

    monkeypatch.setattr(core, "RESULTS_DIR", tmp_path)
    monkeypatch.setattr(report, "BENCH_DIR", tmp_path)
    machine = {"date": dt.date.today().isoformat(), "cores": 2, "cpu": "x", "load_average": "0"}
    core.save_result("aging", {"title": "Aging report", "report_ms": 2, "sql_ms": 1, "ratio": 2, "size": "small",
                               "portfolio": {"invoices": 20_000}, "machine": machine, "targets": {"≤ 1.5×": False}})
    core.save_result("aging", {"title": "Aging report", "report_ms": 60, "sql_ms": 70, "ratio": 0.86, "size": "full",
                               "portfolio": {"invoices": 1_000_000}, "machine": machine, "targets": {"≤ 1.5×": True}})
    core.save_result("aging", {"title": "Aging report", "report_ms": 840, "sql_ms": 900, "ratio": 0.93,
                               "size": "huge", "portfolio": {"invoices": 10_000_000}, "machine": machine,
                               "targets": {"≤ 1.5×": True}})
    assert sorted(p.name for p in tmp_path.glob("*.json")) == ["aging-full.json", "aging-huge.json", "aging-small.json"]
    with open(report.write(), encoding="utf-8") as handle:
        text = handle.read()
    assert "**missed**" in text and "Aging report" in text
    # three sizes side by side; cost per invoice 0.1 → 0.06 → 0.084 µs: growth 0.6× then 1.4× (over 1.3×)
    assert "| aging | µs per invoice | 0.1 | 0.06 | 0.084 | 0.60× | 1.40× (**missed**) |" in text
    for size in ("small", "full", "huge"):
        assert f"## Aging report (`aging`, {size})" in text


def test_scaleout_arithmetic():
    from bench.benchmarks import scaleout

    serial, parallel = scaleout.amdahl(10.0, 6.0)  # T(1) = s + p, T(2) = s + p/2
    assert (serial, parallel) == (2.0, 8.0)
    rows = {row["processes"]: row for row in scaleout.projection(serial, parallel, customers=100_000)}
    assert rows[4]["seconds"] == 4.0 and rows[4]["seconds_1m"] == 40.0
    assert scaleout.amdahl(5.0, 6.0) == (5.0, 0.0)  # no speed-up: everything serial, never negative


def _current_ratings_are_settled_on_own_data(approved):
    """Each current rating is the model's result on its customer's own data as of the day before the business
    date (as last night's batch left it): its snapshot reproduces, and the quantitative inputs read again for
    that day hash the same."""
    from creditportal.core import clock
    from ratings import selectors, services

    last_night = clock.today() - dt.timedelta(days=1)
    ratings = list(approved.select_related("customer"))
    fresh = selectors.gather_inputs([r.customer for r in ratings], on_date=last_night)
    for rating in ratings:
        assert services.reproduce(rating) == rating.result
        assert rating.inputs["customer"]["id"] == rating.customer_id
        assert selectors.quantitative_hash(fresh[rating.customer_id]) == rating.quantitative_sha256


@pytest.mark.django_db
@pytest.mark.urls("bench.urls")
def test_api_rounds_ratio_each_list_to_its_own_rounds_baseline(monkeypatch, users, tmp_path):
    """Page 20 in rounds: each list over the baseline window just before it, the median round counts; page 500
    over the median baseline. No server: wrk's answers are made up."""
    from bench import core, report
    from bench.benchmarks import api

    rates = iter([
        1000, 300, 240, 400,   # round 1: baseline, customers, applications, invoices
        2000, 520, 560, 600,   # round 2 (a faster machine for a while)
        1000, 200, 260, 310,   # round 3
        50, 40, 90,            # page 500
        1200,                  # baseline again
    ])
    monkeypatch.setattr(api, "ROUNDS", 3)
    monkeypatch.setattr(api, "ensure_wrk", lambda: "wrk")
    monkeypatch.setattr(api, "start_server", lambda port: None)
    monkeypatch.setattr(api, "stop_server", lambda process: None)
    monkeypatch.setattr(api, "wait_idle", lambda base: None)
    monkeypatch.setattr(api, "load", lambda wrk, url, token, seconds: {  # 2 s: the warm-up, not counted
        "requests_per_s": float(next(rates)) if seconds > 2 else 1.0, "p50_ms": 1.0, "p99_ms": 2.0, "non_2xx": 0,
        "requests": 1, "socket_errors": ""})
    result = api.run(core.Context(size="small", log=lambda message: None))
    assert result["load"]["customers@20"]["round_ratios"] == [0.3, 0.26, 0.2]
    assert result["load"]["customers@20"]["ratio_to_baseline"] == 0.26  # the median round (2): below 0.35
    assert result["load"]["applications@20"]["ratio_to_baseline"] == 0.26
    assert result["load"]["invoices@20"]["ratio_to_baseline"] == 0.31
    assert result["baseline_requests_per_s"] == 1100  # median of 1000, 2000, 1000, 1200
    assert result["load"]["invoices@500"]["ratio_to_baseline"] == round(90 / 1100, 3)
    assert not result["targets"]["customers page 20: ≥ 0.35× baseline req/s"]
    assert not result["targets"]["invoices page 20: ≥ 0.35× baseline req/s"]  # 0.31

    monkeypatch.setattr(core, "RESULTS_DIR", tmp_path)
    monkeypatch.setattr(report, "BENCH_DIR", tmp_path)
    core.save_result("api", {**result, "machine": {"date": "2026-11-25", "cores": 2, "cpu": "x", "load_average": "0"}})
    with open(report.write(), encoding="utf-8") as handle:
        text = handle.read()
    assert "0.3, 0.26, 0.2" in text and "1000, 2000, 1000 req/s" in text
