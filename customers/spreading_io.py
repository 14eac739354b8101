"""Reading statements laid out as analysts receive them (XLSX), and writing that layout's template.

The layout: one or more sheets (the balance sheet, the income statement and the cash-flow statement may share
a sheet or have one each). In each sheet a header row names the columns: an optional code column (``code`` /
``代码`` / ``行次``), the line column (``line`` / ``项目`` / ``科目``) and one column per period, headed by the
period end (``2024-12-31``, ``2024`` or ``2024年``: a year means its 31 December). Each row below is one line:
matched by its code when it has one of ``customers.chart``, else by its name in Chinese or English or a common
synonym (``货币资金`` / ``现金及现金等价物`` / ``Cash``…), ignoring numbering (``一、``, ``（一）``), ``加：`` / ``减：`` /
``其中：`` and notes in brackets. A row without amounts is a heading and is skipped; a row with amounts whose
line is not recognised is listed as unmatched (shown before anything is saved, never imported); an amount that
is not a number is a bad row (nothing is imported).

The same file guards as ``statement_io`` (size, ZIP inspection, read-only openpyxl, row and column limits).
"""
from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from creditportal.core.lists import safe_cell
from creditportal.core.money import to_decimal

from . import chart
from .statement_io import MAX_COLUMNS, ImportFileError, _check_zip, _read_all, max_rows

CODE_HEADERS = {"code", "代码", "行次", "编码", "line code"}
LINE_HEADERS = {"line", "项目", "科目", "line item", "item", "名称", "资产", "负债和所有者权益", "项 目"}
MAX_SHEETS = 6
MAX_PERIODS = 5

_PREFIX = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d+[.、])\s*")
_LEAD_WORDS = re.compile(r"^(?:加|减|其中|less|add|of which)\s*[:：]\s*", re.IGNORECASE)
_BRACKETS = re.compile(r"[（(][^（）()]*[)）]")


def normalise(name: str) -> str:
    """The comparable form of a line's name: NFKC, numbering, ``加：``/``减：``/``其中：`` and bracketed notes
    dropped, spaces and punctuation removed, lower case."""
    text = unicodedata.normalize("NFKC", str(name or "")).strip()
    for _round in range(3):
        text = _PREFIX.sub("", text).strip()
        text = _LEAD_WORDS.sub("", text).strip()
    text = _BRACKETS.sub("", text)
    text = re.sub(r"[\s:：、,，.。'’\"“”\-—–/&]+", "", text)
    return text.lower()


def _aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for line in chart.LINES:  # names first, then synonyms: a line's own name wins over another's synonym
        for name in (line.zh, line.en):
            aliases.setdefault(normalise(name), line.code)
    for line in chart.LINES:
        for name in line.synonyms:
            aliases.setdefault(normalise(name), line.code)
    return aliases


ALIASES = _aliases()


def match_line(code_text: str, name: str) -> tuple[str | None, str]:
    """(chart code or ``None``, how: ``code`` / ``name`` / ``synonym``)."""
    code = (code_text or "").strip().upper()
    if code in chart.BY_CODE:
        return code, "code"
    key = normalise(name)
    if not key:
        return None, ""
    found = ALIASES.get(key)
    if found is None:
        return None, ""
    line = chart.BY_CODE[found]
    return found, ("name" if key in (normalise(line.zh), normalise(line.en)) else "synonym")


def parse_period(text) -> dt.date | None:
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    if isinstance(text, (int, float)) and 1990 <= int(text) <= 2100 and float(text).is_integer():
        return dt.date(int(text), 12, 31)
    value = unicodedata.normalize("NFKC", str(text or "")).strip()
    match = re.fullmatch(r"(\d{4})\s*(?:年|年度|fy)?", value, re.IGNORECASE)
    if match:
        return dt.date(int(match.group(1)), 12, 31)
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", value)
    if match:
        try:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            return None
    return None


@dataclass
class SheetRow:
    sheet: str
    row: int
    code_text: str
    name: str
    amounts: dict  # period end → Decimal
    code: str | None = None
    how: str = ""


