"""Every report with a hostile customer name (security issue, finding 1): the rating report, the approval memo
through the API on a draft application (the attacker's own request), and the portfolio report."""
import datetime as dt
from decimal import Decimal

import pytest

from tests.pdf_safety import HOSTILE, assert_safe, watching_pdfs

pytestmark = pytest.mark.django_db


def test_the_attackers_memo_request_embeds_no_server_file(make_customer, users, api_for):
    from credit.models import CreditApplication

    customer = make_customer(HOSTILE)
    application = CreditApplication.objects.create(customer=customer, amount=Decimal("1000000"), currency="CNY",
                                                   term_months=12, purpose=HOSTILE, created_by=users["rm"])
    for language in ("zh-hans", "en"):
        with watching_pdfs() as seen:
            response = api_for(users["rm"]).get(f"/api/v1/applications/{application.pk}/memo/?lang={language}")
        assert response.status_code == 200, response.content[:300]
        assert_safe(response.content, seen)
        assert b"DJANGO_SECRET_KEY" not in response.content and b"DATABASE_URL" not in response.content


def test_rating_report_with_a_hostile_name(make_customer, approve_rating):
    from reports import services

    rating = approve_rating(make_customer(HOSTILE, name_en=HOSTILE))
    for language in ("zh-hans", "en"):
        with watching_pdfs() as seen:
            data = services.rating_report_pdf(rating, language)
        assert_safe(data, seen)


def test_portfolio_report_with_a_hostile_name(make_customer, users, api_for):
    from credit.models import Facility

    customer = make_customer(HOSTILE)
    Facility.objects.create(customer=customer, limit=Decimal("5000000"), currency="CNY",
                            start_date=dt.date(2026, 1, 1), expiry_date=dt.date(2027, 1, 1))
    with watching_pdfs() as seen:
        response = api_for(users["auditor"]).get("/api/v1/portfolio-reports/2026-09/report.pdf?lang=en")
    assert response.status_code == 200
    assert_safe(response.content, seen, name_shown=False)


def test_statement_of_account_with_a_hostile_name_and_invoice(make_customer, users, client_for, today):
    from django.urls import reverse

    from collection.models import Invoice

    customer = make_customer(HOSTILE)
    customer.address = HOSTILE
    customer.save()
    Invoice.objects.create(number="INV-1", customer=customer, issue_date=today - dt.timedelta(days=40),
                           due_date=today - dt.timedelta(days=10), amount=Decimal("1000"), currency="CNY",
                           description=HOSTILE, created_by=users["rm"])
    for language in ("zh-hans", "en"):
        with watching_pdfs() as seen:
            response = client_for(users["collector"]).get(
                reverse("reports:statement_of_account", args=[customer.pk]), {"lang": language})
        assert response.status_code == 200
        assert_safe(response.content, seen)
