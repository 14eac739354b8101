"""The rating report shows the analyst's rationale, the previous grade and the change, the exposure as the
dashboard counts it and a sign-off block (issue 21)."""
import datetime as dt

import pytest
from django.utils import translation

from reports.documents.rating import rating_report_context

pytestmark = pytest.mark.django_db


def test_report_has_rationale_previous_grade_exposure_and_signoff(make_customer, approve_rating):
    customer = make_customer()
    first = approve_rating(customer, on=dt.date(2026, 3, 1))
    second = approve_rating(customer, on=dt.date(2026, 9, 1))
    with translation.override("en"):
        context = rating_report_context(second)
        assert context["rationale"]
        assert context["previous"]["grade"] == first.grade and context["previous"]["change"]
        assert context["exposure"]["exposure"].startswith("CNY") or context["exposure"]["missing_rates"]
        roles = [row["role"] for row in context["signoff"]]
        assert roles[0].startswith("Credit analyst") and roles[-1].startswith("Approved by")
        assert rating_report_context(first)["previous"] is None


def test_report_pdf_renders_the_new_sections(make_customer, approve_rating):
    from django.template.loader import render_to_string

    rating = approve_rating(make_customer())
    with translation.override("zh-hans"):
        html = render_to_string("reports/pdf/rating_report.html", rating_report_context(rating))
    assert "评级理由" in html and 'class="signoff"' in html
    assert "该客户的首次评级" in html and "敞口" in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_report_pdf_has_no_half_empty_pages(make_customer, approve_rating, tmp_path, language):
    """Sections flow instead of each starting a page: every page but the cover and the last is at least
    half-filled (measured as text per page), and the last page carries the sign-off."""
    import io
    import os

    from pypdf import PdfReader

    from reports.services import rating_report_pdf

    customer = make_customer()
    approve_rating(customer, on=dt.date(2026, 3, 1))
    rating = approve_rating(customer, on=dt.date(2026, 9, 1))
    data = rating_report_pdf(rating, language)
    out = os.environ.get("RATING_REPORT_PDF_OUT")  # to look at it: pdftoppm -png -r 50 <file> page
    (tmp_path / "report.pdf").write_bytes(data)
    if out:
        with open(f"{out}-{language}.pdf", "wb") as handle:
            handle.write(data)
    pages = [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]
    fullest = max(len(text) for text in pages[1:])
    for number, text in enumerate(pages[1:-1], start=2):
        assert len(text) >= fullest * 0.4, f"page {number} of {len(pages)} is half empty ({len(text)} characters)"
    sign_off = "签字" if language == "zh-hans" else "Sign"
    assert sign_off in pages[-1] or "Signature" in pages[-1] or "签名" in pages[-1]
