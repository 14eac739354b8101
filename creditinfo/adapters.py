"""Reading a source's file into the portal's format: the adapter interface, its registry and the built-in adapter.

An adapter turns a provider's export into a ``RawImport``: the portal's JSON format (docs/CREDITINFO.md) as
plain values, not yet checked, with where each record came from (``locate(section, index)``: "sheet
court_records, row 5", "court_records[2]") so a refusal names the row. Everything after reading — checks,
storage, hashing, audit, the changes and the alerts — is the same for every adapter (``services.outside_import``).

A provider's own export is mapped by a new adapter, added in an ``AppConfig.ready``::

    from creditinfo.adapters import ADAPTERS
    ADAPTERS.add(MyProviderAdapter())   # code, label, extensions, read(data, file_name) -> RawImport

``read`` raises ``AdapterError(message, locator)`` for a file it cannot read.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from django.utils.translation import gettext as _

from creditportal.core import registry

from . import rules

FORMAT = "creditportal.outside/1"
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000
XLSX_MAX_MEMBERS = 100
XLSX_MAX_UNCOMPRESSED = 30 * 1024 * 1024


class AdapterError(Exception):
    def __init__(self, message, locator: str = ""):
        super().__init__(message)
        self.message = message
        self.locator = locator


@dataclass
class RawImport:
    """``content``: ``{"source", "as_of", <section>: ...}`` in the portal's format, values as read (text)."""

    content: dict
    locators: dict = field(default_factory=dict)  # (section, index) -> text; missing: "<section>[index]"

    def locate(self, section: str, index: int | None = None) -> str:
        if (section, index) in self.locators:
            return self.locators[(section, index)]
        return section if index is None else f"{section}[{index + 1}]"


@runtime_checkable
class OutsideAdapter(Protocol):
    code: str
    label: str
    extensions: tuple

    def read(self, data: bytes, file_name: str) -> RawImport: ...


ADAPTERS: registry.Hook[OutsideAdapter] = registry.Hook("creditinfo.adapters", OutsideAdapter,
                                                        key=lambda adapter: adapter.code)


def adapter_choices() -> list[tuple[str, str]]:
    return [(a.code, a.label) for a in ADAPTERS.all()]


# --- The portal's own format: JSON, or XLSX with one sheet per section -------------------------------------

