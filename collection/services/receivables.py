"""Invoices, payments and their allocation, claim payouts."""
from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record, snapshot
from creditportal.core import access, clock, dates, events
from creditportal.core.errors import ValidationFailed
from creditportal.core.money import to_decimal

from .. import rules
from ..models import (
    ClaimPayout,
    ClaimPayoutKind,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
)
from .aging import aging_summary_refresh
from ._common import ZERO, _amount, _check_received_on, _currency, _visible_customer
from .cases import cases_settle_paid, promises_evaluate
from .dunning import dunning_close_settled


# --- invoices ---------------------------------------------------------------------------------

INVOICE_FIELDS = ["number", "customer", "issue_date", "due_date", "amount", "currency", "status", "description"]


def _check_invoice(number, issue_date, due_date, amount, currency):
    errors = {}
    if not number or not str(number).strip():
        errors["number"] = _("Enter the invoice number.")
    if issue_date and due_date and due_date < issue_date:
        errors["due_date"] = _("The due date cannot be before the issue date.")
    if issue_date and issue_date > clock.today():
        errors["issue_date"] = _("An invoice cannot be issued in the future.")
    for field, value in (("issue_date", issue_date), ("due_date", due_date)):
        if value and not dates.is_plausible(value):
            errors[field] = dates.out_of_range_message()
    if errors:
        raise ValidationFailed(next(iter(errors.values())), field_errors=errors)
    return _amount(amount), _currency(currency)


def _facility_for(customer, facility):
    if facility is None:
        return None
    facility_id = getattr(facility, "pk", facility)
    from credit.models import Facility

    found = Facility.objects.filter(pk=facility_id, customer_id=customer.pk).first()
    if found is None:
        raise ValidationFailed(_("The facility does not belong to this customer."),
                               field_errors={"facility": _("Choose one of the customer's facilities.")})
    return found


@transaction.atomic
def invoice_create(*, actor, customer, number, issue_date, due_date, amount, currency="CNY", description="",
                   facility=None) -> Invoice:
    access.require(actor, "collection.add_invoice")
    customer = _visible_customer(actor, customer)
    amount, currency = _check_invoice(number, issue_date, due_date, amount, currency)
    number = str(number).strip()
    if Invoice.objects.filter(number=number).exists():
        raise ValidationFailed(_("An invoice with this number already exists."),
                               field_errors={"number": _("This number is taken.")})
    invoice = Invoice(number=number, customer=customer, issue_date=issue_date, due_date=due_date, amount=amount,
                      currency=currency, description=description, created_by=actor)
    if facility is not None:
        invoice.facility = _facility_for(customer, facility)
    invoice.save()
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=invoice, after=snapshot(invoice))
    aging_summary_refresh(customer_ids=[customer.pk])
    return invoice


# --- payments and allocation ------------------------------------------------------------------

ALLOCATION_MESSAGES = {
    "not_positive": lambda: _("The payment amount must be greater than zero."),
    "line_not_positive": lambda: _("Each allocated amount must be greater than zero."),
    "duplicate_invoice": lambda: _("An invoice is listed twice in the allocation."),
    "unknown_invoice": lambda: _("The invoice does not exist or is not open."),
    "other_customer": lambda: _("The invoice belongs to another customer; a payment can only settle its own "
                                "customer's invoices."),
    "other_currency": lambda: _("The invoice is in another currency than the payment."),
    "over_invoice": lambda: _("The allocation exceeds what the invoice still owes."),
    "over_payment": lambda: _("The allocations together exceed the payment."),
}


def _allocation_error(error: rules.AllocationError, numbers: dict) -> ValidationFailed:
    message = ALLOCATION_MESSAGES[error.code]()
    if error.item_id is not None and error.item_id in numbers:
        message = f"{numbers[error.item_id]}: {message}"
    return ValidationFailed(message, code=error.code, field_errors={"allocations": message})


def _apply_allocations(*, payment, lines, invoices_by_id, received_on):
    """Write the allocation rows and move each invoice's paid total (invoices are locked by the caller)."""
    rows = []
    for invoice_id, share in lines:
        invoice = invoices_by_id[invoice_id]
        invoice.paid_amount += share
        if invoice.outstanding == ZERO:
            invoice.settle()
            invoice.paid_on = received_on
        invoice.save(update_fields=["paid_amount", "status", "paid_on"])
        rows.append(PaymentAllocation(payment=payment, invoice=invoice, amount=share))
    PaymentAllocation.objects.bulk_create(rows)
    payment.allocated_amount = sum((share for _id, share in lines), ZERO)
    payment.save(update_fields=["allocated_amount"])


