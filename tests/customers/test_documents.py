"""Document upload limits, permission-checked and audited download."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from creditportal.core.errors import ValidationFailed
from customers import services
from customers.models import CustomerDocument

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


def pdf(name="licence.pdf", content=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def customer(make_customer):
    return make_customer()


def test_upload_is_stored_under_a_server_name_and_audited(users, customer, settings):
    document = services.document_upload(actor=users["rm"], customer=customer, doc_type="business_licence",
                                        uploaded_file=pdf())
    assert document.original_name == "licence.pdf"
    assert document.file.name.startswith(f"customer_documents/{customer.pk}/") and document.file.name.endswith(".pdf")
    assert document.size == len(PDF) and len(document.sha256) == 64
    assert AuditEvent.objects.filter(action="upload", object_id=str(document.pk)).exists()


def test_too_large_is_refused(users, customer, settings):
    settings.DOCUMENT_MAX_BYTES = 10
    with pytest.raises(ValidationFailed) as info:
        services.document_upload(actor=users["rm"], customer=customer, doc_type="other", uploaded_file=pdf())
    assert "too large" in info.value.message
    assert not CustomerDocument.objects.exists()


@pytest.mark.parametrize("upload", [
    pdf("tool.exe", b"MZ\x90\x00", "application/octet-stream"),
    pdf("page.html", b"<html></html>", "text/html"),
    pdf("fake.pdf", b"MZ\x90\x00not a pdf"),                        # content does not match the extension
    pdf("licence.pdf", PDF, "text/html"),                            # declared type does not match
    pdf("empty.pdf", b""),
])
def test_wrong_type_is_refused(users, customer, upload):
    with pytest.raises(ValidationFailed):
        services.document_upload(actor=users["rm"], customer=customer, doc_type="other", uploaded_file=upload)
    assert not CustomerDocument.objects.exists()


def test_path_in_the_file_name(users, customer, api_for, settings):
    class RawName:
        """An upload whose name still carries a path (as a hand-made client could send)."""

        def __init__(self, name):
            self._file = pdf()
            self.name = name

        def __getattr__(self, attr):
            return getattr(self._file, attr)

    for name in ["../../etc/passwd.pdf", "..\\..\\boot.pdf", "dir/licence.pdf"]:
        with pytest.raises(ValidationFailed):
            services.document_upload(actor=users["rm"], customer=customer, doc_type="other", uploaded_file=RawName(name))
    # Through the API the multipart parser strips folders; the file still lands in the customer's folder.
    response = api_for(users["rm"]).post("/api/v1/customer-documents/", {
        "customer": customer.pk, "doc_type": "other", "file": pdf("../../../evil.pdf")}, format="multipart")
    if response.status_code == 201:
        document = CustomerDocument.objects.get()
        assert "/" not in document.original_name and ".." not in document.file.name
        assert document.file.path.startswith(str(settings.MEDIA_ROOT))
    else:
        assert response.status_code == 400


def test_download_is_permission_checked_and_audited(users, customer, client_for, api_for):
    document = services.document_upload(actor=users["rm"], customer=customer, doc_type="audited_report",
                                        uploaded_file=pdf())
    url = reverse("customers:document_download", args=[document.pk])
    response = client_for(users["rm"]).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert AuditEvent.objects.filter(action="download", object_id=str(document.pk), actor_username="rm").exists()
    assert client_for(users["rm2"]).get(url).status_code == 404
    api_url = f"/api/v1/customer-documents/{document.pk}/download/"
    assert api_for(users["rm2"]).get(api_url).status_code == 404
    response = api_for(users["auditor"]).get(api_url)
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="download", object_id=str(document.pk), actor_username="auditor").exists()
    assert api_for(users["auditor"]).delete(f"/api/v1/customer-documents/{document.pk}/").status_code == 403


def test_expired_documents_are_flagged(users, customer, client_for, api_for):
    import datetime as dt

    from creditportal.core import clock

    clock.set_today(dt.date(2024, 6, 1))
    services.document_upload(actor=users["rm"], customer=customer, doc_type="business_licence", uploaded_file=pdf(),
                             expires_on=dt.date(2024, 5, 31))
    page = client_for(users["rm"]).get(reverse("customers:customer_detail", args=[customer.pk]) + "?tab=documents")
    assert page.context["tab_context"]["expired_count"] == 1
    assert api_for(users["rm"]).get("/api/v1/customer-documents/").json()["results"][0]["expired"] is True


def test_api_upload(users, customer, api_for):
    response = api_for(users["rm"]).post("/api/v1/customer-documents/", {
        "customer": customer.pk, "doc_type": "bank_statement", "expires_on": "2030-01-01", "file": pdf("bank.pdf")},
        format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["download_url"].endswith("/download/")
