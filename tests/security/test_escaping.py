"""A customer named ``<script>alert(1)</script>`` is text everywhere: the rating page and the rating report PDF
(the customer list and detail are in ``test_bad_input.py``)."""
import io

import pytest

from tests.ratings.conftest import (  # noqa: F401 - fixtures
    _english, approved_rating, make_customer, scored_rating, today)

SCRIPT = "<script>alert(1)</script>"
pytestmark = pytest.mark.django_db


def test_rating_page_and_history_show_the_name_escaped(users, make_customer, approved_rating, client_for):
    customer = make_customer(SCRIPT)
    rating = approved_rating(customer)
    client = client_for(users["analyst"])
    for url in (f"/ratings/{rating.pk}/", f"/ratings/customer/{customer.pk}/", "/ratings/all/"):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert SCRIPT not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


def test_rating_report_pdf_shows_the_name_as_text(users, make_customer, approved_rating):
    from pypdf import PdfReader

    from reports import services

    customer = make_customer(SCRIPT)
    rating = approved_rating(customer)
    html = services.rating_report_html(rating, language="en")
    assert SCRIPT not in html and "&lt;script&gt;" in html
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(services.rating_report_pdf(rating, "en"))).pages)
    assert "<script>alert(1)</script>" in text.replace("\n", "").replace(" (", "(")
