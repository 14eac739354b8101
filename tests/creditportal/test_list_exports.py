"""Every list users work from exports its filtered, sorted rows as CSV and XLSX through one machinery:
translated header, audited as "export", refused (403) for a role without the list's permission."""
import pytest
from django.urls import reverse

from audit.models import AuditEvent
from creditportal.core import lists
from tests.exports import body_of, export, rows_of

# (url name, permission needed to see and export it, a header label every file has)
LISTS = [
    ("customers:customer_list", "customers.view_customer", "Name"),
    ("customers:group_list", "customers.view_customergroup", "Parent company"),
    ("ratings:rating_list", "ratings.view_rating", "Grade"),
    ("credit:application_list", "credit.view_creditapplication", "Amount currency"),
    ("credit:facility_list", "credit.view_facility", "Limit"),
    ("collection:invoice_list", "collection.view_invoice", "Outstanding"),
    ("collection:payment_list", "collection.view_payment", "Received on"),
    ("collection:claim_list", "collection.view_claimpayout", "Reason"),
    ("collection:dunning_list", "collection.view_dunningaction", "Overdue amount"),
    ("collection:case_list", "collection.view_collectioncase", "Collector"),
    ("collection:writeoff_list", "collection.view_writeoff", "Proposed on"),
    ("monitoring:alert_list", "monitoring.view_alert", "Severity"),
    ("monitoring:watchlist", "monitoring.view_watchlistentry", "Since"),
    ("monitoring:classification_list", "monitoring.view_assetclassification", "Tier"),
    ("monitoring:exposure_list", "customers.view_all_customers", "Exposure currency"),
    ("accounts:user_list", "auth.view_user", "Roles"),
    ("audit:event_list", "audit.export_auditevent", "Object type"),
]


def _user_with(users, perm, has=True):
    for user in users.values():
        if user.has_perm(perm) == has and (not has or user.has_perm("monitoring.view_alert")
                                           or perm != "customers.view_all_customers"):
            return user
    return None


@pytest.mark.django_db
@pytest.mark.parametrize("url_name,perm,label", LISTS)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_list_exports_with_translated_header_and_is_audited(client, users, url_name, perm, label, fmt):
    user = _user_with(users, perm)
    client.force_login(user)
    before = AuditEvent.objects.filter(action="export").count()
    rows = export(client, reverse(url_name), fmt)
    assert label in rows[0]
    event = AuditEvent.objects.filter(action="export").order_by("-id").first()
    assert AuditEvent.objects.filter(action="export").count() == before + 1
    assert event.actor_username == user.username and event.verb.endswith(f"_{fmt}")
    assert event.after["format"] == fmt and event.after["rows"] == len(rows) - 1

    chinese = client.get(reverse(url_name), {"export": fmt}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert rows_of(chinese, fmt)[0] != rows[0], "the header follows the user's language"


@pytest.mark.django_db
@pytest.mark.parametrize("url_name,perm,label", LISTS)
def test_list_export_refused_without_permission(client, users, make_user, url_name, perm, label):
    refused = _user_with(users, perm, has=False) or make_user("no_role_at_all")
    assert not refused.has_perm(perm)
    client.force_login(refused)
    before = AuditEvent.objects.filter(action="export").count()
    for fmt in ("csv", "xlsx"):
        assert client.get(reverse(url_name), {"export": fmt}).status_code == 403
    assert AuditEvent.objects.filter(action="export").count() == before


@pytest.mark.django_db
def test_page_shows_export_links_only_to_who_may_export(client, users):
    client.force_login(users["auditor"])
    page = client.get(reverse("audit:event_list")).content.decode()
    assert "export=csv" in page and "export=xlsx" in page
    client.force_login(users["riskadmin"])
    if not users["riskadmin"].has_perm("audit.export_auditevent"):
        page = client.get(reverse("audit:event_list"))
        assert page.status_code in (200, 403) and "export=csv" not in page.content.decode()


@pytest.mark.django_db
def test_unknown_format_and_too_many_rows_are_refused_with_a_message(client, users, settings):
    client.force_login(users["riskadmin"])
    url = reverse("accounts:user_list")
    before = AuditEvent.objects.filter(action="export").count()
    response = client.get(url, {"export": "pdf"}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "CSV or XLSX only" in response.content.decode()
    settings.EXPORT_MAX_ROWS = 3
    response = client.get(url, {"export": "csv", "q": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and "export" not in response["Location"]
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "an export holds at most 3" in page
    assert AuditEvent.objects.filter(action="export").count() == before


@pytest.mark.django_db
def test_users_export_filter_sort_and_values(client, users):
    client.force_login(users["riskadmin"])
    url = reverse("accounts:user_list")
    rows = export(client, url, "csv", sort="-username")
    names = [r[0] for r in rows[1:]]
    assert names == sorted(names, reverse=True) and "system" not in names
    rows = export(client, url, "xlsx", q="approver", sort="username")
    assert [r[0] for r in rows[1:]] == ["approver1", "approver2", "approver3"]
    assert rows[1][rows[0].index("Active")] == "yes"
    # an unknown sort key falls back to the default order instead of failing
    rows = export(client, url, "csv", sort="password")
    assert [r[0] for r in rows[1:]] == sorted(r[0] for r in rows[1:])


def test_export_without_a_recorder_is_refused(monkeypatch):
    monkeypatch.setattr(lists.EXPORT_RECORDER, "_impl", None)
    with pytest.raises(RuntimeError):
        lists.record_export(actor=None, verb="x_csv", object_type="x", object_repr="x", after={})


def test_file_values_are_iso_and_plain():
    import datetime as dt
    from decimal import Decimal

    assert lists.file_value(dt.date(2026, 3, 4)) == "2026-03-04"
    assert lists.file_value(Decimal("1234.50")) == Decimal("1234.50")
    assert lists.file_value(None) == ""
    money = lists.Column("amount", "Amount", "amount", kind="money", currency="currency")
    assert money.cells({"amount": Decimal("9.99"), "currency": "EUR"}) == [Decimal("9.99"), "EUR"]
    from django.utils import translation

    with translation.override("en"):
        assert money.headers() == ["Amount", "Amount currency"]
    assert body_of  # imported helper used by other tests


def test_xlsx_cells_are_typed_and_the_sheet_is_laid_out():
    """Issue 21: real dates and numbers with formats, widths that fit Chinese, a frozen header and an autofilter."""
    import datetime as dt
    import io
    from decimal import Decimal

    from openpyxl import load_workbook

    from creditportal.core.lists import xlsx_response

    rows = [["华东机械有限公司", dt.date(2026, 6, 30), Decimal("39000.00"), 12, "=1+1"],
            ["B", dt.date(2026, 7, 1), Decimal("-5.5"), 3, "text"]]
    response = xlsx_response(["客户名称", "Due date", "Amount", "Days", "Note"], rows, "x", "Sheet")
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:E3"
    assert sheet["A1"].font.b
    assert sheet["B2"].is_date and sheet["B2"].number_format == "yyyy-mm-dd"
    assert sheet["C2"].value == 39000 and sheet["C2"].number_format == "#,##0.00"
    assert sheet["D2"].number_format == "#,##0"
    assert sheet["E2"].value == "'=1+1" and sheet["E2"].data_type == "s"
    assert sheet.column_dimensions["A"].width >= 16  # eight Chinese characters are sixteen wide
