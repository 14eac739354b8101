"""The rating report: both languages render with the embedded CJK font, stored once, every download audited.

Renders are slow on the shared machine, so one test renders the two languages and checks everything it can.
"""
import hashlib
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from audit.models import AuditEvent
from reports import services
from reports.models import StoredReport

from .conftest import CUSTOMER_NAME


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(content)
    if shutil.which("pdftotext"):
        return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)


def embedded_fonts(content: bytes) -> set[str]:
    import io

    reader = PdfReader(io.BytesIO(content))
    names = set()
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            base = str(font.get("/BaseFont", ""))
            descendants = font.get("/DescendantFonts")
            descriptor = None
            if descendants:
                descriptor = descendants[0].get_object().get("/FontDescriptor")
            else:
                descriptor = font.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            if any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                names.add(base)
    return names


@pytest.mark.django_db
def test_rating_report_both_languages_stored_once_and_audited(make_customer, approve_rating, users, api_for,
                                                              client_for, settings, tmp_path,
                                                              django_capture_on_commit_callbacks):
    settings.REPORTS_PREGENERATE = True
    customer = make_customer()
    with django_capture_on_commit_callbacks(execute=True):
        rating = approve_rating(customer)  # the approval event generates the Chinese report (eager Celery)
    stored = StoredReport.objects.get(object_type="ratings.rating", object_id=str(rating.pk))
    assert stored.language == "zh-hans" and stored.source_sha256 == rating.inputs_sha256

    api = api_for(users["auditor"])
    first = api.get(f"/api/v1/ratings/{rating.pk}/report.pdf?lang=zh-hans")
    second = api.get(f"/api/v1/ratings/{rating.pk}/report.pdf?lang=zh-hans")
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    assert first.content == second.content == bytes(stored.content)
    assert first["X-Content-SHA256"] == hashlib.sha256(first.content).hexdigest() == stored.sha256

    text = pdf_text(first.content, tmp_path)
    assert CUSTOMER_NAME in text
    assert rating.grade in text
    assert "信用评级报告" in text            # the title, translated
    assert "管理层素质" in text and "企业客户评分卡" in text  # the shipped model's names, translated
    assert "Management quality" not in text
    assert rating.inputs_sha256 in text.replace("\n", "")  # the footer
    assert "1 / " in text or "第 1 页" in text
    fonts = embedded_fonts(first.content)
    assert any("WenQuanYi" in f or "CJK" in f for f in fonts), fonts

    # English: chosen by the requester (page URL the rating page links to)
    english = client_for(users["analyst"]).get(f"/reports/ratings/{rating.pk}/report.pdf?lang=en")
    assert english.status_code == 200
    text_en = pdf_text(english.content, tmp_path)
    assert "Credit rating report" in text_en or "CREDIT RATING REPORT" in text_en
    assert CUSTOMER_NAME in text_en and rating.grade in text_en
    assert "Management quality" in text_en and "管理层素质" not in text_en
    assert any("WenQuanYi" in f or "CJK" in f for f in embedded_fonts(english.content))
    again = client_for(users["analyst"]).get(f"/reports/ratings/{rating.pk}/report.pdf?lang=en")
    assert again.content == english.content
    assert StoredReport.objects.filter(object_id=str(rating.pk)).count() == 2

    downloads = AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD, object_type="ratings.rating",
                                          object_id=str(rating.pk))
    assert downloads.count() == 4
    assert {e.actor_username for e in downloads} == {"auditor", "analyst"}
    assert all(e.after["sha256"] for e in downloads)


@pytest.mark.django_db
def test_other_portfolio_and_collector_are_refused(make_customer, users, api_for, client_for, settings):
    from ratings.models import Rating

    settings.REPORTS_PREGENERATE = False
    customer = make_customer(manager="rm")
    rating = Rating.objects.create(
        customer=customer, model_id=1, state="approved", model_definition={}, inputs={}, inputs_sha256="0" * 64,
        quantitative_sha256="0" * 64, result={}, score="50", model_grade="BB", grade="BB", letter="B",
        pd="0.02", created_by=users["analyst"], approved_by=users["analyst2"])
    url = f"/api/v1/ratings/{rating.pk}/report.pdf"
    assert api_for(users["rm2"]).get(url).status_code == 404
    assert api_for(users["collector"]).get(url).status_code == 403
    assert client_for(users["rm2"]).get(f"/reports/ratings/{rating.pk}/report.pdf").status_code == 404
    assert client_for(users["collector"]).get(f"/reports/ratings/{rating.pk}/report.pdf").status_code == 403
    # the own relationship manager gets past the gate; the rating is not approved yet → 409, no PDF
    Rating.objects.filter(pk=rating.pk).update(state="submitted")
    response = api_for(users["rm"]).get(url)
    assert response.status_code == 409 and response.json()["code"] == "rating_not_approved"
    assert not StoredReport.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD).exists()
    # stored-report listing is scoped by portfolio too
    StoredReport.objects.create(kind="rating_report", object_type="ratings.rating", object_id=str(rating.pk),
                                customer=customer, language="en", report_number="RR-X", content=b"%PDF-1.7",
                                size=8, sha256="0" * 64)
    assert api_for(users["rm"]).get("/api/v1/stored-reports/").json()["count"] == 1
    assert api_for(users["rm2"]).get("/api/v1/stored-reports/").json()["count"] == 0
    assert api_for(users["collector"]).get("/api/v1/stored-reports/").status_code == 403


@pytest.mark.django_db
def test_report_html_queries_are_few_and_fixed(make_customer, approve_rating, django_assert_max_num_queries,
                                               settings):
    settings.REPORTS_PREGENERATE = False
    rating = approve_rating(make_customer())
    from reports.selectors import rating_for_report

    rating = rating_for_report(rating.pk)
    from tests.monitoring.test_customer_header import HEADER_QUERIES

    # the report's own reads, the previous rating (1) and the exposure section (the customer header's constant cost)
    with django_assert_max_num_queries(8 + 1 + HEADER_QUERIES):
        html = services.rating_report_html(rating, "en")
    assert CUSTOMER_NAME in html and "<svg" in html and "counter(pages)" in html
    assert "@bottom-left" in html and rating.inputs_sha256 in html