@dataclass
class ReadResult:
    periods: list = field(default_factory=list)  # period ends, newest first
    matched: list = field(default_factory=list)  # SheetRow with a code
    unmatched: list = field(default_factory=list)  # SheetRow with amounts and no line
    errors: list = field(default_factory=list)  # (sheet, row, reason)

    def lines_by_period(self) -> dict:
        """``{period end: {code: Decimal}}`` of the matched rows."""
        result = {period: {} for period in self.periods}
        for row in self.matched:
            for period, amount in row.amounts.items():
                result[period][row.code] = amount
        return result


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _amount(value):
    """``(Decimal or None, error)`` of a cell; blanks and dashes are empty."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return None, _("not a number")
    if isinstance(value, (int, Decimal)):
        return Decimal(value), None
    if isinstance(value, float):
        return Decimal(repr(value)), None
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "").replace(" ", "")
    if text in ("", "-", "—", "--", "/"):
        return None, None
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = "-" + text[1:-1]
    try:
        return to_decimal(text), None
    except ValueError:
        return None, _("“%(text)s” is not a number") % {"text": str(value)[:40]}


def _read_sheet(title: str, rows, result: ReadResult, limit: int) -> None:
    header_index = code_col = line_col = None
    period_cols: dict[int, dt.date] = {}
    buffered = []
    for number, raw in enumerate(rows, start=1):
        cells = list(raw)
        if header_index is None:
            texts = [normalise(_text(c)) for c in cells]
            lines = [i for i, t in enumerate(texts) if t in {normalise(h) for h in LINE_HEADERS}]
            if lines:
                header_index, line_col = number, lines[0]
                codes = [i for i, t in enumerate(texts) if t in {normalise(h) for h in CODE_HEADERS}]
                code_col = codes[0] if codes else None
                for index, cell in enumerate(cells):
                    if index in (line_col, code_col):
                        continue
                    period = parse_period(cell)
                    if period is not None:
                        period_cols[index] = period
                if not period_cols:
                    raise ImportFileError(_("Sheet “%(sheet)s”: the header row names no period (write the period "
                                            "end, e.g. 2024-12-31, above each column of amounts).")
                                          % {"sheet": title})
                if len(period_cols) > MAX_PERIODS:
                    raise ImportFileError(_("Sheet “%(sheet)s”: at most %(n)d periods.")
                                          % {"sheet": title, "n": MAX_PERIODS})
            continue
        buffered.append((number, cells))
    if header_index is None:
        return  # a sheet without a header row (notes, help) is not read
    for period in period_cols.values():
        if period not in result.periods:
            result.periods.append(period)
    for number, cells in buffered:
        name = _text(cells[line_col]) if line_col < len(cells) else ""
        code_text = _text(cells[code_col]) if code_col is not None and code_col < len(cells) else ""
        if normalise(name) in {normalise(h) for h in LINE_HEADERS}:
            continue  # the header repeated (statements stacked in one sheet)
        amounts, bad = {}, []
        for index, period in period_cols.items():
            value, error = _amount(cells[index] if index < len(cells) else None)
            if error:
                bad.append(error)
            elif value is not None:
                amounts[period] = value
        if not name and not code_text and not amounts and not bad:
            continue
        if len(result.matched) + len(result.unmatched) >= limit:
            raise ImportFileError(_("The file has more than %(n)d rows; split it.") % {"n": limit})
        code, how = match_line(code_text, name)
        row = SheetRow(title, number, code_text, name, amounts, code, how)
        if bad:
            result.errors.append((title, number, f"{name or code_text}: {'; '.join(bad)}"))
            continue
        if not amounts:
            continue  # a heading (流动资产：) or an empty line
        if code is None:
            result.unmatched.append(row)
        else:
            result.matched.append(row)


def read_statement_sheets(uploaded_file) -> ReadResult:
    """Every sheet of an XLSX laid out as above (``ImportFileError`` for a file that cannot be read at all)."""
    import openpyxl

    name = (getattr(uploaded_file, "name", "") or "").lower()
    data = _read_all(uploaded_file)
    if not (name.endswith(".xlsx") or data.startswith(b"PK\x03\x04")):
        raise ImportFileError(_("Upload an .xlsx file laid out like the template."))
    _check_zip(data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise ImportFileError(_("This is not a valid XLSX file.")) from None
    result = ReadResult()
    try:
        if len(workbook.sheetnames) > MAX_SHEETS:
            raise ImportFileError(_("The file has more than %(n)d sheets.") % {"n": MAX_SHEETS})
        for sheet in workbook.worksheets:
            _read_sheet(sheet.title, sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), result, max_rows())
    finally:
        workbook.close()
    if not result.periods:
        raise ImportFileError(_("No sheet has a header row with a line column (项目 / line) and period columns."))
    seen: dict[str, SheetRow] = {}
    for row in result.matched:
        other = seen.get(row.code)
        if other is not None and other.amounts != row.amounts:
            result.errors.append((row.sheet, row.row, _("%(name)s: the line %(code)s appears twice (also row "
                                                        "%(other)s) with other amounts")
                                  % {"name": row.name or row.code_text, "code": row.code, "other": other.row}))
        seen.setdefault(row.code, row)
    used = {period for row in result.matched + result.unmatched for period in row.amounts}
    result.periods = sorted((p for p in result.periods if p in used), reverse=True)  # an empty column is no period
    if not result.periods and not result.errors:
        raise ImportFileError(_("The file has no amounts."))
    return result


# --- Template ---------------------------------------------------------------------------------------------------

def xlsx_template(*, language_zh: bool) -> bytes:
    """One sheet per statement: code, line (in the reader's language), two period columns to fill."""
    import openpyxl
    from openpyxl.styles import Font

    from .labels import STATEMENT_LABELS

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    year = dt.date.today().year - 1
    for statement in chart.STATEMENTS:
        sheet = workbook.create_sheet(str(STATEMENT_LABELS[statement])[:31])
        sheet.append([safe_cell("代码" if language_zh else "code"), safe_cell("项目" if language_zh else "line"),
                      f"{year}-12-31", f"{year - 1}-12-31"])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for line in chart.lines_of(statement):
            row = sheet.append([safe_cell(line.code), safe_cell(line.zh if language_zh else line.en), None, None])
            if line.kind == chart.SUBTOTAL:
                for cell in sheet[sheet.max_row]:
                    cell.font = Font(bold=True)
            del row
        sheet.column_dimensions["B"].width = 48
        sheet.column_dimensions["C"].width = 16
        sheet.column_dimensions["D"].width = 16
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()
