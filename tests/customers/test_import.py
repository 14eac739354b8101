"""Statement import: CSV and XLSX from the template; one bad row → nothing imported, every bad row listed."""
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from customers import services, statement_io
from customers.models import FinancialStatement

HEADER = ",".join(statement_io.COLUMNS)


def _row(period_end="2023-12-31", equity="500", total_assets="1000", **values):
    base = {"period_end": period_end, "period_type": "annual", "audited": "yes", "consolidated": "no",
            "currency": "CNY", "unit": "10000", "current_assets": "600", "current_liabilities": "300",
            "total_assets": total_assets, "total_liabilities": "500", "equity": equity, "revenue": "1200",
            "net_profit": "90"}
    base.update(values)
    return ",".join(base.get(c, "") for c in statement_io.COLUMNS)


def _csv(*rows, name="statements.csv"):
    return SimpleUploadedFile(name, ("\n".join([HEADER, *rows]) + "\n").encode("utf-8"), content_type="text/csv")


def _xlsx(rows, name="statements.xlsx"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "statements"
    sheet.append(statement_io.COLUMNS)
    for row in rows:
        sheet.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    return SimpleUploadedFile(name, stream.getvalue())


@pytest.fixture
def customer(make_customer):
    return make_customer()


def test_csv_import(customer):
    created = services.statements_import(actor=customer.relationship_manager, customer=customer,
                                         uploaded_file=_csv(_row(), _row("2022-12-31")))
    assert len(created) == 2
    assert {s.unit for s in created} == {10000}
    assert FinancialStatement.objects.filter(customer=customer, source="import").count() == 2


def test_one_bad_row_imports_nothing_and_every_bad_row_is_listed(customer):
    upload = _csv(_row(), _row("2022-12-31", equity="400"), _row("2021-12-31"), _row("2020-12-31", total_assets="-5"))
    with pytest.raises(services.ImportRejected) as info:
        services.statements_import(actor=customer.relationship_manager, customer=customer, uploaded_file=upload)
    assert not FinancialStatement.objects.exists()
    rows = dict(info.value.rows)
    assert set(rows) == {3, 5}
    assert "balance" in rows[3]
    assert "negative" in rows[5]
    assert any(line.startswith("Row 3") for line in info.value.field_errors["file"])


def test_duplicate_inside_the_file_and_in_the_database(customer, make_statement):
    make_statement(customer, year=2021)
    with pytest.raises(services.ImportRejected) as info:
        services.statements_import(actor=customer.relationship_manager, customer=customer,
                                   uploaded_file=_csv(_row(), _row(), _row("2021-12-31")))
    rows = dict(info.value.rows)
    assert "Same period as row 2" in rows[3]
    assert "already exists" in rows[4]
    assert FinancialStatement.objects.count() == 1


def test_unreadable_values_are_reported(customer):
    with pytest.raises(services.ImportRejected) as info:
        services.statements_import(actor=customer.relationship_manager, customer=customer,
                                   uploaded_file=_csv(_row(period_end="31/12/2023"), _row("2022-12-31", revenue="lots"),
                                                      _row("2021-12-31", unit="100")))
    assert set(dict(info.value.rows)) == {2, 3, 4}


def test_xlsx_import_with_numbers_and_dates(customer):
    import datetime as dt

    def row(year, equity=500):
        values = {"period_end": dt.datetime(year, 12, 31), "period_type": "annual", "audited": True,
                  "consolidated": False, "currency": "CNY", "unit": 1000, "total_assets": 1000.5,
                  "total_liabilities": 500, "equity": equity + 0.5, "current_assets": 600, "revenue": 1200.25}
        return [values.get(c) for c in statement_io.COLUMNS]

    created = services.statements_import(actor=customer.relationship_manager, customer=customer,
                                         uploaded_file=_xlsx([row(2023), row(2022)]))
    assert len(created) == 2
    assert created[0].total_assets == Decimal("1000.5")
    with pytest.raises(services.ImportRejected) as info:
        services.statements_import(actor=customer.relationship_manager, customer=customer,
                                   uploaded_file=_xlsx([row(2021), row(2020, equity=100)]))
    assert list(dict(info.value.rows)) == [3]
    assert FinancialStatement.objects.count() == 2


def test_template_round_trip(customer):
    workbook = openpyxl.load_workbook(io.BytesIO(statement_io.xlsx_template()), read_only=True)
    header = next(workbook["statements"].iter_rows(values_only=True))
    assert list(header) == statement_io.COLUMNS
    assert statement_io.csv_template().decode("utf-8-sig").strip() == HEADER


def test_file_level_refusals(customer, settings):
    rm = customer.relationship_manager
    cases = [
        SimpleUploadedFile("x.pdf", b"%PDF-1.4"),
        SimpleUploadedFile("x.csv", b"name,total\n1,2\n"),
        SimpleUploadedFile("x.csv", b""),
        SimpleUploadedFile("x.xlsx", b"PK\x03\x04 not really a zip"),
    ]
    for upload in cases:
        with pytest.raises(services.ImportRejected):
            services.statements_import(actor=rm, customer=customer, uploaded_file=upload)
    settings.STATEMENT_IMPORT_MAX_BYTES = 100
    with pytest.raises(services.ImportRejected) as info:
        services.statements_import(actor=rm, customer=customer, uploaded_file=_csv(_row(), _row("2022-12-31")))
    assert "too large" in info.value.message
    assert not FinancialStatement.objects.exists()


def test_row_limit(customer, settings):
    settings.STATEMENT_IMPORT_MAX_ROWS = 3
    rows = [_row(f"{2000 + i}-12-31") for i in range(5)]
    with pytest.raises(services.ImportRejected) as info:
        services.statements_import(actor=customer.relationship_manager, customer=customer, uploaded_file=_csv(*rows))
    assert "more than 3 rows" in info.value.message


def test_zip_bomb_is_not_opened(customer):
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (40 * 1024 * 1024))
    upload = SimpleUploadedFile("bomb.xlsx", stream.getvalue())
    assert upload.size < 2 * 1024 * 1024
    with pytest.raises(services.ImportRejected) as info:
        services.statements_import(actor=customer.relationship_manager, customer=customer, uploaded_file=upload)
    assert "XLSX" in info.value.message


def test_missing_required_column_is_named_in_the_readers_language(users, make_customer):
    from django.utils import translation

    customer = make_customer()
    header = ",".join(c for c in statement_io.COLUMNS if c != "equity")
    upload = SimpleUploadedFile("s.csv", (header + "\n2023-12-31\n").encode(), content_type="text/csv")
    with translation.override("zh-hans"), pytest.raises(services.ImportRejected) as refused:
        services.statements_import(actor=users["rm"], customer=customer, uploaded_file=upload)
    assert "所有者权益合计 (equity)" in str(refused.value.message)
    assert not FinancialStatement.objects.filter(customer=customer).exists()
