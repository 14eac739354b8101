"""End-to-end scenarios of a customer's whole life (issue 9), in headless Chromium against the live server.

Each scenario logs in as the real roles through the login form and saves screenshots of its key pages to
``test-artifacts/screenshots/``. Preconditions that are not what a scenario is about are set up through the
services (authority matrix, credit policy, invoices in the past).
"""
import datetime as dt
import re
from decimal import Decimal as D

import pytest

from creditportal.core import clock
from tests.config import configured

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CREDIT_CODE = "91350100M000100Y43"
M = D("1000000")
QUALITATIVE = ["management", "market_position", "industry_outlook", "legal_compliance"]


@pytest.fixture(autouse=True)
def shipped_rows(db):
    """The rows data migrations ship (master scale and default model, dunning policy), if a flush removed them."""
    from importlib import import_module

    from django.apps import apps

    from accounts.system import system_user
    from collection.models import DunningPolicy
    from ratings.models import RatingModel

    system_user()

    if not RatingModel.objects.filter(code="corporate").exists():
        import_module("ratings.migrations.0002_default_scale_and_model").load(apps, None)
    if not DunningPolicy.objects.filter(name_en="Standard").exists():
        import_module("collection.migrations.0002_default_dunning_policy").forwards(apps, None)
        import_module("collection.migrations.0009_names_in_two_languages").split_names(apps, None)


def statements_csv():
    from customers import statement_io

    rows = []
    for year, revenue, profit in [(2023, "18000", "1200"), (2024, "19000", "1350"), (2025, "20000", "1500")]:
        values = {"period_end": f"{year}-12-31", "period_type": "annual", "audited": "yes", "consolidated": "no",
                  "currency": "CNY", "unit": "10000", "cash": "2000", "receivables": "1500", "inventory": "1000",
                  "current_assets": "6000", "total_assets": "10000", "short_term_debt": "500",
                  "current_liabilities": "2500", "long_term_debt": "500", "total_liabilities": "3500",
                  "equity": "6500", "revenue": revenue, "cost_of_sales": "15000", "operating_profit": "2000",
                  "interest_expense": "100", "profit_before_tax": "1900", "net_profit": profit,
                  "operating_cash_flow": "1200"}
        rows.append(",".join(values.get(c, "") for c in statement_io.COLUMNS))
    return ("\n".join([",".join(statement_io.COLUMNS), *rows]) + "\n").encode("utf-8")


