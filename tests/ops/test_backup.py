"""Issue 25, backup and restore: the database (pg_dump, one snapshot) and the stored files go into one signed
archive with a manifest; a restore into a new database and folder is verified (row counts, stored reports' and
files' hashes, the audit trail's chain), and a changed archive is refused."""
import hashlib
import io
import json
import tarfile
import uuid

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from audit.models import AuditEvent
from config import backup
from customers import services as customers
from customers.models import Customer
from reports.models import StoredReport

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


def _url(name):
    params = connection.settings_dict
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    return f"postgres://{params['USER']}{password}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/{name}"


@pytest.fixture
def new_database():
    names = []

    def make():
        names.append(f"{connection.settings_dict['NAME']}_restored_{uuid.uuid4().hex[:8]}")
        return _url(names[-1])

    yield make
    params = backup._database(_url("postgres"))
    with backup._connect(params, autocommit=True) as conn:
        for name in names:
            conn.execute(psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(psycopg.sql.Identifier(name)))


@pytest.fixture
def portfolio(users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    customer = Customer.objects.create(name="华东机械有限公司", name_en="East China Machinery", is_foreign=True,
                                       registration_number="REG-BACKUP", industry_section="C", size="medium",
                                       relationship_manager=users["rm"], status="active")
    document = customers.document_upload(actor=users["rm"], customer=customer, doc_type="business_licence",
                                         uploaded_file=SimpleUploadedFile("licence.pdf", PDF,
                                                                          content_type="application/pdf"))
    content = b"%PDF-1.4 a stored rating report"
    StoredReport.objects.create(kind="rating_report", object_type="ratings.rating", object_id="1",
                                customer=customer, language="en", report_number="RR-1", content=content,
                                size=len(content), sha256=hashlib.sha256(content).hexdigest())
    return {"customer": customer, "document": document}


def _rewrite(archive, target, change):
    """A copy of ``archive`` with ``change(name, data) -> data`` applied to each member."""
    with tarfile.open(archive) as source, tarfile.open(target, "w") as copy:
        for member in source.getmembers():
            data = change(member.name, source.extractfile(member).read())
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            copy.addfile(info, io.BytesIO(data))
    return target


def test_backup_restore_into_a_new_database_and_verify(portfolio, tmp_path, new_database):
    archive = tmp_path / "portal.tar"
    manifest = backup.backup(archive)
    assert manifest["tables"]["customers_customer"] == 1
    assert manifest["tables"]["audit_auditevent"] == AuditEvent.objects.count() > 0
    document = portfolio["document"]
    assert manifest["referenced_files"] == {document.file.name: document.sha256}
    assert manifest["members"][f"media/{document.file.name}"]["sha256"] == document.sha256
    assert manifest["pg_dump"].startswith("pg_dump (PostgreSQL) ")
    assert backup.verify_archive(archive)["signature"] == manifest["signature"]

    restored = tmp_path / "media-restored"
    result = backup.restore(archive, database_url=new_database(), media_root=restored)
    assert result["stored_reports"] == 1 and result["files"] == 1
    assert result["audit_events"] == AuditEvent.objects.count()
    assert (restored / document.file.name).read_bytes() == PDF

    # the command line, as scripts/restore runs it: a second restore into another new database
    assert backup.main(["restore", str(archive), "--database-url", new_database(),
                        "--media-root", str(tmp_path / "media-2")]) == 0


def test_a_changed_file_in_the_archive_is_refused(portfolio, tmp_path, new_database):
    archive = tmp_path / "portal.tar"
    backup.backup(archive)
    name = f"media/{portfolio['document'].file.name}"
    tampered = _rewrite(archive, tmp_path / "tampered.tar",
                        lambda member, data: data.replace(b"%%EOF", b"%%EOX") if member == name else data)
    with pytest.raises(backup.BackupError, match="does not match its hash"):
        backup.verify_archive(tampered)
    with pytest.raises(backup.BackupError):
        backup.restore(tampered, database_url=new_database(), media_root=tmp_path / "never")
    assert not (tmp_path / "never").exists()  # refused before anything was restored
    assert backup.main(["verify", str(tampered)]) == 1


def test_a_changed_manifest_is_refused(portfolio, tmp_path):
    archive = tmp_path / "portal.tar"
    backup.backup(archive)

    def fewer_rows(member, data):
        if member != backup.MANIFEST:
            return data
        manifest = json.loads(data)
        manifest["tables"]["audit_auditevent"] -= 1  # hide a deleted audit event
        return json.dumps(manifest).encode()

    with pytest.raises(backup.BackupError, match="signature"):
        backup.verify_archive(_rewrite(archive, tmp_path / "tampered.tar", fewer_rows))


def test_a_broken_audit_chain_fails_the_restores_verification(portfolio, tmp_path, new_database):
    """An archive of a database whose audit trail was edited behind the portal's back does not verify."""
    event = AuditEvent.objects.order_by("id").first()
    with connection.cursor() as cursor:  # around the ORM and the append-only trigger, as an intruder would
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
        cursor.execute("UPDATE audit_auditevent SET actor_username = 'someone-else' WHERE id = %s", [event.pk])
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")
    archive = tmp_path / "portal.tar"
    backup.backup(archive)
    with pytest.raises(backup.BackupError, match="audit chain broken"):
        backup.restore(archive, database_url=new_database(), media_root=tmp_path / "restored")


def test_a_missing_file_the_database_refers_to_fails_the_backup(portfolio, tmp_path, settings):
    (settings.MEDIA_ROOT / portfolio["document"].file.name).unlink()
    with pytest.raises(backup.BackupError, match="missing or changed"):
        backup.backup(tmp_path / "portal.tar")
