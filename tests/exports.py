"""Helpers for the list export tests: download a list as CSV or XLSX and read it back as rows."""
import csv
import datetime as dt
import io

from openpyxl import load_workbook

from creditportal.core.lists import XLSX_CONTENT_TYPE


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def rows_of(response, fmt):
    """The file's rows (header first) as lists of strings (XLSX numbers as they were written)."""
    assert response.status_code == 200, response.status_code
    data = body_of(response)
    if fmt == "csv":
        assert response["Content-Type"].startswith("text/csv")
        assert data.startswith("\ufeff".encode()), "CSV starts with a UTF-8 BOM so Excel reads Chinese"
        return [row for row in csv.reader(io.StringIO(data.decode("utf-8-sig")))]
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [[_as_text_date(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def _as_text_date(value):
    """XLSX dates are real dates (read back as datetimes): compare them as the CSV's ISO text."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    return value


def export(client, url, fmt, **params):
    response = client.get(url, {**params, "export": fmt}, HTTP_ACCEPT_LANGUAGE="en")
    return rows_of(response, fmt)


def column(rows, label):
    """The values of the column headed ``label`` (data rows only)."""
    index = rows[0].index(label)
    return [row[index] for row in rows[1:]]
