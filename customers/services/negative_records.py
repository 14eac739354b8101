"""A customer's negative records."""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_changes, audit_record, snapshot
from creditportal.core import access, clock
from creditportal.core.errors import ValidationFailed
from creditportal.core.events import publish_on_commit
from creditportal.core.money import CURRENCY_CODES

from .. import events
from ..models import Customer, NegativeRecord, NegativeRecordKind
from ._common import require_visible, _refuse, _full_clean, _decimal_or_none

EVENT_NEGATIVE_RECORD_ADDED = events.NEGATIVE_RECORD_ADDED

NEGATIVE_RECORD_FIELDS = ["kind", "occurred_on", "source", "amount", "currency", "description"]


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
