"""A customer's contacts."""
from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_changes, audit_record, snapshot
from creditportal.core import access
from creditportal.core.errors import ValidationFailed

from ..models import Contact, Customer
from ._common import require_visible, _full_clean

CONTACT_FIELDS = ["name", "position", "phone", "email", "is_primary", "notes"]


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
