"""The aging summary (``CustomerAging``): the page, API, files and totals read from it equal the live computation,
every write keeps it true without a refresh, an FX change sends the readers back to live, the nightly refresh
is scheduled on the batch queue, and the page's queries do not grow with the portfolio.

Runs on SQLite and, with ``DATABASE_URL`` set to PostgreSQL, on PostgreSQL (``SummaryAgingRows``)."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from collection import selectors, services
from collection.models import AgingSummaryState, CustomerAging, InvoiceStatus
from collection.selectors.aging_summary import SummaryAgingRows
from creditportal.core.pagination import PageFirstPaginator
from creditportal.models import FxRate
from tests.collection.test_aging_sets import portfolio  # noqa: F401 - the shared mixed portfolio

pytestmark = [pytest.mark.django_db]

SORTS = ["-total", "total", "name", "-name", "oldest", "-oldest", "-overdue", "overdue",
         *[f"-{k}" for k in selectors.rules.BUCKET_KEYS], *selectors.rules.BUCKET_KEYS]


@pytest.fixture
def richer(portfolio, users, make_customer, make_invoice, today):  # noqa: F811
    """The mixed portfolio (five currencies, JPY without a rate, partial payments, a paid invoice, every
    bucket) with a credit note, a claim payout and a customer with sales of the DSO window only."""
    services.claim_payout_create(actor=users["rm"], customer=portfolio[0], amount="80.00", paid_on=today,
                                 reason="quality", kind="credit_note")
    services.claim_payout_create(actor=users["rm"], customer=portfolio[2], amount="40.00", paid_on=today,
                                 reason="claim")
    sales_only = make_customer("庚零售", industry="G")
    inv = make_invoice(sales_only, "90.00", days_past_due=-5, currency="USD")
    services.payment_post(actor=users["rm"], customer=sales_only, amount="90.00", currency="USD", received_on=today)
    inv.refresh_from_db()
    assert inv.status == InvoiceStatus.PAID
    services.aging_summary_refresh()
    return portfolio


def _read(user, today, sort, summary, page=None, **filters):
    """(rows, count, portfolio) as the page reads them: by page (``PageFirstPaginator``) or all rows."""
    qs = selectors.aging_queryset(user=user, as_of=today, **filters)
    rows, missing, finish = selectors.aging_by_customer(qs, as_of=today, sort=sort, summary=summary)
    if page is not None:
        paged = PageFirstPaginator(rows, 2).page(page)
        listed, count = [finish(r) for r in paged.object_list], paged.paginator.count
    else:
        listed, count = [finish(r) for r in rows], rows.count()
    totals = selectors.aging_portfolio(qs, as_of=today, rows=rows, summary=summary)
    return listed, count, totals, missing


def assert_summary_equals_live(user, today, *, sorts=("-total",), pages=(None,), **filters):
    summary = selectors.aging_summary(user=user, as_of=today, **filters)
    assert summary is not None, "the summary should be valid for today"
    if connection.vendor == "postgresql":
        rows, _m, _f = selectors.aging_by_customer(selectors.aging_queryset(user=user, as_of=today), as_of=today,
                                                   summary=summary)
        assert isinstance(rows, SummaryAgingRows)
    for sort in sorts:
        for page in pages:
            live = _read(user, today, sort, None, page, **filters)
            stored = _read(user, today, sort, summary, page, **filters)
            assert stored == live, (sort, page)
    return live


def test_rows_count_totals_and_every_sort_equal_live(users, richer, today):
    rows, count, totals, missing = assert_summary_equals_live(users["auditor"], today, sorts=SORTS, pages=(None, 1, 2))
    assert "JPY" in missing
    assert totals["customers"] == 5  # the JPY-only customer counts, the paid ones (sales only) do not
    assert count == 4
    # the sales of the DSO window include the paid customer's invoice (USD 90 × 7.1)
    assert totals["sales"] > 0


def test_filters_equal_live(users, richer, today, make_user):
    auditor = users["auditor"]
    assert_summary_equals_live(auditor, today, sorts=("-total", "name"), pages=(None, 1), manager=users["rm2"])
    assert_summary_equals_live(auditor, today, industry="C")
    assert_summary_equals_live(auditor, today, customer=richer[1])
    assert_summary_equals_live(users["rm2"], today, sorts=("-total", "oldest"))  # scoped to own customers
    case = services.case_open(actor=users["collector"], customer=richer[0], assigned_to=users["collector"])
    assert case.pk
    assert_summary_equals_live(auditor, today, collector=users["collector"])


def test_invalid_when_not_refreshed_today_or_for_another_day(users, richer, today):
    auditor = users["auditor"]
    assert selectors.aging_summary(user=auditor, as_of=today - dt.timedelta(days=1)) is None  # historic: live
    services.aging_summary_refresh(as_of=today - dt.timedelta(days=1))
    assert selectors.aging_summary(user=auditor, as_of=today) is None  # complete for yesterday only
    services.aging_summary_refresh()
    assert selectors.aging_summary(user=auditor, as_of=today) is not None


def test_every_write_keeps_the_summary_equal_to_live(users, richer, today, make_invoice, make_customer,
                                                      approver_authorities):
    auditor = users["auditor"]
    state = AgingSummaryState.objects.get()
    # a new invoice of a new customer, and of a known one
    newcomer = make_customer("辛新户", industry="F")
    make_invoice(newcomer, "321.09", days_past_due=75, currency="EUR")
    make_invoice(richer[2], "45.67", days_past_due=200)
    assert_summary_equals_live(auditor, today, sorts=("-total", "d61_90"), pages=(None, 1))
    # a payment allocated to one invoice (partly), and one settling a customer in full
    open_cny = richer[0].invoices.filter(status=InvoiceStatus.OPEN, currency="CNY").order_by("due_date").first()
    services.payment_post(actor=users["rm"], customer=richer[0], amount="10.00", received_on=today,
                          allocations=[(open_cny.pk, "10.00")])
    assert_summary_equals_live(auditor, today, sorts=("-total", "-oldest"))
    for currency in ("EUR",):
        owed = sum(i.outstanding for i in newcomer.invoices.filter(status=InvoiceStatus.OPEN, currency=currency))
        services.payment_post(actor=users["rm"], customer=newcomer, amount=owed, currency=currency, received_on=today)
    assert not CustomerAging.objects.filter(customer=newcomer, total__gt=0).exists()
    assert_summary_equals_live(auditor, today)
    # a claim payout / credit note
    services.claim_payout_create(actor=users["rm2"], customer=richer[3], amount="12.00", paid_on=today,
                                 reason="claim", kind="credit_note")
    assert_summary_equals_live(auditor, today)
    # a write-off changes invoices' status
    case = services.case_open(actor=users["collector"], customer=richer[2], assigned_to=users["collector"])
    case = services.case_escalate(actor=users["collector"], case=case, channel="litigation")
    writeoff = services.writeoff_propose(actor=users["collector"], case=case, reason="debtor insolvent")
    services.writeoff_approve(actor=users["approver1"], writeoff=writeoff)
    assert richer[2].invoices.filter(status=InvoiceStatus.WRITTEN_OFF).exists()
    assert_summary_equals_live(auditor, today, sorts=("-total", "name"))
    # an invoice import
    services.invoices_import(actor=users["rm2"], content=(
        "customer_id,number,issue_date,due_date,amount,currency\n"
        f"{richer[1].pk},IMP-1,{today - dt.timedelta(days=50)},{today - dt.timedelta(days=20)},77.70,USD\n"
    ).encode())
    assert_summary_equals_live(auditor, today, sorts=("-total", "d1_30"))
    state.refresh_from_db()
    assert state.as_of == today  # none of these needed a whole refresh


def test_an_fx_change_sends_the_readers_back_to_live(users, richer, today, client_for):
    auditor = users["auditor"]
    FxRate.objects.create(base_currency="JPY", quote_currency="CNY", rate=D("0.048"), valid_on=today)
    assert selectors.aging_summary(user=auditor, as_of=today) is None
    response = client_for(auditor).get(reverse("collection:aging"))
    assert response.status_code == 200 and response.context["view"].summary is None
    live = _read(auditor, today, "-total", None)
    assert "JPY" not in live[3] and live[1] == 5  # the JPY customer now has a total
    services.aging_summary_refresh()  # the night's refresh: valid again, under the new rates
    assert_summary_equals_live(auditor, today, sorts=("-total", "name"))
    FxRate.objects.filter(base_currency="USD", valid_on=today).update(rate=D("7.2"))  # a rate corrected
    assert selectors.aging_summary(user=auditor, as_of=today) is None


def test_page_api_and_export_read_the_summary_and_equal_live(users, richer, today, client_for, api_for):
    auditor = users["auditor"]
    client = client_for(auditor)
    response = client.get(reverse("collection:aging") + "?sort=name")
    assert response.context["view"].summary is not None
    served = (response.context["rows"], response.context["portfolio"], response.context["page_obj"].paginator.count)
    api = api_for(auditor).get("/api/v1/aging/?page_size=2&page=2").json()
    export = client.get(reverse("collection:aging_csv"))
    exported = (b"".join(export.streaming_content) if export.streaming else export.content).decode("utf-8-sig")
    services.aging_summary_invalidate()
    response = client.get(reverse("collection:aging") + "?sort=name")
    assert response.context["view"].summary is None
    assert served == (response.context["rows"], response.context["portfolio"],
                      response.context["page_obj"].paginator.count)
    assert api == api_for(auditor).get("/api/v1/aging/?page_size=2&page=2").json()
    export = client.get(reverse("collection:aging_csv"))
    assert exported == (b"".join(export.streaming_content) if export.streaming else export.content).decode("utf-8-sig")


def test_the_page_reads_the_same_number_of_queries_whatever_the_portfolio(users, richer, today, client_for,
                                                                         make_customer, make_invoice):
    client = client_for(users["auditor"])
    url = reverse("collection:aging") + "?sort=-total"
    client.get(url)  # warm the per-process caches (permissions, settings)

    def page_queries():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200 and response.context["view"].summary is not None
        return len(queries), [q["sql"] for q in queries.captured_queries]

    before, _ = page_queries()
    for i in range(12):
        make_invoice(make_customer(f"加{i}"), "10.00", days_past_due=i * 35)
    after, sql = page_queries()
    assert after == before, sql
    # the summary answers: no statement of the page groups the open invoices
    assert not any("collection_invoice" in s and "GROUP BY" in s for s in sql), sql


def test_nightly_refresh_is_scheduled_on_the_batch_queue(users, richer, today):
    from config.celery import beat_schedule

    from collection import tasks

    entries = [e for e in beat_schedule(10).values() if e["task"] == "collection.refresh_aging_summary"]
    assert len(entries) == 1
    schedule = entries[0]["schedule"]
    assert schedule.hour == {0} and schedule.minute == {5}  # shortly after midnight
    assert settings.CELERY_TASK_ROUTES["collection.refresh_aging_summary"] == {"queue": settings.BATCH_QUEUE}
    services.aging_summary_invalidate()
    tasks.refresh_aging_summary()
    assert AgingSummaryState.objects.get().as_of == today
    assert_summary_equals_live(users["auditor"], today)
