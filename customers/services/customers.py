"""Customers: create, update, reassign, suspend and resume."""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_changes, audit_record, snapshot
from creditportal.core import access, clock
from creditportal.core.errors import Conflict, NotAllowed, ValidationFailed
from creditportal.core.money import CURRENCY_CODES

from ..models import (INDUSTRY_DIVISION_RANGES, Customer, CustomerGroup, CustomerSize, CustomerStatus, GroupRelation,
                      LegalForm, division_matches_section)
from ..validators import credit_code_problem, normalise_credit_code
from ._common import require_visible, _refuse, _full_clean, _decimal_or_none, _is_relationship_manager

CUSTOMER_FIELDS = [
    "name", "name_en", "credit_code", "is_foreign", "registration_number", "country", "legal_form",
    "industry_section", "industry_division", "size", "registered_capital", "registered_capital_currency",
    "established_on", "legal_representative", "address", "status", "group", "group_relation",
]


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


def _save_checked(customer: Customer):
    """Validate and save; a credit code another customer took meanwhile is a conflict."""
    _full_clean(customer)
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError as exc:
        raise Conflict(_("Another customer already has this unified social credit code."),
                       field_errors={"credit_code": _("This code is already registered.")}) from exc


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
    _save_checked(customer)
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
    _save_checked(customer)
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

SUSPENDABLE = (CustomerStatus.PROSPECT, CustomerStatus.ACTIVE)
RESUMABLE = (CustomerStatus.SUSPENDED,)


def customer_actions(user, customer: Customer) -> dict[str, bool]:
    """Which status buttons the customer's page shows (the services enforce the same rules; this only hides
    what would be refused)."""
    return {"suspend": customer.status in SUSPENDABLE and user.has_perm("customers.suspend_customer"),
            "resume": customer.status in RESUMABLE and user.has_perm("customers.resume_customer")}


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
                                   permission="customers.suspend_customer", sources=SUSPENDABLE,
                                   target=CustomerStatus.SUSPENDED, verb="suspend")


@transaction.atomic
def customer_resume(*, actor, customer: Customer, reason) -> Customer:
    """Lift a customer's suspension: only the roles with ``customers.resume_customer`` (approvers),
    whoever imposed it; who and why are audited."""
    return _customer_status_change(actor=actor, customer=customer, reason=reason,
                                   permission="customers.resume_customer", sources=RESUMABLE,
                                   target=CustomerStatus.ACTIVE, verb="resume")
