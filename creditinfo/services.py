"""Every write of the creditinfo app: importing outside information, opening an import's file, confirming a
suggested group (through the customers app's group services)."""
from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record, audited_download
from creditportal.core import access, clock
from creditportal.core.canonical import sha256_of
from creditportal.core.errors import NotAllowed, ValidationFailed
from creditportal.core.events import publish_on_commit
from customers.models import Customer, CustomerDocument, CustomerGroup, GroupRelation
from customers.services import customer_update, group_create, require_visible
from customers.services.documents import _delete_file_unless_committed

from . import rules
from .adapters import ADAPTERS, AdapterError
from .events import IMPORT_APPLIED
from .models import (AdministrativePenalty, CourtRecord, CreditReport, CreditReportLoan, OutsideChange, OutsideImport,
                     Pledge, Registration, Shareholder, TaxRating)
from .validation import ImportRefused, clean

RECORD_MODELS = {rules.REGISTRATION: Registration, rules.COURT: CourtRecord, rules.PENALTY: AdministrativePenalty,
                 rules.TAX: TaxRating, rules.PLEDGE: Pledge, rules.CREDIT_REPORT: CreditReport}


def _read_upload(uploaded_file) -> tuple[str, bytes]:
    name = (getattr(uploaded_file, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1]
    if not name or name.startswith(".") or len(name) > 200 or any(ord(c) < 32 for c in name):
        raise ValidationFailed(_("The file name must be a plain name, e.g. outside.json."),
                               field_errors={"file": [_("The file name must be a plain name, e.g. outside.json.")]})
    uploaded_file.seek(0)
    data = uploaded_file.read()
    if not data:
        raise ValidationFailed(_("The file is empty."), field_errors={"file": [_("The file is empty.")]})
    return name, data


def _previous_imports(customer, kinds) -> dict:
    """{kind: the import in force for it} among the customer's imports (one query)."""
    result = {}
    for previous in OutsideImport.objects.filter(customer=customer).order_by("-as_of", "-id"):
        for kind in previous.kinds:
            if kind in kinds and kind not in result:
                result[kind] = previous
    return result


def _common(imp, kind):
    return {"customer_id": imp.customer_id, "outside_import": imp, "source": imp.source, "as_of": imp.as_of,
            "document": imp.document}


def _store_records(imp, kind, section) -> int:
    base = _common(imp, kind)
    if kind == rules.REGISTRATION:
        registration = Registration.objects.create(
            **base, status=section["status"], registered_capital=section["registered_capital"],
            paid_in_capital=section["paid_in_capital"], currency=section["currency"],
            legal_representative=section["legal_representative"], actual_controller=section["actual_controller"],
            controller_key=rules.name_key(section["actual_controller"]), changes=section["changes"])
        Shareholder.objects.bulk_create([
            Shareholder(registration=registration, name=s["name"], name_key=rules.name_key(s["name"]),
                        share=Decimal(s["share"])) for s in section["shareholders"]])
        return 1
    if kind == rules.CREDIT_REPORT:
        report = CreditReport.objects.create(
            **base, report_date=section["report_date"], currency=section["currency"],
            overdue_amount=section["overdue_amount"], guarantees_given=section["guarantees_given"],
            queries_3m=section["queries_3m"])
        CreditReportLoan.objects.bulk_create([CreditReportLoan(report=report, **loan) for loan in section["loans"]])
        return 1
    model = RECORD_MODELS[kind]
    model.objects.bulk_create([model(**base, **row) for row in section])
    return len(section)


@transaction.atomic
def outside_import(*, actor, customer: Customer, uploaded_file, adapter: str = "portal",
                   document: CustomerDocument | None = None) -> OutsideImport:
    """Read, check and store a file of outside information for ``customer``; its records replace those in force
    for the kinds it covers, and the changes against them are kept and published (monitoring's warning rules).
    A bad file imports nothing and names the row."""
    access.require(actor, "creditinfo.add_outsideimport")
    require_visible(actor, customer)
    reader = ADAPTERS.get(adapter)
    if reader is None:
        raise ValidationFailed(_("Choose a format from the list."), field_errors={"adapter": [_("Choose a format from the list.")]})
    if document is not None and document.customer_id != customer.pk:
        raise ValidationFailed(_("The evidence document belongs to another customer."),
                               field_errors={"document": [_("The evidence document belongs to another customer.")]})
    name, data = _read_upload(uploaded_file)
    try:
        raw = reader.read(data, name)
    except AdapterError as exc:
        raise ImportRefused(exc.message, row=exc.locator) from None
    cleaned = clean(raw)
    kinds = [kind for kind in rules.KINDS if kind in cleaned]
    customer = Customer.objects.select_for_update().get(pk=customer.pk)  # one import of a customer at a time
    previous = _previous_imports(customer, kinds)
    for kind, prior in previous.items():
        if prior.as_of.isoformat() > cleaned["as_of"]:
            raise ImportRefused(_("the information is as of %(date)s, older than the information in force "
                                  "(as of %(in_force)s, import %(id)s).")
                                % {"date": cleaned["as_of"], "in_force": prior.as_of, "id": prior.pk}, row=_("the file"))
    imp = OutsideImport(customer=customer, source=cleaned["source"], adapter=reader.code,
                        as_of=dt.date.fromisoformat(cleaned["as_of"]),
                        kinds=kinds, original_name=name, file_sha256=hashlib.sha256(data).hexdigest(),
                        content=cleaned, content_sha256=sha256_of(cleaned), document=document, imported_by=actor)
    imp.file.save(name, ContentFile(data), save=False)
    _delete_file_unless_committed(imp.file.storage, imp.file.name)
    imp.save()
    count = 0
    found = []
    for kind in kinds:
        RECORD_MODELS[kind].objects.filter(customer=customer, is_current=True).update(is_current=False)
        count += _store_records(imp, kind, cleaned[kind])
        prior = previous.get(kind)
        found += rules.diff(kind, prior.content.get(kind) if prior else None, cleaned[kind])
    imp.record_count = count
    imp.save(update_fields=["record_count"])
    today = clock.today()
    changes = OutsideChange.objects.bulk_create([
        OutsideChange(customer=customer, outside_import=imp, kind=c.kind, detected_on=today, detail=c.detail)
        for c in found])
    audit_record(actor=actor, action=AuditEvent.Action.UPLOAD, obj=imp, after={
        "customer": customer.pk, "source": imp.source, "as_of": imp.as_of.isoformat(), "format": imp.adapter,
        "kinds": kinds, "file": name, "file_sha256": imp.file_sha256, "content_sha256": imp.content_sha256,
        "records": count, "changes": [{"kind": c.kind, **c.detail} for c in found],
        "replaces": {kind: prior.pk for kind, prior in previous.items()}})
    publish_on_commit(IMPORT_APPLIED, import_id=imp.pk, customer_id=customer.pk, change_ids=[c.pk for c in changes])
    return imp


def outside_import_open(*, actor, outside_import: OutsideImport):
    """The stored file of an import, for download (audited)."""
    return audited_download(actor=actor, obj=outside_import, permission="creditinfo.view_outsideimport",
                            file=outside_import.file, name=outside_import.original_name,
                            sha256=outside_import.file_sha256)


@transaction.atomic
def group_suggestion_confirm(*, actor, customers, group: CustomerGroup | None = None, name: str = "",
                             relation: str = GroupRelation.COMMON_CONTROL) -> CustomerGroup:
    """A relationship manager confirms a suggested group: the customers join ``group`` (or a new group named
    ``name``) through the customers app's services (each audited there). Nothing is grouped without this."""
    access.require(actor, "customers.change_customer")
    customers = list(customers)
    if len(customers) < 2:
        raise ValidationFailed(_("Choose at least two customers to group."),
                               field_errors={"customers": [_("Choose at least two customers to group.")]})
    for customer in customers:
        require_visible(actor, customer)
    if group is None:
        group = group_create(actor=actor, name=name)
    elif not CustomerGroup.objects.visible_to(actor).filter(pk=group.pk).exists():
        raise NotAllowed(_("This group holds no customer of your portfolio."))
    for customer in customers:
        if customer.group_id != group.pk:
            customer_update(actor=actor, customer=customer, group=group, group_relation=relation)
    return group
