"""The collector's worklist (issue 21): their active cases most urgent first — a promise falling due, an action
due, then amount overdue × days past due — with the amount overdue, the maximum days past due, the next action,
the promise and the contact's phone on each line; the case page shows the contacts."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from collection import rules, selectors
from collection.models import CollectionCase, PromiseToPay
from customers.models import Contact

pytestmark = pytest.mark.django_db


def _case(customer, users, today, next_action=None):
    return CollectionCase.objects.create(customer=customer, assigned_to=users["collector"], opened_on=today,
                                         opened_by=users["collector"], next_action_on=next_action)


def test_priority_rule():
    today = dt.date(2026, 6, 30)
    heavy = rules.worklist_order(overdue_amount=D("100000"), max_days_past_due=90, promise_due=None,
                                 next_action=None, today=today)
    light = rules.worklist_order(overdue_amount=D("1000"), max_days_past_due=30, promise_due=None,
                                 next_action=None, today=today)
    action = rules.worklist_order(overdue_amount=D("10"), max_days_past_due=1, promise_due=None,
                                  next_action=today, today=today)
    promise = rules.worklist_order(overdue_amount=D("10"), max_days_past_due=1, promise_due=today,
                                   next_action=None, today=today)
    later = rules.worklist_order(overdue_amount=D("10"), max_days_past_due=1, promise_due=today + dt.timedelta(1),
                                 next_action=None, today=today)
    assert sorted([light, later, heavy, action, promise]) == [promise, action, heavy, light, later]
    assert rules.priority_score(D("1000"), 30) == D("30000") and rules.priority_score(D("5"), -3) == 0


@pytest.fixture
def book(users, make_customer, make_invoice, today):
    big, small, promised = make_customer("大额客户"), make_customer("小额客户"), make_customer("承诺客户")
    make_invoice(big, "90000.00", days_past_due=80)
    make_invoice(small, "1000.00", days_past_due=10)
    make_invoice(promised, "500.00", days_past_due=5)
    Contact.objects.create(customer=big, name="李会计", phone="021-55550000", is_primary=True)
    Contact.objects.create(customer=big, name="王经理", phone="13800000000")
    cases = {"big": _case(big, users, today), "small": _case(small, users, today, next_action=today),
             "promised": _case(promised, users, today)}
    PromiseToPay.objects.create(case=cases["promised"], made_on=today - dt.timedelta(3), promised_date=today,
                                amount=D("500"), currency="CNY", created_by=users["collector"])
    _case(make_customer("别人的客户"), users, today).__class__.objects.filter(customer__name="别人的客户").update(
        assigned_to=users["rm"])
    return cases


def test_the_worklist_is_sorted_by_urgency(book, users, today):
    rows = selectors.worklist(users["collector"])["rows"]
    assert [row["customer"].name for row in rows] == ["承诺客户", "小额客户", "大额客户"]
    big = rows[2]
    assert big["overdue"] == D("90000.00") and big["max_days_past_due"] == 80
    assert big["contact"].name == "李会计" and big["contact"].phone == "021-55550000"
    assert rows[0]["promise"].promised_date == today and rows[0]["promise_due"]


def test_the_worklist_keeps_its_queries_constant(book, users, make_customer, make_invoice, today):
    selectors.worklist(users["collector"])
    with CaptureQueriesContext(connection) as few:
        selectors.worklist(users["collector"])
    for n in range(5):
        customer = make_customer(f"客户{n}")
        make_invoice(customer, "100.00", days_past_due=n + 1)
        Contact.objects.create(customer=customer, name=f"联系人{n}", phone="1")
        _case(customer, users, today)
    with CaptureQueriesContext(connection) as many:
        selectors.worklist(users["collector"])
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_page_and_the_case_contacts(book, users, client_for):
    client = client_for(users["collector"])
    html = client.get(reverse("collection:work_queue"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    table = html[html.index('id="worklist"'):]
    assert table.index("承诺客户") < table.index("小额客户") < table.index("大额客户")
    assert "CNY 90,000.00" in table and "021-55550000" in table
    case_page = client.get(reverse("collection:case_detail", args=[book["big"].pk])).content.decode()
    assert "李会计" in case_page and "13800000000" in case_page
    assert reverse("reports:statement_of_account", args=[book["big"].customer_id]) in case_page


def test_home_queue_items_show_amount_age_and_due_date(book, users, client_for, today):
    """Issue 21: the collector's home items carry the amount overdue, the age and the due date; the refused
    role (a relationship manager) has no collector panels."""
    from creditportal.core import formatting

    html = client_for(users["collector"]).get("/").content.decode()
    assert "CNY 90,000.00" in html and "CNY 1,000.00" in html  # amounts overdue of the oldest cases
    assert today.isoformat() in html  # the small case's next action and the promise fall due today
    assert formatting.money(D("500"), "CNY") in html  # the promised amount
    assert "Calls due today" not in client_for(users["rm"]).get("/").content.decode()
