"""The rating report's grade meaning, data completeness and missing factors (DESIGN §3, issue 19)."""
import pytest
from django.utils import translation

from reports.documents.rating import rating_report_context

pytestmark = pytest.mark.django_db


def test_report_carries_the_grade_meaning_and_completeness(make_customer, approve_rating):
    rating = approve_rating(make_customer())  # a new customer: no payment history
    with translation.override("en"):
        context = rating_report_context(rating)
    meaning = {"A": "Strong profitability", "B": "Average profitability", "C": "Weak profitability",
               "D": "Heavy losses"}[rating.letter]
    assert context["rating"]["meaning"].startswith(meaning)
    # the shipped scorecard v2 (issue 24): v1's factors at 86% of the weight (85% of v1 has data → 73.10%); the
    # outside-information and coverage factors take the other 14% and have no data for a new customer
    assert "Data completeness: 73.10% of the model's weight had data." in context["summary"]
    behaviour = next(f for f in context["factors"] if f["code"] == "payment_behaviour")
    assert behaviour["value"] == "not available (weight spread over the others)" and behaviour["weight"] in ("0", "0.00")
    # a factor without data is never called the weakest
    assert not any("weakest factor: Payment behaviour" in line for line in context["summary"])
    with translation.override("zh-hans"):
        chinese = rating_report_context(rating)
    assert chinese["rating"]["meaning"] != context["rating"]["meaning"] and chinese["rating"]["meaning"]
