"""A document upload whose transaction rolls back leaves no file behind; a committed one keeps its file.

The file is written before the row (its name goes into the row), so the service deletes it again when the
transaction that records it rolls back: its own (the row or the audit event fails), an outer one, or only the
savepoint it was made in.
"""
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


class Boom(Exception):
    pass


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def customer(users):
    from customers.models import Customer

    return Customer.objects.create(name="华东机械有限公司", is_foreign=True, registration_number="REG-UP",
                                   country="HK", relationship_manager=users["rm"], status="active")


def upload(users, customer, name="statement.pdf"):
    from customers import services
    from customers.models import DocumentType

    return services.document_upload(actor=users["rm"], customer=customer, doc_type=DocumentType.values[0],
                                    uploaded_file=SimpleUploadedFile(name, PDF, content_type="application/pdf"))


def files(root: Path):
    return sorted(p.name for p in root.rglob("*") if p.is_file())


def test_an_outer_rollback_deletes_the_stored_file(users, customer, media):
    from customers.models import CustomerDocument

    with pytest.raises(Boom):
        with transaction.atomic():
            document = upload(users, customer)
            assert Path(document.file.path).is_file()  # written during the transaction
            raise Boom
    assert CustomerDocument.objects.count() == 0
    assert files(media) == []


def test_a_rolled_back_savepoint_deletes_only_its_own_file(users, customer, media):
    from customers.models import CustomerDocument

    kept = upload(users, customer, "kept.pdf")
    try:
        with transaction.atomic():
            upload(users, customer, "dropped.pdf")
            raise Boom
    except Boom:
        pass
    assert list(CustomerDocument.objects.values_list("pk", flat=True)) == [kept.pk]
    assert files(media) == [Path(kept.file.name).name]
    with kept.file.open("rb") as fh:
        assert fh.read() == PDF


def test_a_failure_inside_the_upload_deletes_the_stored_file(users, customer, media, monkeypatch):
    from audit.models import AuditEvent
    from customers.models import CustomerDocument
    from customers.services import documents as services

    def failing_audit(**kwargs):
        raise Boom

    monkeypatch.setattr(services, "audit_record", failing_audit)
    events = AuditEvent.objects.count()
    with pytest.raises(Boom):
        upload(users, customer)
    assert CustomerDocument.objects.count() == 0 and AuditEvent.objects.count() == events
    assert files(media) == []


def test_a_committed_upload_keeps_its_file(users, customer, media, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # the transaction commits
        document = upload(users, customer)
    assert callbacks  # the file's guard ran as a commit callback
    with pytest.raises(Boom):  # a later rollback elsewhere does not touch the committed file
        with transaction.atomic():
            upload(users, customer, "other.pdf")
            raise Boom
    assert files(media) == [Path(document.file.name).name]
