"""Importing outside credit information: every record kind stored with source, date and evidence; changes between
two imports; a bad file imports nothing and names the row."""
import datetime as dt
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from creditinfo import rules, services
from creditinfo.models import (AdministrativePenalty, CourtRecord, CreditReport, OutsideChange, OutsideImport, Pledge,
                               Registration, TaxRating)
from creditinfo.validation import ImportRefused
from creditportal.core import clock
from creditportal.core.canonical import sha256_of
from creditportal.core.errors import NotAllowed, ValidationFailed

from .conftest import json_file, xlsx_file

pytestmark = pytest.mark.django_db


def test_a_complete_import_stores_every_kind_with_its_source_date_and_evidence(users, make_customer, content,
                                                                             do_import):
    customer = make_customer()
    imp = do_import(customer, content)
    assert imp.kinds == list(rules.KINDS)
    assert imp.record_count == 1 + 1 + 1 + 2 + 1 + 1
    assert imp.content_sha256 == sha256_of(imp.content) and len(imp.file_sha256) == 64
    assert imp.file.read().startswith(b"{")
    registration = Registration.objects.get(customer=customer)
    assert (registration.status, registration.actual_controller, registration.source, registration.as_of) == (
        "active", "李四", "企查查", dt.date(2026, 11, 1))
    assert registration.outside_import == imp
    assert [(s.name, s.share, s.is_controlling) for s in registration.shareholders.all()] == [
        ("李四", Decimal("60.0000"), True), ("王五", Decimal("40.0000"), False)]
    assert registration.changes[0]["item"] == "法定代表人"
    court = CourtRecord.objects.get(customer=customer)
    assert (court.kind, court.amount, court.closed) == ("enforced", Decimal("120000.00"), False)
    assert AdministrativePenalty.objects.get(customer=customer).amount == Decimal("50000.00")
    assert sorted(TaxRating.objects.filter(customer=customer).values_list("year", "rating")) == [(2024, "A"),
                                                                                                (2025, "B")]
    assert Pledge.objects.get(customer=customer).kind == "chattel_mortgage"
    report = CreditReport.objects.get(customer=customer)
    assert report.loans_outstanding == Decimal("4000000.00") and report.queries_3m == 3
    event = AuditEvent.objects.get(object_type="creditinfo.outsideimport", object_id=str(imp.pk))
    assert event.action == "upload" and event.after["content_sha256"] == imp.content_sha256
    # the first import: everything it shows is new (the enforcement record, the penalty, the chattel mortgage)
    assert sorted(OutsideChange.objects.filter(customer=customer).values_list("kind", flat=True)) == [
        "new_chattel_mortgage", "new_enforcement", "new_penalty"]


