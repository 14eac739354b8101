"""The case page offers only what the case's state allows, and never adds amounts of different currencies;
a case with invoices in several currencies can still be written off (in the reporting currency)."""
import re
from decimal import Decimal as D

import pytest
from django.urls import reverse

from collection import services
from collection.models import Invoice
from collection.selectors import case_totals
from creditportal.core.errors import Conflict, ValidationFailed
from creditportal.models import FxRate

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_currency_case(users, customer, make_invoice, today):
    make_invoice(customer, "10000.00", days_past_due=40, currency="USD")
    make_invoice(customer, "39000.00", days_past_due=10, currency="CNY")
    return services.case_open(actor=users["collector"], customer=customer)


def _buttons(client, case):
    html = client.get(reverse("collection:case_detail", args=[case.pk])).content.decode()
    return {
        "promise": reverse("collection:promise_create", args=[case.pk]) in html,
        "write_off": reverse("collection:writeoff_propose", args=[case.pk]) in html,
        "activity": reverse("collection:activity_create", args=[case.pk]) in html,
    }, html


def test_write_off_and_promise_offered_only_when_the_case_allows_them(users, client_for, two_currency_case, today,
                                                                    approver_authorities):
    FxRate.objects.create(base_currency="USD", quote_currency="CNY", rate=D("7.1"), valid_on=today)
    client = client_for(users["collector"])
    case = two_currency_case
    offered, _ = _buttons(client, case)
    # an open case: a promise yes, a write-off not yet (the service refuses it, so the page must not offer it)
    assert offered == {"promise": True, "write_off": False, "activity": True}
    with pytest.raises(Conflict):
        services.writeoff_propose(actor=users["collector"], case=case, reason="x")

    case = services.case_escalate(actor=users["collector"], case=case, channel="litigation")
    offered, _ = _buttons(client, case)
    assert offered == {"promise": False, "write_off": True, "activity": True}  # no promise on an escalated case

    writeoff = services.writeoff_propose(actor=users["collector"], case=case, reason="debtor insolvent")
    services.writeoff_approve(actor=users["approver1"], writeoff=writeoff)
    case.refresh_from_db()
    assert case.state == "written_off"
    offered, _ = _buttons(client, case)
    assert offered["promise"] is False and offered["write_off"] is False


def test_case_totals_keep_currencies_apart(users, client_for, two_currency_case):
    rows = case_totals(two_currency_case)
    assert [(r["currency"], r["amount"], r["outstanding"]) for r in rows] == [
        ("CNY", D("39000.00"), D("39000.00")), ("USD", D("10000.00"), D("10000.00"))]
    _, html = _buttons(client_for(users["collector"]), two_currency_case)
    totals = " ".join(re.findall(r'<p class="case-totals">(.*?)</p>', html, re.S))
    assert "USD 10,000.00" in totals and "CNY 39,000.00" in totals
    assert "49000" not in totals and "49,000" not in totals  # USD and CNY were added before
    assert 'id="no-write-offs"' in html  # the empty section says so instead of showing nothing


def test_write_off_of_a_case_in_two_currencies_is_totalled_in_the_reporting_currency(
        users, customer, client_for, two_currency_case, today, approver_authorities):
    case = services.case_start(actor=users["collector"], case=two_currency_case)
    with pytest.raises(ValidationFailed, match="FX rate"):  # no USD rate yet: a clear error, nothing saved
        services.writeoff_propose(actor=users["collector"], case=case, reason="debtor insolvent")
    assert not case.write_offs.exists()

    FxRate.objects.create(base_currency="USD", quote_currency="CNY", rate=D("7.1"), valid_on=today)
    writeoff = services.writeoff_propose(actor=users["collector"], case=case, reason="debtor insolvent")
    assert (writeoff.amount, writeoff.currency) == (D("110000.00"), "CNY")
    assert sorted((it.invoice.currency, it.amount) for it in writeoff.items.select_related("invoice")) == [
        ("CNY", D("39000.00")), ("USD", D("10000.00"))]
    # the approver sees what is written off invoice by invoice, each in its own currency
    page = client_for(users["approver1"]).get(reverse("collection:writeoff_approve", args=[writeoff.pk]),
                                              HTTP_ACCEPT_LANGUAGE="en").content.decode()
    items = page[page.index('class="table table-sm w-auto writeoff-items"'):]
    items = items[:items.index("</table>")]
    assert "CNY 110,000.00" in page and "USD 10,000.00" in items and "CNY 39,000.00" in items
    case_page = client_for(users["collector"]).get(reverse("collection:case_detail", args=[case.pk])).content.decode()
    assert 'id="no-write-offs"' not in case_page
    services.writeoff_approve(actor=users["approver1"], writeoff=writeoff)
    assert set(Invoice.objects.filter(customer=customer).values_list("status", flat=True)) == {"written_off"}
    assert sorted(Invoice.objects.filter(customer=customer).values_list("currency", "written_off_amount")) == [
        ("CNY", D("39000.00")), ("USD", D("10000.00"))]


