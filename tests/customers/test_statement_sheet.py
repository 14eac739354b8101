"""Spreading from an XLSX as analysts receive it: synonyms, an unmatched line, a bad row, preview → confirm."""
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from customers import spreading_io
from customers.models import FinancialStatement
from customers.services import spreading

from .test_statement_lines import LINES

HEADER = {"period_type": "annual", "consolidated": False, "audited": True, "auditor": "某会计师事务所",
          "audit_opinion": "unqualified", "currency": "CNY", "unit": 10000}
SYNONYMS = {"BS101": "现金及现金等价物", "BS105": "应收帐款", "BS109": "Inventory", "BS399": "所有者权益合计",
            "IS101": "一、营业收入", "IS102": "减：营业成本", "IS108": "其中：利息费用", "IS170": "四、净利润",
            "CF130": "经营活动现金流量净额"}


def _sheet(rows_2023, rows_2022=None, *, extra=(), with_codes=False):
    """A workbook: balance sheet and income statement stacked in one sheet, the cash flow in another; line names
    (synonyms for some), no codes unless asked."""
    from customers import chart

    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = "报表"
    second = workbook.create_sheet("现金流量表")
    for sheet, statements in ((first, ("balance_sheet", "income_statement")), (second, ("cash_flow",))):
        sheet.append((["代码"] if with_codes else []) + ["项目", "2023-12-31", "2022年"])
        for statement in statements:
            sheet.append((["" ] if with_codes else []) + [{"balance_sheet": "资产负债表：",
                                                          "income_statement": "利润表："}.get(statement, "")])
            for line in chart.lines_of(statement):
                a, b = rows_2023.get(line.code), (rows_2022 or {}).get(line.code)
                if a is None and b is None:
                    continue
                name = SYNONYMS.get(line.code, line.zh)
                sheet.append(([line.code] if with_codes else []) + [name, a, b])
    for row in extra:
        first.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    return SimpleUploadedFile("报表.xlsx", stream.getvalue(),
                              content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _numbers(lines):
    return {code: float(value) for code, value in lines.items()}


def test_matching_by_name_synonym_and_code():
    assert spreading_io.match_line("", "货币资金") == ("BS101", "name")
    assert spreading_io.match_line("", "现金及现金等价物") == ("BS101", "synonym")
    assert spreading_io.match_line("", "Cash and cash equivalents") == ("BS101", "name")
    assert spreading_io.match_line("", "  减：营业成本 ") == ("IS102", "name")
    assert spreading_io.match_line("", "四、净利润（净亏损以“-”号填列）") == ("IS170", "name")
    assert spreading_io.match_line("bs109", "whatever") == ("BS109", "code")
    assert spreading_io.match_line("", "神秘科目") == (None, "")


def test_preview_lists_the_mapping_and_the_unmatched_line_then_confirm_imports(make_customer, users):
    customer = make_customer()
    previous = {**LINES, "CF191": "", "CF199": "20"}
    previous = {k: v for k, v in previous.items() if not k.startswith("CF") or k == "CF199"}
    upload = _sheet(_numbers(LINES), _numbers({k: v for k, v in previous.items() if v}),
                    extra=[["其他神秘项目", 5, 5]])
    preview = spreading.statement_sheet_preview(actor=users["analyst"], customer=customer, uploaded_file=upload,
                                                header=HEADER)
    assert [p.isoformat() for p in preview.periods] == ["2023-12-31", "2022-12-31"]
    assert [row.name for row in preview.unmatched] == ["其他神秘项目"]
    how = {row.code: row.how for row in preview.matched}
    assert how["BS101"] == "synonym" and how["BS119"] == "name"
    assert preview.bad_rows == [] and preview.importable, preview.refusals
    assert not FinancialStatement.objects.exists()  # nothing saved by the preview
    created = spreading.statement_sheet_import(actor=users["analyst"], customer=customer, payload=preview.payload())
    assert len(created) == 2
    latest = FinancialStatement.objects.get(customer=customer, period_end="2023-12-31")
    assert latest.unit == 10000 and latest.lines["BS101"] == "100" and latest.cash == Decimal("100")
    assert AuditEvent.objects.filter(verb="statement_sheet_import", object_id=str(customer.pk)).exists()


def test_one_bad_row_imports_nothing(make_customer, users):
    customer = make_customer()
    upload = _sheet({**_numbers(LINES), "BS105": "二百"}, with_codes=True)
    preview = spreading.statement_sheet_preview(actor=users["analyst"], customer=customer, uploaded_file=upload,
                                                header=HEADER)
    assert len(preview.bad_rows) == 1 and "二百" in preview.bad_rows[0][2]
    assert not preview.importable


def test_a_period_that_fails_a_check_is_named_in_the_preview(make_customer, users):
    customer = make_customer()
    upload = _sheet({**_numbers(LINES), "BS119": 610})
    preview = spreading.statement_sheet_preview(actor=users["analyst"], customer=customer, uploaded_file=upload,
                                                header=HEADER)
    messages = [m for ms in preview.refusals.values() for m in ms]
    assert any("BS119" in m for m in messages) and not preview.importable


def test_pages_upload_preview_confirm_and_template(make_customer, users, client_for):
    customer = make_customer()
    client = client_for(users["analyst"])
    url = reverse("customers:statement_sheet", args=[customer.pk])
    assert client.get(url).status_code == 200
    data = {**HEADER, "audited": "on", "file": _sheet(_numbers(LINES), extra=[["其他神秘项目", 5, None]])}
    data.pop("consolidated")
    response = client.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "其他神秘项目" in page and "现金及现金等价物" in page
    token = response.context["token"]
    assert token and not FinancialStatement.objects.exists(), (response.context["preview"].refusals, response.context["preview"].bad_rows)
    response = client.post(reverse("customers:statement_sheet_confirm", args=[customer.pk]), {"token": token})
    assert response.status_code == 302 and FinancialStatement.objects.count() == 1
    # the token is spent
    response = client.post(reverse("customers:statement_sheet_confirm", args=[customer.pk]), {"token": token})
    assert response.status_code == 302 and FinancialStatement.objects.count() == 1
    template = client.get(reverse("customers:statement_sheet_template"))
    assert template.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(template.content))
    assert len(book.worksheets) == 3 and book.worksheets[0]["A2"].value == "BS101"


def test_auditor_and_other_portfolio_are_refused(make_customer, users, client_for):
    customer = make_customer()
    url = reverse("customers:statement_sheet", args=[customer.pk])
    assert client_for(users["auditor"]).get(url).status_code == 403
    assert client_for(users["auditor"]).post(
        reverse("customers:statement_sheet_confirm", args=[customer.pk]), {"token": "x"}).status_code == 403
    assert client_for(users["rm2"]).get(url).status_code == 404