# Sheet → the section it fills and its columns (row 1 holds the column names; the order is free).
SHEETS = {
    "import": ("", ["field", "value"]),
    "registration": (rules.REGISTRATION, ["status", "registered_capital", "paid_in_capital", "currency",
                                          "legal_representative", "actual_controller"]),
    "shareholders": (rules.REGISTRATION, ["name", "share"]),
    "registration_changes": (rules.REGISTRATION, ["changed_on", "item", "before", "after"]),
    "court_records": (rules.COURT, ["kind", "case_number", "court", "filed_on", "amount", "currency", "closed"]),
    "penalties": (rules.PENALTY, ["decision_number", "authority", "decided_on", "reason", "amount", "currency"]),
    "tax_ratings": (rules.TAX, ["year", "rating"]),
    "pledges": (rules.PLEDGE, ["kind", "registration_number", "pledgee", "amount", "currency", "registered_on",
                               "released"]),
    "credit_report": (rules.CREDIT_REPORT, ["report_date", "currency", "overdue_amount", "guarantees_given",
                                            "queries_3m"]),
    "credit_report_loans": (rules.CREDIT_REPORT, ["lender", "outstanding", "overdue"]),
}


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _check_zip(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise AdapterError(_("This is not a valid XLSX file.")) from None
    members = archive.infolist()
    if len(members) > XLSX_MAX_MEMBERS or sum(m.file_size for m in members) > XLSX_MAX_UNCOMPRESSED:
        raise AdapterError(_("The XLSX file is too large once unpacked."))
    if "xl/workbook.xml" not in archive.namelist():
        raise AdapterError(_("This is not a valid XLSX file."))


class PortalAdapter:
    """The portal's own format (docs/CREDITINFO.md), as JSON or as an XLSX workbook."""

    code = "portal"
    label = _("Portal format (JSON or XLSX)")
    extensions = (".json", ".xlsx")

    def read(self, data: bytes, file_name: str) -> RawImport:
        if len(data) > MAX_BYTES:
            raise AdapterError(_("The file is too large: at most %(limit)s bytes are accepted.") % {"limit": MAX_BYTES})
        name = (file_name or "").lower()
        if name.endswith(".xlsx") or data.startswith(b"PK\x03\x04"):
            return self._read_xlsx(data)
        if name.endswith(".json"):
            return self._read_json(data)
        raise AdapterError(_("Upload a .json or .xlsx file in the portal's format."))

    def _read_json(self, data: bytes) -> RawImport:
        try:
            content = json.loads(data.decode("utf-8-sig"), parse_float=str, parse_int=str)
        except (UnicodeDecodeError, ValueError) as exc:
            raise AdapterError(_("The file is not valid JSON: %(error)s") % {"error": exc}) from None
        if not isinstance(content, dict):
            raise AdapterError(_("The file must hold one JSON object."))
        if content.get("format", FORMAT) != FORMAT:
            raise AdapterError(_("Unknown format %(format)s; expected %(expected)s.")
                               % {"format": content.get("format"), "expected": FORMAT})
        content.pop("format", None)
        return RawImport(content)

    def _read_xlsx(self, data: bytes) -> RawImport:
        import openpyxl

        _check_zip(data)
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:
            raise AdapterError(_("This is not a valid XLSX file.")) from None
        content: dict = {}
        locators: dict = {}
        try:
            unknown = [name for name in workbook.sheetnames if name not in SHEETS]
            if unknown:
                raise AdapterError(_("Unknown sheet %(sheet)s; the sheets are: %(sheets)s.")
                                   % {"sheet": unknown[0], "sheets": ", ".join(SHEETS)}, unknown[0])
            tables = {name: self._sheet_rows(workbook[name], name) for name in workbook.sheetnames}
        finally:
            workbook.close()
        for row_number, row in tables.get("import", []):
            key = row.get("field", "")
            if key in ("source", "as_of"):
                content[key] = row.get("value", "")
        for sheet, section in (("court_records", rules.COURT), ("penalties", rules.PENALTY),
                               ("tax_ratings", rules.TAX), ("pledges", rules.PLEDGE)):
            if sheet in tables:
                content[section] = []
                for index, (row_number, row) in enumerate(tables[sheet]):
                    content[section].append(row)
                    locators[(section, index)] = _("sheet %(sheet)s, row %(row)s") % {"sheet": sheet, "row": row_number}
        for sheet, section, children in (("registration", rules.REGISTRATION,
                                          (("shareholders", "shareholders"), ("registration_changes", "changes"))),
                                         ("credit_report", rules.CREDIT_REPORT, (("credit_report_loans", "loans"),))):
            if sheet not in tables:
                for child_sheet, _key in children:
                    if child_sheet in tables:
                        raise AdapterError(_("Sheet %(child)s needs the sheet %(sheet)s.")
                                           % {"child": child_sheet, "sheet": sheet}, child_sheet)
                continue
            rows = tables[sheet]
            if len(rows) != 1:
                raise AdapterError(_("Sheet %(sheet)s must hold exactly one row under its header.") % {"sheet": sheet},
                                   sheet)
            row_number, record = rows[0]
            locators[(section, None)] = _("sheet %(sheet)s, row %(row)s") % {"sheet": sheet, "row": row_number}
            for child_sheet, key in children:
                record[key] = []
                for index, (child_row, child) in enumerate(tables.get(child_sheet, [])):
                    record[key].append(child)
                    locators[(f"{section}.{key}", index)] = _("sheet %(sheet)s, row %(row)s") % {
                        "sheet": child_sheet, "row": child_row}
            content[section] = record
        return RawImport(content, locators)

    def _sheet_rows(self, sheet, name) -> list[tuple[int, dict]]:
        columns = SHEETS[name][1]
        header: list[str] | None = None
        rows = []
        for number, cells in enumerate(sheet.iter_rows(values_only=True, max_col=len(columns) + 5), start=1):
            texts = [_cell_text(c) for c in cells]
            if header is None:
                header = [t.lower() for t in texts]
                missing = [c for c in columns if c not in header]
                extra = [h for h in header if h and h not in columns]
                if missing or extra:
                    raise AdapterError(_("Sheet %(sheet)s: row 1 must name the columns %(columns)s.")
                                       % {"sheet": name, "columns": ", ".join(columns)}, name)
                continue
            if not any(texts):
                continue
            if len(rows) >= MAX_ROWS:
                raise AdapterError(_("Sheet %(sheet)s has more than %(limit)s rows.") % {"sheet": name,
                                                                                         "limit": MAX_ROWS}, name)
            rows.append((number, {h: t for h, t in zip(header, texts) if h}))
        return rows


# --- The XLSX template -----------------------------------------------------------------------------------

TEMPLATE_EXAMPLE = {
    "import": [["source", "企查查"], ["as_of", "2026-11-01"]],
    "registration": [["存续", "10000000", "5000000", "CNY", "张三", "李四"]],
    "shareholders": [["李四", "60"], ["王五", "40"]],
    "registration_changes": [["2026-05-01", "法定代表人", "王五", "张三"]],
    "court_records": [["被执行人", "(2026)沪0101执100号", "上海市黄浦区人民法院", "2026-03-01", "120000", "CNY", "否"]],
    "penalties": [["沪市监罚〔2025〕1号", "上海市市场监督管理局", "2025-06-01", "虚假宣传", "50000", "CNY"]],
    "tax_ratings": [["2025", "B"]],
    "pledges": [["股权出质", "GQ-2026-001", "某信托公司", "800000", "CNY", "2026-01-10", "否"]],
    "credit_report": [["2026-10-31", "CNY", "0", "2000000", "3"]],
    "credit_report_loans": [["工商银行", "3000000", "0"]],
}


def xlsx_template() -> bytes:
    """A workbook in the portal's format: every sheet with its header and an example row (text cells)."""
    import openpyxl

    from creditportal.core.lists import safe_cell

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, (_section, columns) in SHEETS.items():
        sheet = workbook.create_sheet(name)
        sheet.append(columns)
        for row in TEMPLATE_EXAMPLE.get(name, []):
            sheet.append([safe_cell(value) for value in row])
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()
