"""Statements in the general enterprise format (2019): lines, subtotals, checks naming the line, ratios from
the lines, the migration of the key figures into lines, who may spread."""
import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps as global_apps

from creditportal.core.errors import NotAllowed, ValidationFailed
from customers import chart, rules, selectors, services
from customers.models import FinancialStatement, StatementLayout

from .conftest import BALANCED, statement_data

D = Decimal

# The BALANCED key figures of conftest, spread over the detailed lines (subtotals given).
LINES = {
    "BS101": "100", "BS105": "200", "BS109": "150", "BS113": "150", "BS119": "600",
    "BS127": "300", "BS132": "100", "BS139": "400", "BS199": "1000",
    "BS201": "100", "BS205": "200", "BS219": "300", "BS220": "200", "BS229": "200", "BS249": "500",
    "BS301": "300", "BS308": "200", "BS399": "500", "BS499": "1000",
    "IS101": "1200", "IS102": "900", "IS105": "150", "IS107": "20", "IS108": "20", "IS130": "130",
    "IS132": "10", "IS150": "120", "IS151": "30", "IS170": "90",
    "CF101": "1300", "CF109": "1300", "CF111": "1190", "CF119": "1190", "CF130": "110",
    "CF211": "40", "CF219": "40", "CF230": "-40", "CF302": "50", "CF309": "50", "CF311": "40", "CF319": "40",
    "CF330": "10", "CF190": "80", "CF191": "20", "CF199": "100",
}


def detailed(year=2023, lines=None, **header):
    data = dict(period_end=dt.date(year, 12, 31), period_type="annual", audited=True, consolidated=False,
                currency="CNY", unit=1, auditor="天健会计师事务所", audit_opinion="unqualified",
                lines=dict(LINES if lines is None else lines))
    data.update(header)
    return data


@pytest.fixture
def customer(make_customer):
    return make_customer()


def _create(customer, actor=None, **data):
    return services.statement_create(actor=actor or customer.relationship_manager, customer=customer, **data)


def _refused(customer, field, **data):
    with pytest.raises(ValidationFailed) as info:
        _create(customer, **data)
    assert field in info.value.field_errors, info.value.field_errors
    assert not FinancialStatement.objects.filter(customer=customer, period_end=data["period_end"]).exists()
    return info.value


def test_chart_has_the_three_statements_and_every_parent_exists():
    for statement in chart.STATEMENTS:
        assert len(chart.lines_of(statement)) >= 29
    assert len(chart.LINES) >= 125
    assert len(set(chart.CODES)) == len(chart.CODES)
    for line in chart.LINES:
        assert line.parent is None or line.parent in chart.BY_CODE, line.code
        assert line.zh and line.en
    assert set(chart.KEY_FIGURES.values()) <= set(chart.CODES)


def test_detailed_statement_is_saved_with_subtotals_computed_and_key_figures(customer):
    lines = {k: v for k, v in LINES.items() if k not in ("BS119", "BS139", "BS199", "BS499", "IS130", "IS150")}
    statement = _create(customer, **detailed(lines=lines))
    assert statement.layout == StatementLayout.GENERAL_2019
    assert statement.lines["BS119"] == "600" and statement.lines["BS199"] == "1000"
    assert statement.lines["IS130"] == "130" and statement.lines["IS150"] == "120"
    statement.refresh_from_db()
    for name, value in BALANCED.items():
        assert getattr(statement, name) == value, name
    assert statement.auditor == "天健会计师事务所" and statement.audit_opinion == "unqualified"


def test_a_subtotal_that_is_not_the_sum_of_its_lines_is_refused_naming_it(customer):
    error = _refused(customer, "lines.BS119", **detailed(lines={**LINES, "BS119": "610"}))
    assert "Total current assets (BS119)" in error.message
    assert "600" in error.message


def test_an_unbalanced_balance_sheet_is_refused_naming_total_assets(customer):
    error = _refused(customer, "lines.BS199", **detailed(lines={**LINES, "BS301": "400", "BS399": "600",
                                                                 "BS499": ""}))
    assert "does not balance" in error.message and "Total assets (BS199)" in error.message


