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
    if not DunningPolicy.objects.filter(name="Standard").exists():
        import_module("collection.migrations.0002_default_dunning_policy").forwards(apps, None)


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
    for code in QUALITATIVE:
        page.select_option("select[name=factor_code]", code)
        page.select_option("select[name=score]", "4")
        post_and_wait(page, f"form[action='/ratings/{rating.pk}/score/'] button[type=submit]")
    shoot("rating-scored")
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
