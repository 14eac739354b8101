"""A customer's documents: upload (type, size and signature checked), open, delete."""
from __future__ import annotations

import datetime as dt
import hashlib
import weakref
import os

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record, audited_download, snapshot
from creditportal.core import access
from creditportal.core.errors import ValidationFailed

from ..models import Customer, CustomerDocument, DocumentType
from ._common import require_visible, _refuse

DEFAULT_DOCUMENT_TYPES = {
    # extension: (accepted content types, magic-byte prefixes; None = text without NUL bytes)
    ".pdf": ({"application/pdf"}, [b"%PDF-"]),
    ".png": ({"image/png"}, [b"\x89PNG\r\n\x1a\n"]),
    ".jpg": ({"image/jpeg"}, [b"\xff\xd8\xff"]),
    ".jpeg": ({"image/jpeg"}, [b"\xff\xd8\xff"]),
    ".xlsx": ({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}, [b"PK\x03\x04"]),
    ".docx": ({"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}, [b"PK\x03\x04"]),
    ".xls": ({"application/vnd.ms-excel"}, [b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"]),
    ".doc": ({"application/msword"}, [b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"]),
    ".csv": ({"text/csv", "application/vnd.ms-excel", "text/plain"}, None),
    ".txt": ({"text/plain"}, None),
}
GENERIC_CONTENT_TYPES = {"application/octet-stream", ""}


def document_types():
    """The allowed extensions with their content types and signatures (``settings.DOCUMENT_TYPES`` may narrow)."""
    allowed = getattr(settings, "DOCUMENT_ALLOWED_EXTENSIONS", None)
    if allowed:
        return {ext: spec for ext, spec in DEFAULT_DOCUMENT_TYPES.items() if ext in allowed}
    return DEFAULT_DOCUMENT_TYPES


def _check_upload(uploaded_file) -> tuple[str, str, str]:
    """(original name, extension, content type) of an acceptable upload, or ``ValidationFailed``."""
    raw_name = getattr(uploaded_file, "name", "") or ""
    errors = []
    if (not raw_name or "/" in raw_name or "\\" in raw_name or ".." in raw_name or raw_name.startswith(".")
            or any(ord(c) < 32 for c in raw_name) or len(raw_name) > 200):
        errors.append(_("The file name must be a plain name without folders, e.g. licence.pdf."))
    name = os.path.basename(raw_name.replace("\\", "/"))
    extension = os.path.splitext(name)[1].lower()
    types = document_types()
    size = getattr(uploaded_file, "size", None) or 0
    limit = settings.DOCUMENT_MAX_BYTES
    if size <= 0:
        errors.append(_("The file is empty."))
    elif size > limit:
        errors.append(_("The file is too large: %(size)s bytes, at most %(limit)s bytes are accepted.")
                      % {"size": size, "limit": limit})
    if extension not in types:
        errors.append(_("Files of type %(ext)s are not accepted; accepted: %(allowed)s.")
                      % {"ext": extension or _("(none)"), "allowed": ", ".join(sorted(types))})
    if errors:
        raise ValidationFailed(errors[0], field_errors={"file": errors})
    content_types, signatures = types[extension]
    declared = (getattr(uploaded_file, "content_type", "") or "").split(";")[0].strip().lower()
    if declared not in content_types and declared not in GENERIC_CONTENT_TYPES:
        message = _("The file's content type %(type)s does not match its extension %(ext)s.") % {
            "type": declared, "ext": extension}
        raise ValidationFailed(message, field_errors={"file": [message]})
    uploaded_file.seek(0)
    head = uploaded_file.read(2048)
    uploaded_file.seek(0)
    if signatures is None:
        valid = b"\x00" not in head
    else:
        valid = any(head.startswith(sig) for sig in signatures)
    if not valid:
        message = _("The file's content is not a %(ext)s file.") % {"ext": extension}
        raise ValidationFailed(message, field_errors={"file": [message]})
    return name, extension, sorted(content_types)[0] if declared in GENERIC_CONTENT_TYPES else declared


@transaction.atomic
def document_upload(*, actor, customer: Customer, doc_type, uploaded_file, title="", expires_on=None
                    ) -> CustomerDocument:
    """Store a document in the customer's credit file under a server-chosen name; audited."""
    access.require(actor, "customers.add_customerdocument")
    require_visible(actor, customer)
    errors = {}
    if doc_type not in DocumentType.values:
        errors["doc_type"] = [_("Choose a document type from the list.")]
    if isinstance(expires_on, str):
        try:
            expires_on = dt.date.fromisoformat(expires_on) if expires_on else None
        except ValueError:
            errors["expires_on"] = [_("Enter a valid date.")]
    _refuse(errors)
    name, _extension, content_type = _check_upload(uploaded_file)
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    document = CustomerDocument(
        customer=customer, doc_type=doc_type, title=(title or "").strip()[:200], original_name=name,
        content_type=content_type, size=uploaded_file.size, sha256=digest.hexdigest(), expires_on=expires_on,
        uploaded_by=actor,
    )
    with transaction.atomic():
        document.file.save(name, uploaded_file, save=False)
        _delete_file_unless_committed(document.file.storage, document.file.name)
        document.save()
        audit_record(actor=actor, action=AuditEvent.Action.UPLOAD, obj=document,
                     after=snapshot(document, exclude=()))
    return document


def _delete_file_unless_committed(storage, name) -> None:
    """Delete the stored file again if the transaction that records it (this one or any outer one) rolls back.

    Django has no rollback hook, but a rollback (of the transaction or of the savepoint the callback was
    registered in) drops the pending ``on_commit`` callbacks: the callback below is then freed without having
    run, and its finalizer deletes the file. On commit it runs first and the file stays.
    """
    committed = []

    def file_committed():
        committed.append(True)

    def delete_unless_committed():
        if not committed:
            storage.delete(name)

    weakref.finalize(file_committed, delete_unless_committed)
    transaction.on_commit(file_committed)


def document_open(*, actor, document: CustomerDocument):
    """Open a document's file for download after checking the actor's access; the download is audited."""
    return audited_download(actor=actor, obj=document, permission="customers.view_customerdocument",
                            file=document.file, name=document.original_name, sha256=document.sha256)


@transaction.atomic
def document_delete(*, actor, document: CustomerDocument) -> None:
    access.require(actor, "customers.delete_customerdocument")
    require_visible(actor, document.customer)
    audit_record(actor=actor, action=AuditEvent.Action.DELETE, obj=document, before=snapshot(document))
    stored_name, storage = document.file.name, document.file.storage
    document.delete()
    transaction.on_commit(lambda: storage.delete(stored_name))
