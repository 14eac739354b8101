"""Every write of the customers app: customers, groups, contacts, documents, negative records, statements.

Services take keyword-only arguments with an explicit ``actor``, check the permission and the actor's
portfolio, validate everything before writing (a refusal changes nothing), run in one transaction, write
the audit trail in it, and publish domain events on commit.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import weakref
import os
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_changes, audit_record, snapshot
from creditportal.core import access, clock
from creditportal.core.errors import Conflict, NotAllowed, ValidationFailed
from creditportal.core.events import publish_on_commit
from creditportal.core.money import CURRENCY_CODES, to_decimal

from . import events, statement_io
from .models import (
    INDUSTRY_DIVISION_RANGES, LINE_ITEMS, REQUIRED_LINE_ITEMS, Contact, Customer, CustomerDocument, CustomerGroup,
    CustomerSize, CustomerStatus, DocumentType, FinancialStatement, GroupRelation, LegalForm, NegativeRecord,
    NegativeRecordKind, PeriodType, StatementUnit, division_matches_section,
)
from .validators import credit_code_problem, normalise_credit_code

User = get_user_model()

EVENT_STATEMENT_SAVED = events.STATEMENT_SAVED
EVENT_NEGATIVE_RECORD_ADDED = events.NEGATIVE_RECORD_ADDED

CUSTOMER_FIELDS = [
    "name", "name_en", "credit_code", "is_foreign", "registration_number", "country", "legal_form",
    "industry_section", "industry_division", "size", "registered_capital", "registered_capital_currency",
    "established_on", "legal_representative", "address", "status", "group", "group_relation",
]
CONTACT_FIELDS = ["name", "position", "phone", "email", "is_primary", "notes"]
NEGATIVE_RECORD_FIELDS = ["kind", "occurred_on", "source", "amount", "currency", "description"]
STATEMENT_HEADER_FIELDS = ["period_end", "period_type", "audited", "consolidated", "currency", "unit"]
STATEMENT_FIELDS = STATEMENT_HEADER_FIELDS + LINE_ITEMS

# Line items that can never be negative (equity, profits and cash flows can).
NON_NEGATIVE_ITEMS = [
    "cash", "receivables", "inventory", "current_assets", "total_assets", "short_term_debt", "current_liabilities",
    "long_term_debt", "total_liabilities", "revenue", "cost_of_sales", "interest_expense",
]
# |assets − (liabilities + equity)| may be at most this share of total assets, or one unit, whichever is larger.
BALANCE_TOLERANCE_SHARE = Decimal("0.0001")
BALANCE_TOLERANCE_MIN = Decimal("1")

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


# --- Helpers ----------------------------------------------------------------------------------

def require_visible(actor, customer) -> None:
    """Refuse an actor who may not see ``customer`` (another relationship manager's portfolio)."""
    if not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
        access.security_log.warning("refused: user=%s customer=%s outside portfolio",
                                    getattr(actor, "username", None), customer.pk)
        raise NotAllowed(_("This customer is not in your portfolio."))


def _refuse(errors: dict, message: str | None = None):
    if errors:
        first = next(iter(errors.values()))
        first = first[0] if isinstance(first, (list, tuple)) else first
        raise ValidationFailed(message or first, field_errors=errors)


def _full_clean(instance, exclude=None):
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors = {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
        raise ValidationFailed(_("Please correct the marked fields."), field_errors=errors) from exc


def _decimal_or_none(value, field, errors):
    if value is None or value == "":
        return None
    try:
        return to_decimal(value)
    except ValueError:
        errors.setdefault(field, []).append(_("Enter a number."))
        return None


def _is_relationship_manager(user) -> bool:
    return bool(user and user.is_active and user.groups.filter(name=access.RELATIONSHIP_MANAGER).exists())


def relationship_managers():
    """Active users who may hold a portfolio."""
    return User.objects.filter(is_active=True, groups__name=access.RELATIONSHIP_MANAGER).order_by("username")


# --- Customers --------------------------------------------------------------------------------

def _clean_customer_fields(fields: dict, *, instance: Customer | None = None, groups=None) -> dict:
    unknown = set(fields) - set(CUSTOMER_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown field(s): %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    data = {f: getattr(instance, f) for f in CUSTOMER_FIELDS} if instance else {}
    data.update(fields)
    errors: dict[str, list] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    data["name"] = (data.get("name") or "").strip()
    if not data["name"]:
        add("name", _("Enter the customer's name."))
    for text in ("name_en", "registration_number", "legal_representative", "address", "industry_division",
                 "group_relation"):
        data[text] = (data.get(text) or "").strip()
    data["is_foreign"] = bool(data.get("is_foreign"))
    code = normalise_credit_code(data.get("credit_code"))
    data["credit_code"] = code or None
    data["country"] = (data.get("country") or "").strip().upper() or ("" if data["is_foreign"] else "CN")
    if data["is_foreign"]:
        if not data["registration_number"]:
            add("registration_number", _("A foreign customer needs its country's registration number."))
        if len(data["country"]) != 2 or not data["country"].isalpha() or data["country"] == "CN":
            add("country", _("Enter the two-letter code of the country of registration (not CN)."))
    else:
        data["country"] = "CN"
        if not code:
            add("credit_code", _("A domestic customer needs its unified social credit code."))
    if code:
        problem = credit_code_problem(code)
        messages = {
            "length": _("The unified social credit code has 18 characters; this one has %(n)d.") % {"n": len(code)},
            "charset": _("The unified social credit code uses only digits and capital letters without I, O, S, V, Z."),
            "region": _("Characters 3 to 8 of the unified social credit code are the region's digits."),
            "check_digit": _("The check digit of this unified social credit code is wrong: please check the code."),
        }
        if problem:
            add("credit_code", messages[problem])
        else:
            clash = Customer.objects.filter(credit_code=code)
            if instance is not None:
                clash = clash.exclude(pk=instance.pk)
            if clash.exists():
                add("credit_code", _("Another customer already has this unified social credit code."))
    if data.get("legal_form") not in LegalForm.values:
        add("legal_form", _("Choose a legal form from the list."))
    if data.get("industry_section") not in INDUSTRY_DIVISION_RANGES:
        add("industry_section", _("Choose an industry section (GB/T 4754) from the list."))
    elif not division_matches_section(data["industry_section"], data["industry_division"]):
        low, high = INDUSTRY_DIVISION_RANGES[data["industry_section"]]
        add("industry_division", _("Section %(section)s has the divisions %(low)02d to %(high)02d.")
            % {"section": data["industry_section"], "low": low, "high": high})
    if data.get("size") not in CustomerSize.values:
        add("size", _("Choose a size from the list."))
    if data.get("status") in (None, ""):
        data["status"] = CustomerStatus.PROSPECT
    if data["status"] not in CustomerStatus.values:
        add("status", _("Choose a status from the list."))
    elif CustomerStatus.SUSPENDED in {data["status"], getattr(instance, "status", None)} and \
            data["status"] != getattr(instance, "status", None):
        # a suspension is imposed and lifted only by customer_suspend / customer_resume (who and why)
        add("status", _("A suspension is imposed or lifted with its own action and a reason, not by editing."))
    capital = _decimal_or_none(data.get("registered_capital"), "registered_capital", errors)
    if capital is not None and capital < 0:
        add("registered_capital", _("The registered capital cannot be negative."))
    data["registered_capital"] = capital
    data["registered_capital_currency"] = data.get("registered_capital_currency") or "CNY"
    if data["registered_capital_currency"] not in CURRENCY_CODES:
        add("registered_capital_currency", _("Choose a currency from the list."))
    established = data.get("established_on")
    if established and established > clock.today():
        add("established_on", _("The date of establishment cannot be in the future."))
    data["established_on"] = established or None
    group = data.get("group")
    if group is not None and getattr(group, "pk", group) != getattr(instance, "group_id", None):
        # a group id is resolved among the groups the actor may see (the same answer as a missing one)
        choices = groups if groups is not None else CustomerGroup.objects
        group = choices.filter(pk=getattr(group, "pk", group)).first()
        if group is None:
            add("group", _("This group does not exist."))
    elif group is not None and not isinstance(group, CustomerGroup):
        group = instance.group
    data["group"] = group
    if group is None and data["group_relation"]:
        add("group_relation", _("A relation needs a group of related companies."))
    if group is not None and data["group_relation"] not in GroupRelation.values:
        add("group_relation", _("Choose how the customer is related to the group."))
    _refuse(errors)
    return data


@transaction.atomic
def customer_create(*, actor, relationship_manager=None, **fields) -> Customer:
    """Create a customer; a relationship manager creates it in their own portfolio."""
    access.require(actor, "customers.add_customer")
    manager = relationship_manager or actor
    if getattr(manager, "pk", None) != actor.pk and not access.has(actor, "customers.reassign_customer"):
        raise NotAllowed(_("Only a risk admin may put a customer into another manager's portfolio."))
    if not _is_relationship_manager(manager):
        raise ValidationFailed(_("The relationship manager must be an active user in that role."),
                               field_errors={"relationship_manager": _("Choose a relationship manager.")})
    data = _clean_customer_fields(fields, groups=CustomerGroup.objects.visible_to(actor))
    customer = Customer(relationship_manager=manager, **data)
    _full_clean(customer)
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError as exc:
        raise Conflict(_("Another customer already has this unified social credit code."),
                       field_errors={"credit_code": _("This code is already registered.")}) from exc
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=customer, after=snapshot(customer))
    return customer


@transaction.atomic
def customer_update(*, actor, customer: Customer, **fields) -> Customer:
    """Change a customer's master data (not its manager: see ``customer_reassign``)."""
    access.require(actor, "customers.change_customer")
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    require_visible(actor, customer)
    before = snapshot(customer)
    data = _clean_customer_fields(fields, instance=customer, groups=CustomerGroup.objects.visible_to(actor))
    for name, value in data.items():
        setattr(customer, name, value)
    _full_clean(customer)
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError as exc:
        raise Conflict(_("Another customer already has this unified social credit code."),
                       field_errors={"credit_code": _("This code is already registered.")}) from exc
    audit_changes(actor=actor, obj=customer, before=before)
    return customer


@transaction.atomic
def customer_reassign(*, actor, customer: Customer, relationship_manager) -> Customer:
    """Move a customer into another relationship manager's portfolio (risk admin)."""
    access.require(actor, "customers.reassign_customer")
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not _is_relationship_manager(relationship_manager):
        raise ValidationFailed(_("The relationship manager must be an active user in that role."),
                               field_errors={"relationship_manager": _("Choose a relationship manager.")})
    if relationship_manager.pk == customer.relationship_manager_id:
        return customer
    before = snapshot(customer, fields=["relationship_manager"])
    customer.relationship_manager = relationship_manager
    customer.save(update_fields=["relationship_manager", "updated_at"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=customer, verb="reassign", before=before,
                 after=snapshot(customer, fields=["relationship_manager"]))
    return customer


# --- Suspension -------------------------------------------------------------------------------

def _customer_status_change(*, actor, customer, reason, permission, sources, target, verb) -> Customer:
    access.require(actor, permission)
    require_visible(actor, customer)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason."), field_errors={"reason": _("Required.")})
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if locked.status not in sources:
        raise Conflict(_("This action is not allowed in the object's current state (%(state)s).")
                       % {"state": locked.get_status_display()})
    before = locked.status
    locked.status = target
    locked.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=locked, verb=verb,
                 before={"status": before}, after={"status": target, "reason": reason[:500]})
    return locked


@transaction.atomic
def customer_suspend(*, actor, customer: Customer, reason) -> Customer:
    """Suspend a customer (no new orders on any of its facilities); the reason is audited."""
    return _customer_status_change(actor=actor, customer=customer, reason=reason,
                                   permission="customers.suspend_customer",
                                   sources=(CustomerStatus.PROSPECT, CustomerStatus.ACTIVE),
                                   target=CustomerStatus.SUSPENDED, verb="suspend")


@transaction.atomic
def customer_resume(*, actor, customer: Customer, reason) -> Customer:
    """Lift a customer's suspension: only the roles with ``customers.resume_customer`` (approvers),
    whoever imposed it; who and why are audited."""
    return _customer_status_change(actor=actor, customer=customer, reason=reason,
                                   permission="customers.resume_customer",
                                   sources=(CustomerStatus.SUSPENDED,), target=CustomerStatus.ACTIVE, verb="resume")


# --- Groups -----------------------------------------------------------------------------------

def _clean_group(*, name, parent_company, notes, instance=None):
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Enter the group's name.")]
    else:
        clash = CustomerGroup.objects.filter(name__iexact=name)
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            errors["name"] = [_("A group with this name already exists.")]
    if parent_company is not None and not isinstance(parent_company, Customer):
        parent_company = Customer.objects.filter(pk=parent_company).first()
        if parent_company is None:
            errors["parent_company"] = [_("This customer does not exist.")]
    _refuse(errors)
    return name, parent_company, (notes or "").strip()


@transaction.atomic
def group_create(*, actor, name, parent_company=None, notes="") -> CustomerGroup:
    access.require(actor, "customers.add_customergroup")
    name, parent_company, notes = _clean_group(name=name, parent_company=parent_company, notes=notes)
    if parent_company is not None:
        require_visible(actor, parent_company)
    group = CustomerGroup.objects.create(name=name, parent_company=parent_company, notes=notes)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=group, after=snapshot(group))
    return group


@transaction.atomic
def group_update(*, actor, group: CustomerGroup, name, parent_company=None, notes="") -> CustomerGroup:
    access.require(actor, "customers.change_customergroup")
    if not CustomerGroup.objects.visible_to(actor).filter(pk=group.pk).exists():
        access.security_log.warning("refused: user=%s group=%s outside portfolio", actor.username, group.pk)
        raise NotAllowed(_("This group holds no customer of your portfolio."))
    group = CustomerGroup.objects.select_for_update().get(pk=group.pk)
    name, parent_company, notes = _clean_group(name=name, parent_company=parent_company, notes=notes, instance=group)
    if parent_company is not None and parent_company.pk != group.parent_company_id:
        require_visible(actor, parent_company)
    if group.parent_company_id and getattr(parent_company, "pk", None) != group.parent_company_id:
        require_visible(actor, group.parent_company)  # nobody removes another portfolio's parent company
    before = snapshot(group)
    group.name, group.parent_company, group.notes = name, parent_company, notes
    group.save()
    audit_changes(actor=actor, obj=group, before=before)
    return group


# --- Contacts ---------------------------------------------------------------------------------

def _contact_data(fields):
    unknown = set(fields) - set(CONTACT_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown field(s): %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    data = {k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items()}
    if "name" in data and not data["name"]:
        raise ValidationFailed(_("Enter the contact's name."), field_errors={"name": [_("Enter the contact's name.")]})
    return data


def _one_primary(contact):
    if contact.is_primary:
        Contact.objects.filter(customer_id=contact.customer_id, is_primary=True).exclude(pk=contact.pk).update(
            is_primary=False)


@transaction.atomic
def contact_create(*, actor, customer: Customer, **fields) -> Contact:
    access.require(actor, "customers.add_contact")
    require_visible(actor, customer)
    data = _contact_data(fields)
    if not data.get("name"):
        raise ValidationFailed(_("Enter the contact's name."), field_errors={"name": [_("Enter the contact's name.")]})
    contact = Contact(customer=customer, **data)
    _full_clean(contact, exclude=["customer"])
    contact.save()
    _one_primary(contact)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=contact, after=snapshot(contact))
    return contact


@transaction.atomic
def contact_update(*, actor, contact: Contact, **fields) -> Contact:
    access.require(actor, "customers.change_contact")
    require_visible(actor, contact.customer)
    data = _contact_data(fields)
    before = snapshot(contact)
    for name, value in data.items():
        setattr(contact, name, value)
    _full_clean(contact, exclude=["customer"])
    contact.save()
    _one_primary(contact)
    audit_changes(actor=actor, obj=contact, before=before)
    return contact


@transaction.atomic
def contact_delete(*, actor, contact: Contact) -> None:
    access.require(actor, "customers.delete_contact")
    require_visible(actor, contact.customer)
    before = snapshot(contact)
    audit_record(actor=actor, action=AuditEvent.Action.DELETE, obj=contact, before=before)
    contact.delete()


# --- Documents --------------------------------------------------------------------------------

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
    access.require(actor, "customers.view_customerdocument")
    if not CustomerDocument.objects.visible_to(actor).filter(pk=document.pk).exists():
        raise NotAllowed(_("This customer is not in your portfolio."))
    with transaction.atomic():
        audit_record(actor=actor, action=AuditEvent.Action.DOWNLOAD, obj=document,
                     after={"file": document.original_name, "sha256": document.sha256})
    return document.file.open("rb")


@transaction.atomic
def document_delete(*, actor, document: CustomerDocument) -> None:
    access.require(actor, "customers.delete_customerdocument")
    require_visible(actor, document.customer)
    audit_record(actor=actor, action=AuditEvent.Action.DELETE, obj=document, before=snapshot(document))
    stored_name, storage = document.file.name, document.file.storage
    document.delete()
    transaction.on_commit(lambda: storage.delete(stored_name))


# --- Negative records -------------------------------------------------------------------------

def _clean_negative_record(data: dict) -> dict:
    errors: dict[str, list] = {}
    if data.get("kind") not in NegativeRecordKind.values:
        errors["kind"] = [_("Choose a kind from the list.")]
    occurred = data.get("occurred_on")
    if isinstance(occurred, str):
        try:
            occurred = dt.date.fromisoformat(occurred)
        except ValueError:
            occurred = None
    if not occurred:
        errors["occurred_on"] = [_("Enter the date.")]
    elif occurred > clock.today():
        errors["occurred_on"] = [_("The date cannot be in the future.")]
    data["occurred_on"] = occurred
    data["source"] = (data.get("source") or "").strip()
    if not data["source"]:
        errors["source"] = [_("Say where the record comes from (court, tax office, credit bureau…).")]
    amount = _decimal_or_none(data.get("amount"), "amount", errors)
    if amount is not None and amount < 0:
        errors["amount"] = [_("The amount cannot be negative.")]
    data["amount"] = amount
    data["currency"] = data.get("currency") or "CNY"
    if data["currency"] not in CURRENCY_CODES:
        errors["currency"] = [_("Choose a currency from the list.")]
    data["description"] = (data.get("description") or "").strip()
    _refuse(errors)
    return data


@transaction.atomic
def negative_record_create(*, actor, customer: Customer, **fields) -> NegativeRecord:
    access.require(actor, "customers.add_negativerecord")
    require_visible(actor, customer)
    unknown = set(fields) - set(NEGATIVE_RECORD_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown field(s): %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    data = _clean_negative_record(dict(fields))
    record = NegativeRecord(customer=customer, recorded_by=actor, **data)
    _full_clean(record, exclude=["customer", "recorded_by"])
    record.save()
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=record, after=snapshot(record))
    publish_on_commit(EVENT_NEGATIVE_RECORD_ADDED, record_id=record.pk, customer_id=customer.pk)
    return record


@transaction.atomic
def negative_record_update(*, actor, record: NegativeRecord, **fields) -> NegativeRecord:
    access.require(actor, "customers.change_negativerecord")
    require_visible(actor, record.customer)
    unknown = set(fields) - set(NEGATIVE_RECORD_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown field(s): %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    before = snapshot(record)
    data = _clean_negative_record({**{f: getattr(record, f) for f in NEGATIVE_RECORD_FIELDS}, **fields})
    for name, value in data.items():
        setattr(record, name, value)
    record.save()
    audit_changes(actor=actor, obj=record, before=before)
    return record


# --- Financial statements ---------------------------------------------------------------------

def validate_statement(values: dict, *, customer_id=None, exclude_pk=None, check_duplicate=True) -> tuple[dict, dict]:
    """Clean the header and line items of one statement: (cleaned values, {field: [messages]}).

    Refused: a missing required total, negative totals, current assets above total assets, current
    liabilities above total liabilities, a component above its total, assets ≠ liabilities + equity beyond
    the tolerance, a period end in the future, and a period the customer already has.
    """
    errors: dict[str, list] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    unknown = set(values) - set(STATEMENT_FIELDS)
    if unknown:
        add("__all__", _("Unknown field(s): %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    data: dict = {}
    period_end = values.get("period_end")
    if isinstance(period_end, dt.datetime):
        period_end = period_end.date()
    if isinstance(period_end, str):
        try:
            period_end = dt.date.fromisoformat(period_end.strip())
        except ValueError:
            period_end = None
            add("period_end", _("Enter the period end as a date (YYYY-MM-DD)."))
    if not period_end and "period_end" not in errors:
        add("period_end", _("Enter the period end."))
    elif period_end and period_end > clock.today():
        add("period_end", _("The period end cannot be in the future."))
    data["period_end"] = period_end
    data["period_type"] = values.get("period_type") or PeriodType.ANNUAL
    if data["period_type"] not in PeriodType.values:
        add("period_type", _("Choose annual or interim."))
    data["audited"] = bool(values.get("audited"))
    data["consolidated"] = bool(values.get("consolidated"))
    data["currency"] = values.get("currency") or "CNY"
    if data["currency"] not in CURRENCY_CODES:
        add("currency", _("Choose a currency from the list."))
    try:
        data["unit"] = int(values.get("unit") or StatementUnit.YUAN)
    except (TypeError, ValueError):
        data["unit"] = None
    if data["unit"] not in StatementUnit.values:
        add("unit", _("The unit must be 1 (yuan), 1000 (thousand yuan) or 10000 (ten thousand yuan)."))

    limit = Decimal("1e17")
    for item in LINE_ITEMS:
        value = _decimal_or_none(values.get(item), item, errors)
        if value is not None:
            if abs(value) >= limit:
                add(item, _("This number is too large."))
            elif value != value.quantize(Decimal("0.01")):
                add(item, _("Use at most two decimals."))
        data[item] = value
    for item in REQUIRED_LINE_ITEMS:
        if data[item] is None and item not in errors:
            add(item, _("This total is required."))
    for item in NON_NEGATIVE_ITEMS:
        if data[item] is not None and data[item] < 0:
            add(item, _("This amount cannot be negative."))
    assets, liabilities, equity = data["total_assets"], data["total_liabilities"], data["equity"]
    current_assets, current_liabilities = data["current_assets"], data["current_liabilities"]
    if current_assets is not None and assets is not None and current_assets > assets:
        add("current_assets", _("Current assets (%(current)s) cannot exceed total assets (%(total)s).")
            % {"current": current_assets, "total": assets})
    if current_liabilities is not None and liabilities is not None and current_liabilities > liabilities:
        add("current_liabilities",
            _("Current liabilities (%(current)s) cannot exceed total liabilities (%(total)s).")
            % {"current": current_liabilities, "total": liabilities})
    if current_assets is not None:
        for part in ("cash", "receivables", "inventory"):
            if data[part] is not None and data[part] > current_assets and part not in errors:
                add(part, _("This item cannot exceed current assets (%(current)s).") % {"current": current_assets})
    if assets is not None and liabilities is not None and equity is not None:
        tolerance = max(BALANCE_TOLERANCE_MIN, abs(assets) * BALANCE_TOLERANCE_SHARE)
        difference = assets - (liabilities + equity)
        if abs(difference) > tolerance:
            add("total_assets",
                _("The balance sheet does not balance: total assets %(assets)s ≠ liabilities %(liabilities)s + "
                  "equity %(equity)s (difference %(diff)s).")
                % {"assets": assets, "liabilities": liabilities, "equity": equity, "diff": difference})
    if check_duplicate and customer_id and period_end and not errors.get("period_type"):
        clash = FinancialStatement.objects.filter(
            customer_id=customer_id, period_end=period_end, period_type=data["period_type"],
            consolidated=data["consolidated"],
        )
        if exclude_pk:
            clash = clash.exclude(pk=exclude_pk)
        if clash.exists():
            add("period_end", _duplicate_message(data))
    return data, errors


def _duplicate_message(data):
    return _("A %(type)s %(scope)s statement for the period ending %(date)s already exists for this customer; "
             "edit that one instead.") % {
        "type": PeriodType(data["period_type"]).label,
        "scope": _("consolidated") if data["consolidated"] else _("parent-only"),
        "date": data["period_end"].isoformat(),
    }


def _statement_refused(errors):
    if "total_assets" in errors and any("balance" in m or "≠" in m for m in errors["total_assets"]):
        message = next(m for m in errors["total_assets"] if "≠" in m)
    else:
        field, messages = next(iter(errors.items()))
        message = messages[0]
    raise ValidationFailed(message, field_errors=errors)


def _save_statement(statement, actor, before=None):
    try:
        with transaction.atomic():
            statement.save()
    except IntegrityError as exc:
        message = _duplicate_message({"period_type": statement.period_type, "consolidated": statement.consolidated,
                                      "period_end": statement.period_end})
        raise Conflict(message, field_errors={"period_end": [message]}) from exc
    if before is None:
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=statement, after=snapshot(statement))
    else:
        audit_changes(actor=actor, obj=statement, before=before)
    publish_on_commit(EVENT_STATEMENT_SAVED, statement_id=statement.pk, customer_id=statement.customer_id)


@transaction.atomic
def statement_create(*, actor, customer: Customer, source="manual", **values) -> FinancialStatement:
    """Enter one period's statements; a bad statement is refused with every reason and nothing saved."""
    access.require(actor, "customers.add_financialstatement")
    require_visible(actor, customer)
    data, errors = validate_statement(values, customer_id=customer.pk)
    if errors:
        _statement_refused(errors)
    statement = FinancialStatement(customer=customer, created_by=actor, source=source, **data)
    _save_statement(statement, actor)
    return statement


@transaction.atomic
def statement_update(*, actor, statement: FinancialStatement, **values) -> FinancialStatement:
    access.require(actor, "customers.change_financialstatement")
    statement = FinancialStatement.objects.select_for_update().get(pk=statement.pk)
    require_visible(actor, statement.customer)
    merged = {f: getattr(statement, f) for f in STATEMENT_FIELDS}
    merged.update(values)
    data, errors = validate_statement(merged, customer_id=statement.customer_id, exclude_pk=statement.pk)
    if errors:
        _statement_refused(errors)
    before = snapshot(statement)
    for name, value in data.items():
        setattr(statement, name, value)
    _save_statement(statement, actor, before=before)
    return statement


class ImportRejected(ValidationFailed):
    """An import file with bad rows: nothing was imported; ``rows`` lists (row number, reason)."""

    def __init__(self, message, *, rows):
        self.rows = rows
        lines = [_("Row %(row)s: %(reason)s") % {"row": n, "reason": reason} if n else reason for n, reason in rows]
        super().__init__(message, field_errors={"file": lines})


@transaction.atomic
def statements_import(*, actor, customer: Customer, uploaded_file) -> list[FinancialStatement]:
    """Import statements from CSV or XLSX (the template's columns); any bad row → nothing imported."""
    access.require(actor, "customers.add_financialstatement")
    require_visible(actor, customer)
    try:
        rows = statement_io.read_rows(uploaded_file)
    except statement_io.ImportFileError as exc:
        raise ImportRejected(str(exc), rows=[(None, str(exc))]) from exc
    problems: list[tuple[int, str]] = []
    cleaned = []
    seen = {}
    for row_number, values, parse_errors in rows:
        data, errors = validate_statement(values, customer_id=customer.pk)
        for field, messages in parse_errors.items():
            errors[field] = messages  # a value that could not be read replaces the follow-up messages
        if not errors and data["period_end"]:
            key = (data["period_end"], data["period_type"], data["consolidated"])
            if key in seen:
                errors["period_end"] = [_("Same period as row %(row)s.") % {"row": seen[key]}]
            seen[key] = row_number
        if errors:
            reasons = "; ".join(
                f"{statement_io.column_label(field)}: {' '.join(str(m) for m in messages)}"
                if field != "__all__" else " ".join(str(m) for m in messages)
                for field, messages in errors.items()
            )
            problems.append((row_number, reasons))
        else:
            cleaned.append(data)
    if not rows:
        problems.append((None, _("The file has no data rows.")))
    if problems:
        raise ImportRejected(
            _("Nothing was imported: %(n)d row(s) have errors.") % {"n": len(problems)}, rows=problems)
    created = []
    for data in cleaned:
        statement = FinancialStatement(customer=customer, created_by=actor, source="import", **data)
        _save_statement(statement, actor)
        created.append(statement)
    audit_record(actor=actor, action=AuditEvent.Action.UPLOAD, obj=customer, verb="statements_import",
                 after={"file": os.path.basename(getattr(uploaded_file, "name", "") or ""),
                        "statements": [s.pk for s in created]})
    return created