def test_a_second_import_replaces_the_kinds_it_covers_and_its_changes_are_kept(users, make_customer, content,
                                                                              do_import):
    customer = make_customer()
    first = do_import(customer, content)
    clock.set_today(dt.date(2026, 12, 1))
    later = {"source": "企查查", "as_of": "2026-12-01",
             "registration": {**content["registration"], "status": "吊销", "actual_controller": "赵六"},
             "court_records": [*content["court_records"],
                               {"kind": "失信被执行人", "case_number": "(2026)沪0101执200号", "filed_on": "2026-11-20"},
                               {"kind": "破产", "case_number": "(2026)沪03破1号", "filed_on": "2026-11-25"}],
             "penalties": [*content["penalties"], {"decision_number": "沪税罚〔2026〕9号", "authority": "税务局",
                                                   "decided_on": "2026-11-02"}],
             "tax_ratings": [{"year": 2025, "rating": "B"}, {"year": 2026, "rating": "D"}],
             "pledges": [*content["pledges"], {"kind": "股权出质", "registration_number": "GQ-9", "pledgee": "信托公司",
                                               "registered_on": "2026-11-11"}],
             "credit_report": {**content["credit_report"], "report_date": "2026-11-30", "overdue_amount": "250000"}}
    second = do_import(customer, later)
    changes = {c.kind: c for c in OutsideChange.objects.filter(outside_import=second)}
    assert set(changes) == {"registration_status", "controller_changed", "new_dishonest", "new_bankruptcy",
                            "new_penalty", "tax_downgraded", "new_equity_pledge", "credit_overdue_up"}
    assert changes["controller_changed"].detail == {"before": "李四", "after": "赵六"}
    assert changes["registration_status"].detail == {"status": "revoked", "before": "active"}
    assert changes["tax_downgraded"].detail["rating"] == "D"
    assert changes["new_dishonest"].detected_on == dt.date(2026, 12, 1)
    # the records in force are the second import's; the first's are kept, no longer in force
    assert CourtRecord.objects.filter(customer=customer, is_current=True).count() == 3
    assert CourtRecord.objects.filter(customer=customer, is_current=False, outside_import=first).count() == 1
    assert Registration.objects.get(customer=customer, is_current=True).status == "revoked"
    # a third import of one kind only leaves the others in force
    clock.set_today(dt.date(2026, 12, 5))
    do_import(customer, {"source": "税务局", "as_of": "2026-12-05", "tax_ratings": [{"year": 2026, "rating": "C"}]})
    assert Registration.objects.get(customer=customer, is_current=True).outside_import == second
    assert list(TaxRating.objects.filter(customer=customer, is_current=True).values_list("rating", flat=True)) == ["C"]


def test_the_import_publishes_its_event_for_monitoring_and_ratings(users, make_customer, content, do_import,
                                                                  django_capture_on_commit_callbacks):
    from creditportal.models import OutboxMessage

    customer = make_customer()
    with django_capture_on_commit_callbacks(execute=False):
        do_import(customer, content)
    tasks = set(OutboxMessage.objects.values_list("task", flat=True))
    assert any("monitoring" in t for t in tasks) and any("ratings" in t for t in tasks)


def test_the_xlsx_format_gives_the_same_records_as_the_json(users, make_customer, content, do_import):
    customer = make_customer()
    sheets = {
        "import": [["field", "value"], ["source", "企查查"], ["as_of", "2026-11-01"]],
        "registration": [["status", "registered_capital", "paid_in_capital", "currency", "legal_representative",
                          "actual_controller"], ["存续", 10000000, 5000000, "CNY", "张三", "李四"]],
        "shareholders": [["name", "share"], ["李四", 60], ["王五", 40]],
        "registration_changes": [["changed_on", "item", "before", "after"],
                                 [dt.date(2026, 5, 1), "法定代表人", "王五", "张三"]],
        "court_records": [["kind", "case_number", "court", "filed_on", "amount", "currency", "closed"],
                          ["被执行人", "(2026)沪0101执100号", "上海市黄浦区人民法院", "2026-03-01", 120000, "", "no"]],
        "penalties": [["decision_number", "authority", "decided_on", "reason", "amount", "currency"],
                      ["沪市监罚〔2025〕1号", "上海市市场监督管理局", "2025-06-01", "虚假宣传", 50000, ""]],
        "tax_ratings": [["year", "rating"], [2024, "A"], [2025, "B"]],
        "pledges": [["kind", "registration_number", "pledgee", "amount", "currency", "registered_on", "released"],
                    ["动产抵押", "DY-001", "工商银行", 800000, "CNY", "2026-01-10", "否"]],
        "credit_report": [["report_date", "currency", "overdue_amount", "guarantees_given", "queries_3m"],
                          ["2026-10-31", "CNY", 0, 2000000, 3]],
        "credit_report_loans": [["lender", "outstanding", "overdue"], ["工商银行", 3000000, 0],
                                ["招商银行", 1000000, None]],
    }
    from_xlsx = do_import(customer, xlsx_file(sheets))
    other = make_customer()
    from_json = do_import(other, content)
    assert from_xlsx.content == from_json.content
    assert from_xlsx.content_sha256 == from_json.content_sha256 and from_xlsx.file_sha256 != from_json.file_sha256


