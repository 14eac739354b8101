"""The ratio functions are plain Python: edge cases give None ("not available"), never an exception."""
import ast
import pathlib
from decimal import Decimal

from customers.rules import RATIO_KEYS, compute_ratios, flags

D = Decimal
BASE = dict(cash=D(100), receivables=D(200), inventory=D(150), current_assets=D(600), total_assets=D(1000),
            current_liabilities=D(300), total_liabilities=D(500), equity=D(500), revenue=D(1200),
            cost_of_sales=D(900), operating_profit=D(130), interest_expense=D(20), profit_before_tax=D(120),
            net_profit=D(90), operating_cash_flow=D(110))


def test_ratios_module_imports_no_django():
    source = pathlib.Path(__file__).resolve().parents[2] / "customers" / "rules.py"
    tree = ast.parse(source.read_text())
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m.startswith(("django", "rest_framework", "creditportal")) for m in imported)


def test_normal_values():
    r = compute_ratios(BASE, dict(BASE, revenue=D(1000), net_profit=D(60)))
    assert r["current_ratio"] == D("2.0000")
    assert r["quick_ratio"] == D("1.5000")
    assert r["cash_ratio"] == D("0.3333")
    assert r["debt_to_assets"] == D("0.5000")
    assert r["debt_to_equity"] == D("1.0000")
    assert r["interest_coverage"] == D("7.0000")  # (120 + 20) / 20
    assert r["gross_margin"] == D("0.2500")
    assert r["net_margin"] == D("0.0750")
    assert r["roa"] == D("0.0900")
    assert r["roe"] == D("0.1800")
    assert r["receivable_days"] == D("60.8")     # 200 / 1200 × 365
    assert r["inventory_days"] == D("60.8")      # 150 / 900 × 365
    assert r["asset_turnover"] == D("1.2000")
    assert r["ocf_to_current_liabilities"] == D("0.3667")
    assert r["revenue_growth"] == D("0.2000")
    assert r["profit_growth"] == D("0.5000")
    assert all(isinstance(v, Decimal) for v in r.values())


def test_zero_denominators_give_none():
    values = dict(BASE, current_liabilities=D(0), revenue=D(0), interest_expense=D(0), total_assets=D(0),
                  cost_of_sales=D(0))
    r = compute_ratios(values, dict(BASE, revenue=D(0), net_profit=D(0)))
    for key in ["current_ratio", "quick_ratio", "cash_ratio", "ocf_to_current_liabilities", "gross_margin",
                "net_margin", "receivable_days", "interest_coverage", "debt_to_assets", "roa", "asset_turnover",
                "inventory_days", "revenue_growth", "profit_growth"]:
        assert r[key] is None, key


def test_missing_items_give_none_and_no_exception():
    assert set(compute_ratios({})) == set(RATIO_KEYS)
    assert all(v is None for v in compute_ratios({}).values())
    r = compute_ratios({"total_assets": D(100), "total_liabilities": D(40), "equity": D(60)})
    assert r["debt_to_assets"] == D("0.4000")
    assert r["current_ratio"] is None and r["quick_ratio"] is None and r["revenue_growth"] is None
    # Garbage inputs are "not available" too.
    assert compute_ratios({"current_assets": "abc", "current_liabilities": D(1)})["current_ratio"] is None
    assert compute_ratios({"current_assets": D("NaN"), "current_liabilities": D(1)})["current_ratio"] is None
    assert compute_ratios(None)["current_ratio"] is None


def test_negative_equity():
    values = dict(BASE, total_liabilities=D(1100), equity=D(-100), net_profit=D(-50))
    r = compute_ratios(values)
    assert r["debt_to_equity"] is None and r["roe"] is None   # meaningless with equity ≤ 0
    assert r["debt_to_assets"] == D("1.1000")
    assert flags(values)["negative_equity"] is True
    assert compute_ratios(dict(BASE, equity=D(0)))["roe"] is None


def test_growth_from_a_loss_and_loss_after_profit():
    r = compute_ratios(dict(BASE, net_profit=D(50)), dict(BASE, net_profit=D(-100)))
    assert r["profit_growth"] == D("1.5000")   # (50 − (−100)) / |−100|
    r = compute_ratios(dict(BASE, net_profit=D(-30)), dict(BASE, net_profit=D(60)))
    assert r["profit_growth"] == D("-1.5000")
    assert flags(dict(BASE, net_profit=D(-30)), dict(BASE, net_profit=D(60)))["loss_after_profit"] is True
    assert flags(dict(BASE, net_profit=D(-30)), None)["loss_after_profit"] is False


def test_interim_period_is_annualised():
    r = compute_ratios(dict(BASE, revenue=D(600), net_profit=D(45)), days=182)
    assert r["asset_turnover"] == D("1.2033")  # 0.6 × 365/182
    assert r["receivable_days"] == D("60.7")   # 200 / 600 × 182


def test_interest_coverage_falls_back_to_operating_profit():
    values = dict(BASE)
    del values["profit_before_tax"]
    assert compute_ratios(values)["interest_coverage"] == D("7.5000")  # (130 + 20) / 20