def second_expert():
    """Delphi needs two experts per qualitative factor, and the experts are makers (they may not approve):
    a third credit analyst scores beside ``analyst`` so that ``analyst2`` can approve."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user, created = get_user_model().objects.get_or_create(username="expert2", defaults={"first_name": "Expert"})
    if created:
        user.groups.add(Group.objects.get(name="credit_analyst"))
    return user


def score_as_second_expert(rating):
    from ratings import services

    for code in QUALITATIVE:
        services.expert_score_set(actor=second_expert(), rating=rating, factor_code=code, score=3)


def post_and_wait(page, selector):
    with page.expect_navigation():
        page.click(selector)


def test_customer_statements_rating_and_pdf(users, page, login, shoot):
    from customers.models import Customer
    from ratings.models import Rating

    clock.set_today(dt.date(2026, 6, 30))
    # 1. The relationship manager creates the customer through the form.
    login("rm")
    page.goto("/customers/new/")
    page.fill("input[name=name]", "福州海丰机械有限公司")
    page.fill("input[name=name_en]", "Fuzhou Haifeng Machinery Co., Ltd.")
    page.fill("input[name=credit_code]", CREDIT_CODE)
    page.select_option("select[name=industry_section]", "C")
    page.select_option("select[name=size]", "medium")
    shoot("customer-form")
    post_and_wait(page, "button:text-is('Save')")
    customer = Customer.objects.get(credit_code=CREDIT_CODE)
    assert page.url.endswith(f"/customers/{customer.pk}/"), page.url
    shoot("customer-detail")

    # ... and imports three years of statements.
    page.goto(f"/customers/{customer.pk}/statements/import/")
    page.set_input_files("input[name=file]", files=[{"name": "statements.csv", "mimeType": "text/csv",
                                                     "buffer": statements_csv()}])
    post_and_wait(page, "main form button[type=submit]")
    assert customer.statements.count() == 3
    shoot("statements")

    # 2. The analyst starts a rating, gives the expert scores and submits it.
    login("analyst")
    page.goto(f"/ratings/start/{customer.pk}/")
    shoot("rating-start")
    post_and_wait(page, "button:text-is('Start the rating')")
    rating = Rating.objects.get(customer=customer)
    assert page.url.endswith(f"/ratings/{rating.pk}/"), page.url
    for code in QUALITATIVE:  # every qualitative factor in the one form
        page.select_option(f"select[name=score_{code}]", "4")
    post_and_wait(page, f"form[action='/ratings/{rating.pk}/scores/'] button[type=submit]")
    score_as_second_expert(rating)  # Delphi's second expert (a precondition, through the services)
    page.reload()
    shoot("rating-scored")
    page.fill("textarea[name=rationale]", "经营稳定，付款记录良好。")
    post_and_wait(page, f"form[action='/ratings/{rating.pk}/submit/'] button")
    rating.refresh_from_db()
    assert rating.state == "submitted"

    # 3. A second analyst approves it.
    login("analyst2")
    page.goto(f"/ratings/{rating.pk}/")
    post_and_wait(page, f"form[action='/ratings/{rating.pk}/approve/'] button")
    rating.refresh_from_db()
    assert rating.state == "approved" and rating.approved_by == users["analyst2"]
    shoot("rating-approved")

    # 4. The rating report downloads as a PDF.
    with page.expect_download() as info:
        page.click("text=Rating report (PDF)")
    download = info.value
    with open(download.path(), "rb") as handle:
        assert handle.read(4) == b"%PDF"


# --- set-up through the services ---------------------------------------------------------------------

GOOD_STATEMENT = dict(cash=D("2000"), receivables=D("1500"), inventory=D("1000"), current_assets=D("6000"),
                      total_assets=D("10000"), short_term_debt=D("500"), current_liabilities=D("2500"),
                      long_term_debt=D("500"), total_liabilities=D("3500"), equity=D("6500"), revenue=D("20000"),
                      cost_of_sales=D("15000"), operating_profit=D("2000"), interest_expense=D("100"),
                      profit_before_tax=D("1900"), net_profit=D("1500"), operating_cash_flow=D("1200"))


def rated_customer(users, name="华东贸易有限公司", number="REG-E2E-1"):
    """A customer with a statement and an approved rating (analyst makes, analyst2 approves)."""
    from customers.models import Customer, FinancialStatement
    from ratings import services

    customer = Customer.objects.create(name=name, is_foreign=True, registration_number=number, country="HK",
                                       industry_section="C", size="medium", relationship_manager=users["rm"],
                                       status="active")
    FinancialStatement.objects.create(customer=customer, period_end=dt.date(2025, 12, 31), created_by=users["rm"],
                                      **GOOD_STATEMENT)
    rating = services.rating_start(actor=users["analyst"], customer=customer)
    for code in QUALITATIVE:
        services.expert_score_set(actor=users["analyst"], rating=rating, factor_code=code, score=4)
    score_as_second_expert(rating)
    rating = services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
    services.rating_approve(actor=users["analyst2"], rating=rating)
    return customer


def credit_setup(users):
    """Authority matrix (5m / 20m / unlimited CNY; approver1..3) and a credit policy in force."""
    from credit import services

    admin = users["riskadmin"]
    levels = [
        configured(services.authority_level_propose(actor=admin, number=1, name="Branch", max_amount=5 * M,
                                                    weakest_grade="C")),
        configured(services.authority_level_propose(actor=admin, number=2, name="Head office", max_amount=20 * M,
                                                    weakest_grade="C")),
        configured(services.authority_level_propose(actor=admin, number=3, name="Committee", max_amount=None,
                                                    weakest_grade="D")),
    ]
    for i, level in enumerate(levels, start=1):
        configured(services.approver_authority_propose(actor=admin, user=users[f"approver{i}"], level=level))
    rules = [{"grade": g, "max_limit": str(100 * M), "max_term_months": 36, "min_coverage": None,
              "pricing_spread_bps": 100, "review_months": 12}
             for g in ["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C"]]
    policy = services.policy_create(actor=admin, name="Policy 2026", effective_from=dt.date(2020, 1, 1), rules=rules)
    services.policy_activate(actor=users["approver1"], policy=policy)


def act(page, app_pk, label, comment=None):
    """Press one workflow button on the application page (with the comment/reason when given)."""
    page.goto(f"/credit/applications/{app_pk}/")
    if comment is not None:
        page.fill("#action-form textarea[name=comment]", comment)
    with page.expect_navigation():
        page.click(f"#action-form button:text-is('{label}')")
    alerts = page.locator(".alert-danger")
    assert alerts.count() == 0, alerts.first.inner_text()


def test_application_two_levels_return_and_limit_check(users, page, login, shoot):
    from credit.models import CreditApplication, Facility

    clock.set_today(dt.date(2026, 6, 30))
    credit_setup(users)
    customer = rated_customer(users)

    # The manager files an application over level 1's 5m: two levels must approve.
    login("rm")
    page.goto(f"/credit/applications/new/?customer={customer.pk}")
    page.fill("input[name=amount]", "8000000")
    page.fill("input[name=term_months]", "12")
    page.fill("textarea[name=purpose]", "Working capital for the 2026 season")
    shoot("application-form")
    with page.expect_navigation():
        page.click("main button[type=submit]:text-is('Save')")
    app = CreditApplication.objects.get(customer=customer)
    act(page, app.pk, "Submit")

    login("analyst")
    act(page, app.pk, "Start the review")
    act(page, app.pk, "Recommend", comment="Sound trading history; recommend.")
    app.refresh_from_db()
    assert (app.status, app.current_level, app.required_levels) == ("pending_approval", 1, 2)

    login("approver1")
    act(page, app.pk, "Approve")
    login("approver2")
    shoot("level-2-sees-application")
    act(page, app.pk, "Return to the manager", comment="Add the warehouse as collateral.")
    app.refresh_from_db()
    assert app.status == "returned"

    # The manager corrects it (adds the collateral asked for) and submits it again.
    login("rm")
    page.goto(f"/credit/applications/{app.pk}/")
    shoot("returned")
    page.click("summary:has-text('collateral')")
    form = page.locator(f"form[action='/credit/applications/{app.pk}/add/collateral/']")
    form.locator("input[name=description]").fill("Warehouse, Fuzhou")
    form.locator("input[name=market_value]").fill("6000000")
    form.locator("input[name=haircut]").fill("30")  # per cent (issue 21: percentages are typed as percentages)
    form.locator("input[name=valuation_date]").fill("2026-06-01")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert app.collaterals.count() == 1
    act(page, app.pk, "Submit")

    login("analyst")
    act(page, app.pk, "Start the review")
    act(page, app.pk, "Recommend", comment="Now secured by the warehouse.")
    login("approver1")
    act(page, app.pk, "Approve")
    login("approver2")
    act(page, app.pk, "Approve")
    app.refresh_from_db()
    assert app.status == "facility_opened" and app.facility_id
    shoot("approved")
    facility = Facility.objects.get(pk=app.facility_id)
    assert facility.limit == D("8000000.00")

    # An order over the free limit is refused by the limit check on the facility page.
    login("rm")
    page.goto(f"/credit/facilities/{facility.pk}/")
    page.fill("form[method=get] input[name=amount]", "9000000")
    with page.expect_navigation():
        page.click("form[method=get] button:text-is('Check')")
    assert page.locator(".alert-danger").is_visible()
    refusal = page.locator(".alert-danger").inner_text()
    assert "would be refused" in refusal and "free limit" in refusal, refusal
    shoot("limit-refused")


def save_form(page):
    with page.expect_navigation():
        page.click("main form button[type=submit]:text-is('Save')")
    errors = page.locator(".invalid-feedback, .alert-danger")
    assert errors.count() == 0 or not errors.first.is_visible(), errors.first.inner_text()


def test_overdue_dunning_case_broken_promise_escalation_write_off(users, page, login, shoot):
    from collection import services
    from accounts.models import Notification
    from collection.models import CollectionCase, DunningAction, WriteOff
    from customers.models import Customer

    clock.set_today(dt.date(2026, 5, 1))
    credit_setup(users)  # the write-off's approver needs an entry in the authority matrix
    customer = Customer.objects.create(name="南方五金有限公司", is_foreign=True, registration_number="REG-E2E-3",
                                       country="HK", industry_section="C", size="medium",
                                       relationship_manager=users["rm"], status="active")
    for number, amount in [("INV-E2E-1", "30000.00"), ("INV-E2E-2", "20000.00")]:
        services.invoice_create(actor=users["rm"], customer=customer, number=number, issue_date=dt.date(2026, 5, 1),
                                due_date=dt.date(2026, 5, 31), amount=D(amount), currency="CNY")

    # Time passes: the invoices are 20 days overdue, the nightly run dunns them (there is no page button: the
    # dunning run is the nightly job).
    clock.set_today(dt.date(2026, 6, 20))
    services.daily_run()
    first_level = max(DunningAction.objects.filter(customer=customer).values_list("level_order", flat=True))
    assert not CollectionCase.objects.filter(customer=customer).exists()
    # 35 days overdue: the level rises to the formal letter and a case opens.
    clock.set_today(dt.date(2026, 7, 5))
    services.daily_run()
    second_level = max(DunningAction.objects.filter(customer=customer).values_list("level_order", flat=True))
    assert second_level > first_level
    case = CollectionCase.objects.get(customer=customer)
    assert case.assigned_to == users["collector"]

    login("collector")
    page.goto("/collection/dunning/")
    assert "南方五金有限公司" in page.content()
    shoot("dunning-list")
    page.goto("/collection/")
    shoot("work-queue")
    page.goto(f"/collection/cases/{case.pk}/")
    shoot("case-opened")
    page.click("main a:text-is('Start')")
    save_form(page)
    # The customer promises to pay in three days ...
    page.click("main a:text-is('Record a promise')")
    page.fill("input[name=promised_date]", "2026-07-08")
    page.fill("input[name=amount]", "50000")
    save_form(page)
    case.refresh_from_db()
    assert case.state == "promise_to_pay"
    shoot("promise")

    # ... and does not: the nightly run finds the promise broken and tells the collector.
    clock.set_today(dt.date(2026, 7, 10))
    services.daily_run()
    case.refresh_from_db()
    assert case.broken_promises == 1 and case.state == "in_progress"
    page.goto(f"/collection/cases/{case.pk}/")
    page.goto("/accounts/notifications/")
    # (the nightly job writes the title in the site's language, Chinese by default)
    assert page.locator("a[href*='/accounts/notifications/']").count() >= 1
    assert Notification.objects.filter(recipient=users["collector"], url=f"/collection/cases/{case.pk}/").exists()
    shoot("broken-promise-notification")

    # The collector escalates the case and proposes the write-off.
    page.goto(f"/collection/cases/{case.pk}/")
    page.click("main a:text-is('Escalate')")
    page.select_option("select[name=channel]", "litigation")
    save_form(page)
    case.refresh_from_db()
    assert case.state == "escalated"
    page.click("main a:text-is('Propose write-off')")
    page.fill("textarea[name=reason]", "Customer insolvent; the liquidator confirms no dividend.")
    save_form(page)
    write_off = WriteOff.objects.get(case=case)
    assert write_off.state == "proposed" and write_off.proposed_by == users["collector"]
    shoot("write-off-proposed")

    # A second person, an approver, approves it.
    login("approver1")
    page.goto(f"/collection/cases/{case.pk}/")
    shoot("approver-sees-proposal")
    page.click("main a:text-is('Approve')")
    save_form(page)
    write_off.refresh_from_db()
    case.refresh_from_db()
    assert write_off.state == "approved" and write_off.decided_by == users["approver1"]
    assert case.state == "written_off"
    shoot("written-off")


ALLOWED_POSTS = ("/i18n/setlang/", "/accounts/language/", "/accounts/logout/", "/reports/batches/request")


def writes_on_page(page):
    """Forms that post (and htmx attributes that write) on the current page, except the allowed ones."""
    actions = page.eval_on_selector_all(
        "form", "forms => forms.filter(f => (f.getAttribute('method') || 'get').toLowerCase() !== 'get')"
                "       .filter(f => !f.hasAttribute('data-list-settings'))"  # a list's own settings (saved filters, columns)
                "       .map(f => f.getAttribute('action') || location.pathname)")
    htmx = page.eval_on_selector_all("[hx-post],[hx-put],[hx-patch],[hx-delete]",
                                     "nodes => nodes.map(n => n.outerHTML.slice(0, 120))")
    return [a for a in actions if not any(a.rstrip("/").endswith(ok.rstrip("/")) for ok in ALLOWED_POSTS)] + htmx


def download(page, click):
    with page.expect_download() as info:
        click()
    with open(info.value.path(), "rb") as handle:
        return info.value.suggested_filename, handle.read()


def test_auditor_finds_rating_and_decisions_downloads_and_cannot_write(users, page, login, shoot):
    from credit import services as credit
    from ratings.models import Rating

    clock.set_today(dt.date(2026, 6, 30))
    credit_setup(users)
    customer = rated_customer(users, name="华东贸易有限公司", number="REG-E2E-4")
    rating = Rating.objects.get(customer=customer, state="approved")
    app = credit.application_create(actor=users["rm"], customer=customer, amount="1000000", currency="CNY",
                                    term_months=12, purpose="Working capital for the 2026 season")
    app = credit.application_submit(actor=users["rm"], application=app)
    app = credit.application_start_review(actor=users["analyst"], application=app)
    app = credit.application_recommend(actor=users["analyst"], application=app, opinion="Recommend.")
    app = credit.application_approve(actor=users["approver1"], application=app, comment="Approved at level 1.")

    login("auditor")
    visited = {}
    page.goto("/")
    visited["home"] = writes_on_page(page)
    # The rating, found by the customer's name in the reports workspace.
    page.goto("/reports/")
    page.fill("input[name=customer]", "华东贸易")
    with page.expect_navigation():
        page.click("main form button:text-is('Search')")
    row = page.locator("tbody tr", has_text="华东贸易有限公司")
    assert row.count() == 1 and rating.grade in row.inner_text() and "analyst2" in row.inner_text()
    visited["workspace-ratings"] = writes_on_page(page)
    shoot("workspace-ratings")
    name, content = download(page, lambda: row.locator("a:text-is('English')").click())
    assert content.startswith(b"%PDF"), name

    # The decisions on the application.
    page.select_option("select[name=what]", "decisions")
    with page.expect_navigation():
        page.click("main form button:text-is('Search')")
    text = page.locator("main table").inner_text()
    assert "approver1" in text and "analyst" in text and f"#{app.pk}" in text
    visited["workspace-decisions"] = writes_on_page(page)
    shoot("workspace-decisions")
    approve_row = page.locator("tbody tr", has_text="approver1").first
    name, content = download(page, lambda: approve_row.locator("a:text-is('English')").click())
    assert content.startswith(b"%PDF"), name

    # The rating's audit trail, exported as CSV.
    page.goto("/reports/")
    page.locator("tbody tr", has_text="华东贸易有限公司").locator("a:text-is('Audit trail')").click()
    page.wait_for_load_state()
    assert "/audit/" in page.url
    visited["audit-trail"] = writes_on_page(page)
    shoot("audit-trail")
    name, content = download(page, lambda: page.click("a:text-is('Export CSV')"))
    text = content.decode("utf-8-sig")
    assert name.endswith(".csv") and "approve" in text and "analyst2" in text, text[:300]

    # Nothing the auditor sees writes: no form posts (except language, log out, report batches), no htmx write.
    for url in ["/reports/batches/", "/reports/stored/", "/reports/portfolio/", f"/customers/{customer.pk}/",
                f"/ratings/{rating.pk}/", f"/credit/applications/{app.pk}/", f"/credit/facilities/{app.facility_id}/",
                "/customers/", "/credit/applications/", "/collection/", "/accounts/notifications/"]:
        response = page.goto(url)
        if response.status == 200:
            visited[url] = writes_on_page(page)
    assert {f"/ratings/{rating.pk}/", f"/credit/applications/{app.pk}/", f"/customers/{customer.pk}/",
            "/reports/batches/"} <= set(visited), sorted(visited)
    page.goto(f"/ratings/{rating.pk}/")
    shoot("rating-page-as-auditor")
    assert {where: found for where, found in visited.items() if found} == {}
    # ... and the write URLs refuse the auditor.
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    for url in [f"/ratings/{rating.pk}/approve/", f"/credit/applications/{app.pk}/approve/", "/customers/new/",
                f"/ratings/start/{customer.pk}/"]:
        response = page.request.post(url, headers={"X-CSRFToken": csrf, "Referer": page.url},
                                     form={"csrfmiddlewaretoken": csrf}, max_redirects=0)
        assert response.status == 403, (url, response.status)
