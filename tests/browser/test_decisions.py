"""Issue 21 in the browser: an approver sees and acknowledges each warning before approving; a collector works the
worklist from the most urgent case to a recorded call. Preconditions are rows written straight into the tables
(tests/factories.py); what the test is about goes through the pages, as a person would click it.
Screenshots land in ``test-artifacts/screenshots/``."""
import datetime as dt
from decimal import Decimal as D

import pytest

from creditportal.core import clock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = dt.date(2026, 6, 30)


@pytest.fixture
def today():
    clock.set_today(TODAY)
    yield TODAY
    clock.set_today(None)


def _customer(users, name, number):
    from tests.factories import customer

    return customer(name=name, registration_number=number, relationship_manager=users["rm"], country="HK")


@pytest.fixture
def pending(users, today, approver_authorities):
    """An application waiting for level 1 of 2: its customer has an invoice 45 days overdue and an open case."""
    from collection.models import CollectionCase
    from credit.models import CreditApplication
    from tests.factories import invoice, rating_model, stored_rating

    client = _customer(users, "华东机械有限公司", "R-B1")
    stored_rating(client, model=rating_model(users["riskadmin"]), grade="BBB", letter="B", pd="0.01", score=60,
                  created_by=users["analyst"], approved_on=today, review_due=today + dt.timedelta(days=300))
    invoice(client, D("30000"), number="W-1", due=today - dt.timedelta(days=45), issued=today - dt.timedelta(days=75),
            created_by=users["rm"])
    CollectionCase.objects.create(customer=client, assigned_to=users["collector"], opened_on=today,
                                  opened_by=users["collector"])
    return CreditApplication.objects.create(customer=client, amount=D("100000"), currency="CNY", term_months=12,
                                            purpose="流动资金", created_by=users["rm"], reviewer=users["analyst"],
                                            status="pending_approval", current_level=1, required_levels=2,
                                            rating_grade="BBB")


def test_an_approver_acknowledges_each_warning_before_approving(pending, page, login, shoot):
    from credit.models import Decision

    login("approver1")
    page.goto(f"/credit/applications/{pending.pk}/")
    header = page.locator(".customer-header")
    assert "华东机械有限公司" in header.inner_text()
    warnings = page.locator("#decision-warnings")
    text = warnings.inner_text()
    assert "45" in text, text  # the overdue days are stated, not only a code
    boxes = page.locator("input[name=acknowledged_warnings]")
    assert boxes.count() == 2
    shoot("warnings")

    # Approving without ticking the warnings is refused on the page, and nothing is decided.
    page.fill("textarea[name=comment]", "同意，已了解逾期情况")
    with page.expect_navigation():
        page.locator("form:has(input[name=acknowledged_warnings]) button[type=submit]").first.click()
    assert page.locator(".invalid-feedback, .alert-danger, .errorlist").count() > 0
    assert not Decision.objects.filter(application=pending, action="approve").exists()

    # Each warning ticked, with a comment: approved at level 1, and the decision keeps what was acknowledged.
    for index in range(page.locator("input[name=acknowledged_warnings]").count()):
        page.locator("input[name=acknowledged_warnings]").nth(index).check()
    page.fill("textarea[name=comment]", "已与客户确认还款计划，同意")
    with page.expect_navigation():
        page.locator("form:has(input[name=acknowledged_warnings]) button[type=submit]").first.click()
    decision = Decision.objects.get(application=pending, action="approve")
    assert {w["code"] for w in decision.acknowledged_warnings} == {"overdue_beyond_tolerance", "open_collection_case"}
    pending.refresh_from_db()
    assert pending.current_level == 2
    shoot("approved")


@pytest.fixture
def book(users, today):
    """Three cases of the collector: a promise due today, a small debt, a large debt 80 days past due."""
    from collection.models import CollectionCase, PromiseToPay
    from customers.models import Contact
    from tests.factories import invoice

    cases = {}
    for key, name, amount, days in [("big", "大额客户有限公司", "90000.00", 80), ("small", "小额客户有限公司", "1000.00", 10),
                                    ("promised", "承诺客户有限公司", "500.00", 5)]:
        client = _customer(users, name, f"R-{key}")
        invoice(client, D(amount), number=f"INV-{key}", due=today - dt.timedelta(days=days),
                issued=today - dt.timedelta(days=days + 30), created_by=users["rm"])
        cases[key] = CollectionCase.objects.create(customer=client, assigned_to=users["collector"], opened_on=today,
                                                   opened_by=users["collector"])
    Contact.objects.create(customer=cases["big"].customer, name="李会计", phone="021-55550000", is_primary=True)
    PromiseToPay.objects.create(case=cases["promised"], made_on=today - dt.timedelta(3), promised_date=today,
                                amount=D("500"), currency="CNY", created_by=users["collector"])
    return cases


def test_a_collector_works_the_worklist(book, page, login, shoot):
    from collection.models import CollectionActivity

    login("collector")
    page.goto("/collection/")
    rows = page.locator("#worklist tbody tr")
    names = [rows.nth(i).locator("td").first.inner_text().strip() for i in range(rows.count())]
    # The promise falling due today first, then amount overdue × days past due (90,000 × 80 before 1,000 × 10).
    assert names == ["承诺客户有限公司", "大额客户有限公司", "小额客户有限公司"]
    big = rows.nth(1).inner_text()
    assert "90,000.00" in big and "80" in big and "021-55550000" in big
    shoot("worklist")

    # The largest debt: open the case, see the contact, record the call.
    with page.expect_navigation():
        rows.nth(1).locator("a").first.click()
    assert "李会计" in page.content()
    with page.expect_navigation():
        page.click("a[href$='/activities/new/']")
    page.select_option("select[name=kind]", "call")
    page.fill("input[name=occurred_on]", TODAY.isoformat())
    page.fill("textarea[name=outcome]", "客户确认本周五付款 90,000 元")
    page.fill("input[name=next_action_on]", (TODAY + dt.timedelta(days=3)).isoformat())
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    activity = CollectionActivity.objects.get(case=book["big"])
    assert activity.outcome.startswith("客户确认") and activity.created_by.username == "collector"
    book["big"].refresh_from_db()
    assert book["big"].next_action_on == TODAY + dt.timedelta(days=3)
    shoot("call-recorded")