@transaction.atomic
def payment_post(*, actor, customer, amount, received_on, currency="CNY", reference="", allocations=None,
                 case=None) -> Payment:
    """Record a payment and allocate it: oldest due first by default, or as ``allocations`` says.

    ``allocations`` is ``[(invoice id, amount)]``. Over-allocation, a negative amount, an invoice of another
    customer or currency are refused and nothing is saved. Whatever is not allocated stays on the payment
    (an unapplied cash balance). Publishes ``collection.payment_posted`` after commit.
    """
    access.require(actor, "collection.add_payment")
    customer = _visible_customer(actor, customer)
    amount, currency = _amount(amount), _currency(currency)
    if received_on is None:
        raise ValidationFailed(_("Enter the date received."), field_errors={"received_on": _("Required.")})
    _check_received_on(received_on)
    explicit = allocations is not None and len(allocations) > 0
    if explicit:
        try:
            lines = [(int(getattr(inv, "pk", inv)), to_decimal(share)) for inv, share in allocations]
        except (TypeError, ValueError) as exc:
            raise ValidationFailed(_("The allocation is not valid."), field_errors={"allocations": str(exc)}) from exc
        ids = [i for i, _s in lines]
        # Lock every named invoice (any customer, to tell "other customer" from "unknown").
        locked = list(Invoice.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    else:
        locked = list(Invoice.objects.select_for_update().filter(customer=customer, currency=currency,
                                                                 status=InvoiceStatus.OPEN).order_by("pk"))
    invoices_by_id = {inv.pk: inv for inv in locked}
    numbers = {inv.pk: inv.number for inv in locked}
    items = {inv.pk: rules.OpenItem(inv.pk, inv.due_date, inv.issue_date, inv.outstanding, inv.customer_id,
                                    inv.currency)
             for inv in locked if inv.status == InvoiceStatus.OPEN}
    try:
        if explicit:
            rules.check_explicit_allocation(amount, lines, items, customer_id=customer.pk, currency=currency)
        else:
            lines, _rest = rules.allocate_oldest_first(amount, list(items.values()))
    except rules.AllocationError as error:
        raise _allocation_error(error, numbers) from None
    payment = Payment.objects.create(customer=customer, received_on=received_on, amount=amount, currency=currency,
                                     reference=reference, case=case, created_by=actor)
    _apply_allocations(payment=payment, lines=lines, invoices_by_id=invoices_by_id, received_on=received_on)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=payment,
                 after={**snapshot(payment), "allocations": [[i, s] for i, s in lines]})
    _after_payment(customer_ids=[customer.pk], as_of=clock.today())
    aging_summary_refresh(customer_ids=[customer.pk])
    events.publish_on_commit("collection.payment_posted", payment_id=payment.pk, customer_id=customer.pk)
    return payment


def _after_payment(*, customer_ids, as_of):
    """What a payment settles at once: kept promises, fully paid cases, dunning of paid customers."""
    promises_evaluate(customer_ids=customer_ids, as_of=as_of, detect_broken=False)
    cases_settle_paid(customer_ids=customer_ids)
    dunning_close_settled(customer_ids=customer_ids, as_of=as_of)


@transaction.atomic
def claim_payout_create(*, actor, customer, amount, paid_on, reason, currency="CNY", kind=ClaimPayoutKind.CLAIM,
                        invoice=None) -> ClaimPayout:
    access.require(actor, "collection.add_claimpayout")
    customer = _visible_customer(actor, customer)
    amount, currency = _amount(amount), _currency(currency)
    if not reason or not reason.strip():
        raise ValidationFailed(_("Give the reason of the claim."), field_errors={"reason": _("Required.")})
    if kind not in ClaimPayoutKind.values:
        raise ValidationFailed(_("Unknown kind."), field_errors={"kind": _("Choose a listed kind.")})
    dates.require_plausible(paid_on, "paid_on")
    if invoice is not None:
        invoice_id = getattr(invoice, "pk", invoice)
        invoice = Invoice.objects.filter(pk=invoice_id, customer=customer).first()
        if invoice is None:
            raise ValidationFailed(_("The invoice belongs to another customer."),
                                   field_errors={"invoice": _("Choose an invoice of this customer.")})
    claim = ClaimPayout.objects.create(customer=customer, amount=amount, currency=currency, paid_on=paid_on,
                                       reason=reason.strip(), kind=kind, invoice=invoice, created_by=actor)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=claim, after=snapshot(claim))
    aging_summary_refresh(customer_ids=[customer.pk])  # no invoice moves today; kept in step all the same
    return claim


