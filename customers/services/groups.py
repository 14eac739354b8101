"""Customer groups."""
from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_changes, audit_record, snapshot
from creditportal.core import access
from creditportal.core.errors import NotAllowed

from ..models import Customer, CustomerGroup
from ._common import require_visible, _refuse


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
