"""The approval memo shows each guarantee's amount, the guarantor's grade, its recovery factor and the counted
value as the policy check recorded them (issue 23)."""
import datetime as dt
from decimal import Decimal

import pytest

from .test_rating_report import pdf_text


@pytest.mark.django_db
def test_memo_shows_face_factor_and_counted_value(make_customer, users, api_for, tmp_path, today):
    from credit.models import CreditApplication, Guarantor

    application = CreditApplication.objects.create(
        customer=make_customer(), amount=Decimal("1000000"), currency="CNY", term_months=12, purpose="周转",
        status="approved", created_by=users["rm"], rating_grade="A",
        decided_at=dt.datetime(2026, 10, 10, tzinfo=dt.timezone.utc))
    g = Guarantor.objects.create(application=application, outside_name="Guarantee Co", amount=Decimal("400000"),
                                 currency="CNY", external_agency="Fitch", external_grade="BBB+", mapped_grade="BBB",
                                 external_rated_on=today - dt.timedelta(days=30))
    application.policy_result = {"coverage": "0.32", "checked_on": "2026-10-01", "security": [
        {"kind": "guarantee", "id": g.pk, "face": "400000", "currency": "CNY", "factor": "0.8000",
         "counted": "320000.00", "grade": "BBB", "grade_source": "external"}]}
    application.save()
    text = pdf_text(api_for(users["auditor"]).get(f"/api/v1/applications/{application.pk}/memo.pdf?lang=en")
                    .content, tmp_path)
    for expected in ("Guarantee Co", "400,000.00", "Fitch BBB+", "80.0%", "320,000.00"):
        assert expected in text, expected