@pytest.mark.parametrize("section, index, field, value, where", [
    ("court_records", 0, "filed_on", "2026-02-30", "court_records[1]"),
    ("court_records", 0, "kind", "unknown", "court_records[1]"),
    ("tax_ratings", 1, "rating", "E", "tax_ratings[2]"),
    ("pledges", 0, "amount", "-5", "pledges[1]"),
])
def test_a_bad_json_row_imports_nothing_and_is_named(users, make_customer, content, do_import, section, index, field,
                                                     value, where):
    customer = make_customer()
    content[section][index][field] = value
    with pytest.raises(ImportRefused) as refused:
        do_import(customer, content)
    assert refused.value.row == where and where in str(refused.value.message)
    assert refused.value.field == field
    assert not OutsideImport.objects.exists() and not CourtRecord.objects.exists()


def test_a_bad_xlsx_row_imports_nothing_and_names_sheet_and_row(users, make_customer, do_import):
    customer = make_customer()
    sheets = {"import": [["field", "value"], ["source", "企查查"], ["as_of", "2026-11-01"]],
              "court_records": [["kind", "case_number", "court", "filed_on", "amount", "currency", "closed"],
                                ["被执行人", "A-1", "", "2026-03-01", 1, "", ""],
                                ["限高", "A-2", "", "yesterday", 1, "", ""]]}
    with pytest.raises(ImportRefused) as refused:
        do_import(customer, xlsx_file(sheets))
    assert refused.value.row == "sheet court_records, row 3"
    assert not OutsideImport.objects.exists()


def test_other_bad_files_are_refused(users, make_customer, content, do_import):
    customer = make_customer()
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationFailed):
        do_import(customer, SimpleUploadedFile("x.json", b"{not json", content_type="application/json"))
    with pytest.raises(ValidationFailed):
        do_import(customer, SimpleUploadedFile("x.csv", b"a,b", content_type="text/csv"))
    with pytest.raises(ValidationFailed):
        do_import(customer, {"source": "x", "as_of": "2026-11-01"})  # no section
    with pytest.raises(ValidationFailed):
        do_import(customer, content, adapter="nobody")
    duplicate = dict(content, court_records=content["court_records"] * 2)
    with pytest.raises(ImportRefused) as refused:
        do_import(customer, duplicate)
    assert refused.value.row == "court_records[2]"
    do_import(customer, content)
    older = dict(content, as_of="2026-10-01")
    with pytest.raises(ImportRefused):
        do_import(customer, older)
    assert OutsideImport.objects.count() == 1


def test_who_may_import(users, make_customer, content, do_import):
    customer = make_customer()
    for role in ("collector", "approver1", "riskadmin", "auditor"):
        with pytest.raises(NotAllowed):
            do_import(customer, content, actor=users[role])
    with pytest.raises(NotAllowed):  # another relationship manager's customer
        do_import(customer, content, actor=users["rm2"])
    assert do_import(customer, content, actor=users["analyst"]).imported_by == users["analyst"]


def test_the_file_is_opened_for_download_with_an_audit_record(users, make_customer, content, do_import):
    customer = make_customer()
    imp = do_import(customer, content)
    with services.outside_import_open(actor=users["analyst"], outside_import=imp) as handle:
        assert handle.read().startswith(b"{")
    assert AuditEvent.objects.filter(action="download", object_id=str(imp.pk)).exists()
    with pytest.raises(NotAllowed):
        services.outside_import_open(actor=users["rm2"], outside_import=imp)


def test_the_xlsx_template_imports_as_it_is(users, make_customer, do_import, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(users["collector"]).get("/creditinfo/template.xlsx")
    assert response.status_code == 200
    imp = do_import(make_customer(), SimpleUploadedFile("template.xlsx", response.content))
    assert imp.kinds == list(rules.KINDS) and imp.record_count == 1 + 1 + 1 + 1 + 1 + 1