def test_an_approver_finds_the_write_offs_waiting_on_the_home_page(users, client_for, make_user, customer,
                                                                  make_invoice, today):
    """The approver's home page listed ratings, applications and reclassifications to approve, but not the
    write-off the collector proposed: nothing told the approver it was waiting."""
    from django.contrib.auth.models import Group

    from collection.home import home_panels

    make_invoice(customer, "1000.00", days_past_due=40)
    case = services.case_start(actor=users["collector"], case=services.case_open(actor=users["collector"],
                                                                                 customer=customer))
    services.writeoff_propose(actor=users["collector"], case=case, reason="debtor insolvent")
    panel = _writeoff_panel(home_panels(users["approver1"]))
    assert panel["count"] == 1 and panel["items"][0]["url"] == reverse("collection:case_detail", args=[case.pk])
    assert "CNY 1,000.00" in panel["items"][0]["label"]
    html = client_for(users["approver1"]).get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "待我审批的核销" in html and reverse("collection:case_detail", args=[case.pk]) in html
    # not to the collector, and not to an approver for their own proposal
    assert _writeoff_panel(home_panels(users["collector"])) is None
    both = make_user("both", "collector")
    both.groups.add(Group.objects.get(name="approver"))
    both = type(both).objects.get(pk=both.pk)  # a fresh object: its permissions are read again
    other = services.case_start(actor=both, case=services.case_open(
        actor=both, customer=_second_customer(customer, make_invoice)))
    services.writeoff_propose(actor=both, case=other, reason="small balance")
    mine = _writeoff_panel(home_panels(both))
    assert [i["url"] for i in mine["items"]] == [reverse("collection:case_detail", args=[case.pk])]


def _writeoff_panel(panels):
    found = [p for p in panels if p["url"] == reverse("collection:writeoff_list") + "?state=proposed"]
    return found[0] if found else None


def _second_customer(customer, make_invoice):
    from customers.models import Customer

    other = Customer.objects.create(name="华南机械有限公司", name_en="South machines", is_foreign=True,
                                    registration_number="REG-other", industry_section="C", size="medium",
                                    relationship_manager=customer.relationship_manager, status="active")
    make_invoice(other, "300.00", days_past_due=20)
    return other


def test_work_queue_call_tasks_say_days_past_due_in_the_language(users, client_for, customer, make_invoice, policy,
                                                                 today):
    """A call task read "18d" in the Chinese work queue."""
    make_invoice(customer, "1000.00", days_past_due=18)
    services.dunning_run(as_of=today)
    html = client_for(users["collector"]).get(reverse("collection:work_queue"), HTTP_ACCEPT_LANGUAGE="zh-hans"
                                              ).content.decode()
    assert "逾期 18 天" in html
    assert "18d<" not in html


def test_home_panel_promises_show_grouped_amounts(users, customer, make_invoice, today):
    """A promise due read "CNY 38000.00" on the collector's home page, unlike every other amount."""
    from collection.home import home_panels

    make_invoice(customer, "38000.00", days_past_due=10)
    case = services.case_open(actor=users["collector"], customer=customer)
    services.promise_add(actor=users["collector"], case=case, promised_date=today, amount="38000.00")
    panel = [p for p in home_panels(users["collector"]) if p["items"] and "·" in p["items"][0]["label"]]
    item = panel[0]["items"][0]
    assert item["label"] == f"{customer.name} · promised CNY 38,000.00"
    assert item["due"] == today and item["overdue"] == D("38000.00") and item["currency"] == "CNY"
