"""Reading statement import files (CSV, XLSX) and writing their templates.

Guards against hostile files: a size limit before anything is parsed, a ZIP inspection of an XLSX
(member count, total uncompressed size, compression ratio: a zip bomb is refused unopened), openpyxl in
``read_only`` mode with values only, a row limit and a column limit.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from .models import LINE_ITEMS, FinancialStatement

COLUMNS = ["period_end", "period_type", "audited", "consolidated", "currency", "unit", *LINE_ITEMS]
REQUIRED_COLUMNS = ["period_end", "total_assets", "total_liabilities", "equity"]
MAX_COLUMNS = 60
XLSX_MAX_MEMBERS = 100
XLSX_MAX_UNCOMPRESSED = 30 * 1024 * 1024
XLSX_MAX_RATIO = 200

TRUE_WORDS = {"1", "true", "yes", "y", "是", "√", "x"}
FALSE_WORDS = {"", "0", "false", "no", "n", "否"}
PERIOD_WORDS = {"annual": "annual", "年报": "annual", "年度": "annual", "interim": "interim", "中期": "interim",
                "半年报": "interim", "季报": "interim"}
UNIT_WORDS = {"1": 1, "元": 1, "yuan": 1, "1000": 1000, "千元": 1000, "10000": 10000, "万元": 10000}


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong type, too large, too many rows, bad header)."""


def max_bytes() -> int:
    return getattr(settings, "STATEMENT_IMPORT_MAX_BYTES", 2 * 1024 * 1024)


def max_rows() -> int:
    return getattr(settings, "STATEMENT_IMPORT_MAX_ROWS", 500)


def column_label(field: str) -> str:
    try:
        return str(FinancialStatement._meta.get_field(field).verbose_name)
    except Exception:
        return field


def _header_aliases() -> dict[str, str]:
    aliases = {}
    for field in COLUMNS:
        aliases[field] = field
        for language in ("en", "zh-hans"):
            with translation.override(language):
                aliases[column_label(field).strip().lower()] = field
    return aliases


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # openpyxl gives numbers as floats: their shortest repr is the number typed in the sheet.
        return repr(value) if not value.is_integer() else str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _parse_row(cells: dict[str, str]) -> tuple[dict, dict]:
    values, errors = {}, {}
    for field, text in cells.items():
        if field in ("audited", "consolidated"):
            word = text.lower()
            if word in TRUE_WORDS:
                values[field] = True
            elif word in FALSE_WORDS:
                values[field] = False
            else:
                errors[field] = [_("Write yes or no.")]
        elif field == "period_type":
            if text:
                if text.lower() not in PERIOD_WORDS:
                    errors[field] = [_("Write annual or interim.")]
                else:
                    values[field] = PERIOD_WORDS[text.lower()]
        elif field == "unit":
            if text:
                if text.lower() not in UNIT_WORDS:
                    errors[field] = [_("Write 1, 1000 or 10000 (元, 千元, 万元).")]
                else:
                    values[field] = UNIT_WORDS[text.lower()]
        elif field == "currency":
            values[field] = text.upper()
        elif field == "period_end":
            text = text[:10] if len(text) > 10 and text[10] in " T" else text
            values[field] = text
        else:
            values[field] = text.replace(",", "").replace(" ", "") or None
    return values, errors


def _rows_from_table(table) -> list[tuple[int, dict, dict]]:
    """``table`` yields lists of cell values; the first is the header."""
    iterator = iter(table)
    try:
        header = next(iterator)
    except StopIteration:
        raise ImportFileError(_("The file is empty.")) from None
    aliases = _header_aliases()
    fields = []
    for index, name in enumerate(header):
        text = _cell_text(name).lower().lstrip("\ufeff")
        if not text:
            fields.append(None)
            continue
        if text not in aliases:
            raise ImportFileError(_("Unknown column “%(name)s” (column %(n)d): use the template's columns.")
                                  % {"name": _cell_text(name), "n": index + 1})
        if aliases[text] in fields:
            raise ImportFileError(_("The column “%(name)s” appears twice.") % {"name": _cell_text(name)})
        fields.append(aliases[text])
    missing = [c for c in REQUIRED_COLUMNS if c not in fields]
    if missing:
        raise ImportFileError(_("Required column(s) missing: %(cols)s.")
                              % {"cols": ", ".join(f"{column_label(c)} ({c})" for c in missing)})
    rows = []
    limit = max_rows()
    for row_number, raw in enumerate(iterator, start=2):
        texts = [_cell_text(v) for v in raw]
        if not any(texts):
            continue
        if len(rows) >= limit:
            raise ImportFileError(_("The file has more than %(n)d rows; split it.") % {"n": limit})
        cells = {field: (texts[i] if i < len(texts) else "") for i, field in enumerate(fields) if field}
        if any(texts[i] for i in range(len(fields), len(texts))):
            values, errors = _parse_row(cells)
            errors["__all__"] = [_("This row has values outside the template's columns.")]
        else:
            values, errors = _parse_row(cells)
        rows.append((row_number, values, errors))
    return rows