def test_a_negative_line_is_refused_naming_it(customer):
    lines = {**LINES, "BS109": "-150", "BS113": "450"}
    error = _refused(customer, "lines.BS109", **detailed(lines=lines))
    assert "Inventories (BS109) cannot be negative" in error.message


def test_the_indirect_method_must_agree_with_the_operating_cash_flow(customer):
    # net profit 90 + depreciation 30 − increase in inventories 20 = 100 ≠ 110
    lines = {**LINES, "CF401": "90", "CF404": "30", "CF415": "-20"}
    error = _refused(customer, "lines.CF490", **detailed(lines=lines))
    assert "(CF490)" in error.message and "(CF130)" in error.message
    _create(customer, **detailed(lines={**lines, "CF418": "10"}))


def test_line_names_follow_the_readers_language(customer):
    from django.utils import translation

    with translation.override("zh-hans"):
        error = _refused(customer, "lines.BS119", **detailed(lines={**LINES, "BS119": "610"}))
    assert "流动资产合计 (BS119)" in error.message


def test_unknown_codes_and_bad_numbers_are_refused(customer):
    _refused(customer, "lines", **detailed(lines={**LINES, "XX1": "1"}))
    error = _refused(customer, "lines.BS101", **detailed(lines={**LINES, "BS101": "abc"}))
    assert "BS101" in error.message


def test_rounding_tolerance_is_one_unit_of_the_statement(customer):
    # 万元: a subtotal half a unit off is rounding; two units off is an error.
    _create(customer, **detailed(year=2021, unit=10000, lines={**LINES, "BS119": "600.5", "BS199": "1000.5"}))
    _refused(customer, "lines.BS119", **detailed(year=2022, unit=10000, lines={**LINES, "BS119": "602"}))


def test_the_net_change_in_cash_must_equal_the_change_in_cash(customer):
    without_cash_flow = {k: v for k, v in LINES.items() if not k.startswith("CF")}
    # previous year: closing cash 50 → this year's closing 100 is a change of 50, but the cash flow says 80
    _create(customer, **detailed(year=2022, lines={**without_cash_flow, "CF199": "50"}))
    error = _refused(customer, "lines.CF190", **detailed(year=2023))
    assert "Net increase in cash and cash equivalents (CF190)" in error.message
    # the consolidated statements: closing cash 20 the year before → a change of 80, as the cash flow says
    _create(customer, **detailed(year=2022, consolidated=True, lines={**without_cash_flow, "CF199": "20"}))
    _create(customer, **detailed(year=2023, consolidated=True))


def test_audit_opinion_only_for_audited_statements(customer):
    _refused(customer, "audit_opinion", **detailed(audited=False))
    _refused(customer, "audit_opinion", **detailed(audit_opinion=""))


def test_ratios_from_the_detailed_lines_equal_hand_arithmetic(customer):
    _create(customer, **detailed())
    ratios = selectors.latest_ratios_for([customer.pk])[customer.pk]["ratios"]
    assert ratios["current_ratio"] == D("2.0000")          # 600 / 300
    assert ratios["quick_ratio"] == D("1.5000")            # (600 − 150) / 300
    assert ratios["cash_ratio"] == D("0.3333")             # 100 / 300
    assert ratios["debt_to_assets"] == D("0.5000")         # 500 / 1000
    assert ratios["debt_to_equity"] == D("1.0000")         # 500 / 500
    assert ratios["interest_coverage"] == D("7.0000")      # (120 + 20) / 20
    assert ratios["gross_margin"] == D("0.2500")           # (1200 − 900) / 1200
    assert ratios["net_margin"] == D("0.0750")             # 90 / 1200
    assert ratios["roa"] == D("0.0900") and ratios["roe"] == D("0.1800")
    assert ratios["receivable_days"] == D("60.8")          # 200 / 1200 × 365
    assert ratios["inventory_days"] == D("60.8")           # 150 / 900 × 365
    assert ratios["asset_turnover"] == D("1.2000")
    assert ratios["ocf_to_current_liabilities"] == D("0.3667")


