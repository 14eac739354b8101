import copy
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import domestic_customer


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english(settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def make_customer(users):
    def make(manager=None, **fields):
        return domestic_customer(manager or users["rm"], **fields)

    return make


BASE = {
    "format": "creditportal.outside/1",
    "source": "企查查",
    "as_of": "2026-11-01",
    "registration": {
        "status": "存续", "registered_capital": "10000000", "paid_in_capital": "5000000", "currency": "CNY",
        "legal_representative": "张三", "actual_controller": "李四",
        "shareholders": [{"name": "李四", "share": "60"}, {"name": "王五", "share": "40"}],
        "changes": [{"changed_on": "2026-05-01", "item": "法定代表人", "before": "王五", "after": "张三"}],
    },
    "court_records": [
        {"kind": "被执行人", "case_number": "(2026)沪0101执100号", "court": "上海市黄浦区人民法院",
         "filed_on": "2026-03-01", "amount": "120000", "closed": False},
    ],
    "penalties": [{"decision_number": "沪市监罚〔2025〕1号", "authority": "上海市市场监督管理局",
                   "decided_on": "2025-06-01", "reason": "虚假宣传", "amount": "50000"}],
    "tax_ratings": [{"year": 2024, "rating": "A"}, {"year": 2025, "rating": "B"}],
    "pledges": [{"kind": "chattel_mortgage", "registration_number": "DY-001", "pledgee": "工商银行",
                 "amount": "800000", "registered_on": "2026-01-10", "released": False}],
    "credit_report": {"report_date": "2026-10-31", "currency": "CNY", "overdue_amount": "0",
                      "guarantees_given": "2000000", "queries_3m": 3,
                      "loans": [{"lender": "工商银行", "outstanding": "3000000", "overdue": "0"},
                                {"lender": "招商银行", "outstanding": "1000000"}]},
}


@pytest.fixture
def content():
    """A fresh copy of a complete import in the portal's JSON format."""
    return copy.deepcopy(BASE)


def json_file(data, name="outside.json"):
    return SimpleUploadedFile(name, json.dumps(data, ensure_ascii=False).encode("utf-8"),
                              content_type="application/json")


def xlsx_file(sheets: dict, name="outside.xlsx"):
    """``sheets``: {sheet name: [header row, row, ...]}."""
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    return SimpleUploadedFile(name, stream.getvalue(),
                              content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@pytest.fixture
def do_import(users):
    from creditinfo import services

    def run(customer, data, actor=None, **kwargs):
        upload = data if hasattr(data, "read") else json_file(data)
        return services.outside_import(actor=actor or users["rm"], customer=customer, uploaded_file=upload, **kwargs)

    return run
