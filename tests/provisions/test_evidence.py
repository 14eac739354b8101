"""Evidence of an impaired assessment: uploads checked and stored like the customer documents (type, size, name),
listed and downloaded on the assessment (audited), refused to the roles that may not see the customer."""
import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from audit.models import AuditEvent
from creditportal.core.errors import Conflict, ValidationFailed
from provisions import services
from provisions.models import AssessmentEvidence, ImpairedAssessment

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


def pdf(name="valuation.pdf", content=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def assessment(published, build, users):
    customer = build.customer()
    build.invoice(customer, "1000.00", issued=dt.date(2025, 1, 1), due=dt.date(2025, 2, 1))
    return services.impaired_assess(actor=users["riskadmin"], customer=customer, period=published,
                                    reason="insolvency", guarantees="100")


def test_upload_is_stored_under_a_server_name_listed_and_audited(assessment, users, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    item = services.evidence_upload(actor=users["riskadmin"], assessment=assessment, uploaded_file=pdf(),
                                    title="Valuation report")
    assert item.original_name == "valuation.pdf" and item.customer_id == assessment.customer_id
    assert item.file.name.startswith(f"impaired_evidence/{assessment.customer_id}/") and item.file.name.endswith(".pdf")
    assert item.size == len(PDF) and len(item.sha256) == 64
    assert AuditEvent.objects.filter(action="upload", object_type="provisions.assessmentevidence",
                                     object_id=str(item.pk)).exists()
    with services.evidence_open(actor=users["auditor"], evidence=item) as handle:
        assert handle.read() == PDF
    assert AuditEvent.objects.filter(action="download", object_id=str(item.pk)).exists()


@pytest.mark.parametrize("upload", [
    pdf("tool.exe", b"MZ\x90\x00", "application/octet-stream"),
    pdf("page.html", b"<html></html>", "text/html"),
    pdf("fake.pdf", b"MZ\x90\x00not a pdf"),
    pdf(".hidden.pdf"),
    pdf("empty.pdf", b""),
])
def test_bad_files_are_refused_and_nothing_is_saved(assessment, users, upload, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ValidationFailed):
        services.evidence_upload(actor=users["riskadmin"], assessment=assessment, uploaded_file=upload)
    assert not AssessmentEvidence.objects.exists()


def test_too_large_is_refused(assessment, users, tmp_path, settings):
    settings.MEDIA_ROOT, settings.DOCUMENT_MAX_BYTES = tmp_path, 10
    with translation.override("en"), pytest.raises(ValidationFailed, match="too large"):
        services.evidence_upload(actor=users["riskadmin"], assessment=assessment, uploaded_file=pdf())
    assert not AssessmentEvidence.objects.exists()


def test_a_refused_file_with_the_assessment_saves_nothing(published, build, users, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    customer = build.customer()
    with pytest.raises(ValidationFailed):
        services.impaired_assess(actor=users["riskadmin"], customer=customer, period=published, reason="x",
                                 evidence_files=[pdf("tool.exe", b"MZ", "application/octet-stream")])
    assert not ImpairedAssessment.objects.exists() and not AssessmentEvidence.objects.exists()
    item = services.impaired_assess(actor=users["riskadmin"], customer=customer, period=published, reason="x",
                                    evidence_files=[pdf()])
    assert item.evidence_files.count() == 1


def test_no_evidence_for_a_locked_month(assessment, users, published, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    run = services.ecl_run_propose(actor=users["riskadmin"], period=published, lookback=1)
    services.ecl_run_lock(actor=users["approver1"], run=services.ecl_run_approve(actor=users["approver1"], run=run))
    with pytest.raises(Conflict):
        services.evidence_upload(actor=users["riskadmin"], assessment=assessment, uploaded_file=pdf())


def test_page_lists_and_downloads_refused_to_who_may_not_see_the_customer(assessment, users, client_for, api_for,
                                                                         tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    admin = client_for(users["riskadmin"])
    detail = reverse("provisions:assessment_detail", args=[assessment.pk])
    response = admin.post(detail, {"title": "Guarantee letter", "file": pdf("letter.pdf")})
    assert response.status_code == 302
    item = AssessmentEvidence.objects.get()
    page = client_for(users["auditor"]).get(detail).content.decode()
    download = reverse("provisions:evidence_download", args=[item.pk])
    assert "letter.pdf" in page and download in page
    response = client_for(users["analyst"]).get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    for role in ("rm", "collector"):
        client = client_for(users[role])
        assert client.get(download).status_code == 403, role
        assert client.get(detail).status_code == 403, role
        assert client.post(detail, {"file": pdf("x.pdf")}).status_code == 403, role
    assert client_for(users["auditor"]).post(detail, {"file": pdf("x.pdf")}).status_code == 403
    bad = client_for(users["riskadmin"]).post(detail, {"file": pdf("tool.exe", b"MZ", "application/octet-stream")})
    assert bad.status_code == 200 and AssessmentEvidence.objects.count() == 1
    # the API: list, upload (multipart), download; refused roles
    api = api_for(users["riskadmin"])
    url = f"/api/v1/impaired-assessments/{assessment.pk}/evidence/"
    created = api.post(url, {"file": pdf("cover.pdf"), "title": "Insurer"}, format="multipart")
    assert created.status_code == 201, created.content
    listed = api_for(users["auditor"]).get(url).json()
    assert {e["original_name"] for e in listed} == {"letter.pdf", "cover.pdf"}
    got = api_for(users["auditor"]).get(f"{url}{created.json()['id']}/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == PDF
    assert api.post(url, {"file": pdf("x.exe", b"MZ", "application/octet-stream")},
                    format="multipart").status_code == 400
    for role in ("rm", "collector"):
        assert api_for(users[role]).get(url).status_code == 403, role
        assert api_for(users[role]).get(f"{url}{created.json()['id']}/").status_code == 403, role
    assert api_for(users["auditor"]).post(url, {"file": pdf("y.pdf")}, format="multipart").status_code == 403
    assert AssessmentEvidence.objects.count() == 2