def test_compute_ratios_reads_codes_and_names_alike():
    by_name = rules.compute_ratios(BALANCED)
    by_code = rules.compute_ratios(chart.lines_from_key_figures(BALANCED))
    assert by_name == by_code and by_code["current_ratio"] == D("2.0000")


def test_migration_moves_every_key_figure_into_lines_and_ratios_reproduce(customer, make_statement):
    make_statement(customer)
    # a statement from before the detailed chart: key figures only, no lines
    FinancialStatement.objects.filter(customer=customer).update(lines={})
    old = FinancialStatement.objects.get(customer=customer)
    before = rules.compute_ratios(old.values_in_yuan())
    migration = importlib.import_module("customers.migrations.0005_statement_lines_from_key_figures")
    migration.lines_from_columns(global_apps, None)
    old.refresh_from_db()
    assert {code: D(text) for code, text in old.lines.items()} == {
        code: BALANCED[name] for name, code in chart.KEY_FIGURES.items()}
    assert rules.compute_ratios(old.lines_in_yuan()) == before
    assert selectors.latest_ratios_for([customer.pk])[customer.pk]["ratios"] == before


def test_summary_statements_keep_their_figures_as_lines(customer, make_statement):
    statement = make_statement(customer)
    assert statement.layout == StatementLayout.SUMMARY
    assert statement.lines["BS199"] == "1000" and statement.lines["CF130"] == "110"


def test_update_of_a_detailed_statement_checks_the_lines_again(customer):
    statement = _create(customer, **detailed())
    with pytest.raises(ValidationFailed) as info:
        services.statement_update(actor=customer.relationship_manager, statement=statement,
                                  lines={**LINES, "BS101": "110"})
    assert "lines.BS119" in info.value.field_errors
    updated = services.statement_update(actor=customer.relationship_manager, statement=statement,
                                        lines={**LINES, "BS101": "110", "BS113": "140"})
    assert updated.lines["BS101"] == "110" and updated.cash == D("110")


def test_analyst_may_spread_and_auditor_may_not(customer, users):
    statement = _create(customer, actor=users["analyst"], **detailed())
    assert statement.created_by == users["analyst"]
    with pytest.raises(NotAllowed):
        _create(customer, actor=users["auditor"], **detailed(year=2022))
    # relationship managers keep their right
    _create(customer, actor=users["rm"], **detailed(year=2021))


def test_api_takes_lines_and_keeps_the_old_fields(customer, users, api_for):
    client = api_for(users["analyst"])
    payload = {"customer": customer.pk, **detailed()}
    payload["period_end"] = "2023-12-31"
    response = client.post("/api/v1/financial-statements/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["layout"] == "general_2019" and body["lines"]["BS199"] == "1000"
    assert body["total_assets"] == "1000.00" and body["ratios"]["current_ratio"] == "2.0000"
    bad = client.post("/api/v1/financial-statements/",
                      {**payload, "period_end": "2022-12-31", "lines": {**LINES, "BS119": "610"}}, format="json")
    assert bad.status_code == 400 and "lines.BS119" in bad.json()["errors"]
    assert api_for(users["auditor"]).post("/api/v1/financial-statements/", payload, format="json").status_code == 403


def test_entry_page_shows_every_line_in_the_readers_language(customer, users, client_for):
    from django.urls import reverse

    client = client_for(users["analyst"])
    page = client.get(reverse("customers:statement_create", args=[customer.pk])).content.decode()
    assert "Total current assets" in page and 'name="lines.CF490"' in page and "statement_lines.js" in page
    statement = _create(customer, **detailed())
    page = client.get(reverse("customers:statement_edit", args=[statement.pk]),
                      HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'name="lines.BS119"' in page and 'value="600' in page
    zh = client_for(users["rm"])
    zh.cookies["django_language"] = "zh-hans"
    page = zh.get(reverse("customers:statement_create", args=[customer.pk])).content.decode()
    assert "流动资产合计" in page and "补充资料" in page


def test_api_lists_the_chart(users, api_for):
    response = api_for(users["auditor"]).get("/api/v1/financial-statements/chart/")
    assert response.status_code == 200
    codes = [line["code"] for line in response.json()]
    assert codes == chart.CODES and response.json()[0]["name_zh"] == "货币资金"