def _read_all(uploaded_file) -> bytes:
    size = getattr(uploaded_file, "size", None)
    limit = max_bytes()
    if size is not None and size > limit:
        raise ImportFileError(_("The file is too large: at most %(limit)d bytes.") % {"limit": limit})
    uploaded_file.seek(0)
    data = uploaded_file.read(limit + 1)
    if len(data) > limit:
        raise ImportFileError(_("The file is too large: at most %(limit)d bytes.") % {"limit": limit})
    if not data:
        raise ImportFileError(_("The file is empty."))
    return data


def _csv_rows(data: bytes):
    if b"\x00" in data:
        raise ImportFileError(_("This is not a CSV text file."))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError(_("The CSV file must be saved as UTF-8."))
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else "", delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        for row in reader:
            if len(row) > MAX_COLUMNS:
                raise ImportFileError(_("Too many columns."))
            yield row
    except csv.Error as exc:  # e.g. a bare carriage return inside an unquoted field
        raise ImportFileError(_("This is not a CSV text file.")) from exc


def _check_zip(data: bytes):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ImportFileError(_("This is not a valid XLSX file.")) from None
    members = archive.infolist()
    if len(members) > XLSX_MAX_MEMBERS:
        raise ImportFileError(_("The XLSX file has too many parts."))
    total = 0
    for member in members:
        total += member.file_size
        if member.compress_size and member.file_size / member.compress_size > XLSX_MAX_RATIO \
                and member.file_size > 1024 * 1024:
            raise ImportFileError(_("The XLSX file is suspiciously compressed and was not opened."))
    if total > XLSX_MAX_UNCOMPRESSED:
        raise ImportFileError(_("The XLSX file is too large once unpacked."))
    if "xl/workbook.xml" not in archive.namelist():
        raise ImportFileError(_("This is not a valid XLSX file."))


def _xlsx_rows(data: bytes):
    import openpyxl

    _check_zip(data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise ImportFileError(_("This is not a valid XLSX file.")) from None
    try:
        sheet = workbook["statements"] if "statements" in workbook.sheetnames else workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
            yield list(row)
    finally:
        workbook.close()


def read_rows(uploaded_file) -> list[tuple[int, dict, dict]]:
    """[(row number, raw values by field, parse errors by field)] from a CSV or XLSX upload."""
    name = (getattr(uploaded_file, "name", "") or "").lower()
    data = _read_all(uploaded_file)
    if name.endswith(".xlsx") or data.startswith(b"PK\x03\x04"):
        return _rows_from_table(_xlsx_rows(data))
    if name.endswith(".csv") or name.endswith(".txt"):
        return _rows_from_table(_csv_rows(data))
    raise ImportFileError(_("Upload a .csv or .xlsx file made from the template."))


# --- Templates --------------------------------------------------------------------------------

EXAMPLE = {"period_end": "2024-12-31", "period_type": "annual", "audited": "yes", "consolidated": "no",
           "currency": "CNY", "unit": "10000"}


def csv_template() -> bytes:
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(COLUMNS)
    return ("\ufeff" + stream.getvalue()).encode("utf-8")


def xlsx_template() -> bytes:
    import openpyxl
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "statements"
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    help_sheet = workbook.create_sheet("help")
    help_sheet.append([_("column"), _("meaning"), _("example")])
    for field in COLUMNS:
        help_sheet.append([field, column_label(field), EXAMPLE.get(field, "")])
    help_sheet.append([])
    help_sheet.append([_("Fill one row per period in the sheet “statements”. Amounts in the unit of the row; "
                         "total assets must equal total liabilities plus equity.")])
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def decimal_text(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")
