"""Every write of the collection app: receivables, imports, dunning, cases, promises, write-offs.

Services take keyword-only arguments with an explicit ``actor``, run in one transaction, check the
permission with ``access.require``, write the audit trail in the same transaction and send side effects
(mail, PDFs, other apps' reactions) only after commit.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from accounts.system import system_user
from audit.models import AuditEvent
from audit.services import audit_record, audit_record_many, snapshot
from creditportal.core import access, clock, dates, events
from creditportal.core.errors import Conflict, NotAllowed, ValidationFailed
from creditportal.core.money import CURRENCY_CODES, MissingRate, RateTable, to_decimal
from creditportal.core.tasks import enqueue, enqueue_many
from customers.models import Customer
from proposals import registry as proposals_registry
from proposals import services as proposals

from . import rules
from .models import (
    ACTIVE_CASE_STATES,
    ESCALATION_KINDS,
    CaseState,
    ClaimPayout,
    ClaimPayoutKind,
    CollectionActivity,
    CollectionCase,
    DunningAction,
    DunningActionKind,
    DUNNING_LEVEL_FIELDS,
    DUNNING_POLICY_FIELDS,
    DunningChangeKind,
    DunningLevel,
    DunningPolicy,
    DunningPolicyChange,
    EscalationChannel,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PromiseState,
    PromiseToPay,
    WriteOff,
    WriteOffItem,
    WriteOffState,
)

User = get_user_model()
ZERO = Decimal("0")
COLLECTOR_GROUP = access.COLLECTOR


# --- helpers ----------------------------------------------------------------------------------

def _amount(value, field_name="amount") -> Decimal:
    try:
        amount = to_decimal(value)
    except ValueError as exc:
        raise ValidationFailed(_("Enter a valid amount."), field_errors={field_name: _("Enter a number.")}) from exc
    if amount <= ZERO:
        raise ValidationFailed(_("The amount must be greater than zero."),
                               field_errors={field_name: _("Must be greater than zero.")})
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed(_("Amounts have at most two decimals."),
                               field_errors={field_name: _("At most two decimals.")})
    return amount


def _currency(code, field_name="currency") -> str:
    if code not in CURRENCY_CODES:
        raise ValidationFailed(_("Unknown currency."), field_errors={field_name: _("Choose a listed currency.")})
    return code


def _visible_customer(actor, customer) -> Customer:
    customer_id = getattr(customer, "pk", customer)
    found = Customer.objects.visible_to(actor).filter(pk=customer_id).first()
    if found is None:
        raise NotAllowed(_("This customer is not in your portfolio."))
    return found


def _visible_case(actor, case) -> CollectionCase:
    if not CollectionCase.objects.visible_to(actor).filter(pk=case.pk).exists():
        raise NotAllowed(_("This case is not in your portfolio."))
    return case


def _locked_case(case) -> CollectionCase:
    return CollectionCase.objects.select_for_update().get(pk=case.pk)


def _case_state(case) -> dict:
    return snapshot(case, fields=["state", "assigned_to", "escalation_channel", "closed_on", "next_action_on",
                                  "broken_promises"])


def _transition_case(*, actor, case, name, verb=None, **changes) -> CollectionCase:
    """Lock ``case``, run transition ``name`` (409 when not allowed from its current state), save, audit."""
    from django_fsm import can_proceed

    locked = _locked_case(case)
    method = getattr(locked, name)
    if not can_proceed(method):
        raise Conflict(_("This action is not allowed while the case is “%(state)s”.")
                       % {"state": locked.get_state_display()})
    before = _case_state(locked)
    method()
    for key, value in changes.items():
        setattr(locked, key, value)
    locked.save()
    audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=locked, verb=verb or name,
                 before=before, after=_case_state(locked))
    return locked


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
    dates.require_plausible(received_on, "received_on")
    if received_on > clock.today():
        raise ValidationFailed(_("A payment cannot be received in the future."),
                               field_errors={"received_on": _("Not after today.")})
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
    return claim


# --- CSV imports ------------------------------------------------------------------------------

INVOICE_COLUMNS = ["number", "customer_id", "issue_date", "due_date", "amount", "currency"]
PAYMENT_COLUMNS = ["customer_id", "received_on", "amount", "currency", "reference", "invoice_number"]


@dataclass
class ImportResult:
    created: int = 0
    errors: list = field(default_factory=list)  # [(row number, message)]


class ImportRefused(ValidationFailed):
    def __init__(self, errors):
        self.rows = errors
        lines = "; ".join(_("row %(row)s: %(msg)s") % {"row": r, "msg": m} for r, m in errors[:50])
        super().__init__(_("Nothing was imported: %(n)s bad row(s). %(lines)s") % {"n": len(errors), "lines": lines},
                         code="import_refused",
                         field_errors={"file": [_("row %(row)s: %(msg)s") % {"row": r, "msg": m} for r, m in errors]})


def _read_csv(content, required_columns):
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationFailed(_("The file is not UTF-8 text."), field_errors={"file": _("Use UTF-8 CSV.")}) from exc
    if "\x00" in content:  # a NUL byte cannot be stored in PostgreSQL text: refuse the file, not a 500
        raise ValidationFailed(_("The file is not UTF-8 text."), field_errors={"file": _("Use UTF-8 CSV.")})
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in required_columns if c not in header]
        if missing:
            raise ValidationFailed(_("Missing column(s): %(cols)s") % {"cols": ", ".join(missing)},
                                   field_errors={"file": _("Columns needed: %(cols)s") % {"cols": ", ".join(required_columns)}})
        rows = list(reader)
    except csv.Error as exc:  # e.g. a bare carriage return inside an unquoted field
        raise ValidationFailed(_("The file is not a CSV file."), field_errors={"file": _("Use UTF-8 CSV.")}) from exc
    if any(None in row for row in rows):  # more cells than the header has columns
        raise ValidationFailed(_("A row has more cells than the header has columns."),
                               field_errors={"file": _("Use UTF-8 CSV.")})
    rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in rows]
    if not rows:
        raise ValidationFailed(_("The file has no rows."), field_errors={"file": _("The file is empty.")})
    return rows


def _parse_date(text):
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _is_id(value) -> bool:
    """A customer id in an import file: ASCII digits only ('²' and other Unicode digits pass ``isdigit``
    but not ``int``)."""
    return value.isascii() and value.isdigit()


def _import_customers(actor, rows) -> dict:
    """The customers an import file names in its ``customer_id`` column, by the portal's id or by the unified
    social credit code (what a bank statement or an ERP export carries): {cell: customer id}, only the
    customers ``actor`` may see (one query)."""
    cells = {r["customer_id"] for r in rows if r["customer_id"]}
    ids = [int(c) for c in cells if _is_id(c)]
    codes = [c.upper() for c in cells if len(c) == 18]
    found = (Customer.objects.visible_to(actor).filter(Q(pk__in=ids) | Q(credit_code__in=codes))
             .values_list("pk", "credit_code"))
    by_id = {str(pk): pk for pk, _code in found}
    by_code = {code: pk for pk, code in found if code}
    return {c: by_id[c] if _is_id(c) and c in by_id else by_code.get(c.upper()) for c in cells
            if (c in by_id) or (c.upper() in by_code)}


def _import_amount_and_currency(row, problems):
    """The ``amount`` and ``currency`` cells of an import row: (amount or None, currency); each problem is
    appended to ``problems``."""
    try:
        amount = to_decimal(row["amount"])
    except ValueError:
        amount = None
        problems.append(_("amount is not a number"))
    else:
        if amount <= ZERO:
            problems.append(_("amount must be greater than zero"))
        elif amount != amount.quantize(Decimal("0.01")):
            problems.append(_("amount has more than two decimals"))
    currency = row["currency"] or "CNY"
    if currency not in CURRENCY_CODES:
        problems.append(_("unknown currency %(c)s") % {"c": currency})
    return amount, currency


@transaction.atomic
def invoices_import(*, actor, content) -> ImportResult:
    """Import invoices from CSV (columns ``INVOICE_COLUMNS``): any bad row → nothing imported, every bad row listed."""
    access.require(actor, "collection.add_invoice")
    rows = _read_csv(content, INVOICE_COLUMNS)
    customers = _import_customers(actor, rows)
    numbers = [r["number"] for r in rows]
    taken = set(Invoice.objects.filter(number__in=numbers).values_list("number", flat=True))
    errors, seen, objects = [], set(), []
    today = clock.today()
    for index, row in enumerate(rows, start=2):
        problems = []
        number = row["number"]
        if not number:
            problems.append(_("invoice number missing"))
        elif number in taken:
            problems.append(_("invoice number %(n)s already exists") % {"n": number})
        elif number in seen:
            problems.append(_("invoice number %(n)s appears twice in the file") % {"n": number})
        seen.add(number)
        customer_id = customers.get(row["customer_id"])
        if customer_id is None:
            problems.append(_("unknown customer or not in your portfolio"))
        issue, due = _parse_date(row["issue_date"]), _parse_date(row["due_date"])
        if issue is None:
            problems.append(_("issue date is not a date (YYYY-MM-DD)"))
        if due is None:
            problems.append(_("due date is not a date (YYYY-MM-DD)"))
        if issue and due and due < issue:
            problems.append(_("due date before issue date"))
        if issue and issue > today:
            problems.append(_("issue date after today"))
        amount, currency = _import_amount_and_currency(row, problems)
        if problems:
            errors.append((index, "; ".join(str(p) for p in problems)))
            continue
        objects.append(Invoice(number=number, customer_id=customer_id, issue_date=issue, due_date=due,
                               amount=amount, currency=currency, created_by=actor))
    if errors:
        raise ImportRefused(errors)
    Invoice.objects.bulk_create(objects, batch_size=1000)
    audit_record(actor=actor, action=AuditEvent.Action.UPLOAD, verb="invoices_import",
                 object_type="collection.invoice", object_repr=_("invoice import"),
                 after={"count": len(objects), "numbers": [o.number for o in objects][:1000]})
    return ImportResult(created=len(objects))


@transaction.atomic
def payments_import(*, actor, content) -> ImportResult:
    """Import payments from CSV (columns ``PAYMENT_COLUMNS``; ``invoice_number`` optional: empty = oldest first).

    Every row is checked first (customer, date, amount, currency, invoice of the same customer, what is
    still owed given the rows above it); any bad row → nothing imported, every bad row listed.
    """
    access.require(actor, "collection.add_payment")
    rows = _read_csv(content, PAYMENT_COLUMNS[:4])
    customers = _import_customers(actor, rows)
    invoice_numbers = [r.get("invoice_number", "") for r in rows if r.get("invoice_number")]
    invoices = {inv.number: inv for inv in Invoice.objects.filter(number__in=invoice_numbers)}
    owed = {inv.number: inv.outstanding for inv in invoices.values()}
    errors, good = [], []
    today = clock.today()
    for index, row in enumerate(rows, start=2):
        problems = []
        customer_id = customers.get(row["customer_id"])
        if customer_id is None:
            problems.append(_("unknown customer or not in your portfolio"))
        received = _parse_date(row["received_on"])
        if received is None:
            problems.append(_("date received is not a date (YYYY-MM-DD)"))
        elif received > today:
            problems.append(_("date received is in the future"))
        amount, currency = _import_amount_and_currency(row, problems)
        number = row.get("invoice_number", "")
        if number:
            invoice = invoices.get(number)
            if invoice is None or invoice.status != InvoiceStatus.OPEN:
                problems.append(_("invoice %(n)s does not exist or is not open") % {"n": number})
            else:
                if customer_id is not None and invoice.customer_id != customer_id:
                    problems.append(_("invoice %(n)s belongs to another customer") % {"n": number})
                if invoice.currency != currency:
                    problems.append(_("invoice %(n)s is in another currency") % {"n": number})
                if amount is not None and amount > owed[number]:
                    problems.append(_("amount exceeds what invoice %(n)s still owes") % {"n": number})
                elif amount is not None and not problems:
                    owed[number] -= amount
        if problems:
            errors.append((index, "; ".join(str(p) for p in problems)))
            continue
        good.append((customer_id, received, amount, currency, row.get("reference", ""), number))
    if errors:
        raise ImportRefused(errors)
    customers = {c.pk: c for c in Customer.objects.filter(pk__in={g[0] for g in good})}
    for customer_id, received, amount, currency, reference, number in good:
        allocations = [(invoices[number].pk, amount)] if number else None
        payment_post(actor=actor, customer=customers[customer_id], amount=amount, received_on=received,
                     currency=currency, reference=reference, allocations=allocations)
    audit_record(actor=actor, action=AuditEvent.Action.UPLOAD, verb="payments_import",
                 object_type="collection.payment", object_repr=_("payment import"), after={"count": len(good)})
    return ImportResult(created=len(good))


# --- dunning policy (risk admin) --------------------------------------------------------------

POLICY_FIELDS = DUNNING_POLICY_FIELDS
LEVEL_FIELDS = DUNNING_LEVEL_FIELDS
_DECIMAL_POLICY_FIELDS = {"small_amount_tolerance", "late_fee_daily_rate"}


def _check_policy_values(values):
    for field in _DECIMAL_POLICY_FIELDS:
        if field in values and values[field] is not None:
            try:
                values[field] = to_decimal(values[field])
            except ValueError:
                raise ValidationFailed(_("Enter a number."), field_errors={field: _("Enter a number.")})
    rate = values.get("late_fee_daily_rate")
    if rate is not None and not (ZERO <= rate < Decimal("0.01")):
        raise ValidationFailed(_("The daily rate must be between 0 and 1% a day."),
                               field_errors={"late_fee_daily_rate": _("Between 0 and 0.01.")})
    tolerance = values.get("small_amount_tolerance")
    if tolerance is not None and tolerance < ZERO:
        raise ValidationFailed(_("The tolerance cannot be negative."),
                               field_errors={"small_amount_tolerance": _("Not negative.")})


def _check_policy_name(name, policy=None):
    if not name:
        raise ValidationFailed(_("Give the policy a name."), field_errors={"name": _("Required.")})
    if DunningPolicy.objects.filter(name=name).exclude(pk=getattr(policy, "pk", None)).exists():
        raise ValidationFailed(_("A policy with this name exists."), field_errors={"name": _("Choose another name.")})


def _check_level(policy, level, order, days_past_due, action):
    if action not in DunningActionKind.values:
        raise ValidationFailed(_("Unknown action."), field_errors={"action": _("Choose a listed action.")})
    others = DunningLevel.objects.filter(policy=policy).exclude(pk=getattr(level, "pk", None))
    if others.filter(order=order).exists():
        raise ValidationFailed(_("Another level has this order."), field_errors={"order": _("Already used.")})
    if others.filter(days_past_due=days_past_due).exists():
        raise ValidationFailed(_("Another level starts at this number of days."),
                               field_errors={"days_past_due": _("Already used.")})
    # Levels must rise with their order: a higher level needs more days past due.
    if others.filter(order__lt=order, days_past_due__gt=days_past_due).exists() or \
            others.filter(order__gt=order, days_past_due__lt=days_past_due).exists():
        raise ValidationFailed(_("A higher level must start at more days past due than a lower one."),
                               field_errors={"days_past_due": _("Out of order with the other levels.")})


def _dunning_json(value):
    return format(value, "f") if isinstance(value, Decimal) else value


def _deactivate_others(policy):
    DunningPolicy.objects.filter(is_active=True).exclude(pk=policy.pk).update(is_active=False)


def pending_dunning_changes():
    """Proposed changes of the dunning configuration waiting for a second risk administrator, oldest first."""
    return proposals.pending(DunningPolicyChange).select_related("policy", "level")


def _create_dunning_change(actor, *, key, **data) -> DunningPolicyChange:
    return proposals.change_propose(actor=actor, model=DunningPolicyChange, key=key, **data)


@transaction.atomic
def dunning_policy_propose(*, actor, policy=None, **values) -> DunningPolicyChange:
    """Propose a new dunning policy (``policy=None``) or a change of one, activating it included. Four-eyes:
    nothing takes effect until another risk administrator approves it (``dunning_change_approve``)."""
    values = {k: v for k, v in values.items() if k in POLICY_FIELDS}
    _check_policy_values(values)
    if policy is None:
        access.require(actor, "collection.add_dunningpolicy")
        blank = DunningPolicy()
        values = {field: values.get(field, getattr(blank, field)) for field in POLICY_FIELDS}
        _check_policy_name(values["name"])
        return _create_dunning_change(actor, key=f"new-{values['name']}"[:120], kind=DunningChangeKind.POLICY_CREATE,
                                      values={k: _dunning_json(v) for k, v in values.items()})
    access.require(actor, "collection.change_dunningpolicy")
    policy = DunningPolicy.objects.select_for_update().get(pk=policy.pk)
    changed = {k: v for k, v in values.items() if v != getattr(policy, k)}
    if not changed:
        raise ValidationFailed(_("This is the policy in force; nothing to change."))
    if "name" in changed:
        _check_policy_name(changed["name"], policy)
    return _create_dunning_change(actor, key=f"policy-{policy.pk}", kind=DunningChangeKind.POLICY_UPDATE,
                                  policy=policy, values={k: _dunning_json(v) for k, v in changed.items()},
                                  previous={k: _dunning_json(getattr(policy, k)) for k in changed})


@transaction.atomic
def dunning_level_propose(*, actor, policy, level=None, delete=False, **values) -> DunningPolicyChange:
    """Propose a new level of ``policy``, a change of ``level`` or (``delete=True``) its removal; it takes effect
    when another risk administrator approves it."""
    access.require(actor, "collection.change_dunningpolicy")
    policy = DunningPolicy.objects.select_for_update().get(pk=policy.pk)
    if level is not None:
        level = DunningLevel.objects.get(pk=level.pk, policy=policy)
    if delete:
        if level is None:
            raise ValidationFailed(_("Choose the level to remove."))
        if level.actions.exists():
            raise Conflict(_("This level has dunning actions; it cannot be deleted."))
        return _create_dunning_change(actor, key=f"policy-{policy.pk}", kind=DunningChangeKind.LEVEL_DELETE,
                                      policy=policy, level=level,
                                      previous={k: getattr(level, k) for k in LEVEL_FIELDS})
    values = {k: v for k, v in values.items() if k in LEVEL_FIELDS}
    if level is not None:
        values = {**{k: getattr(level, k) for k in LEVEL_FIELDS}, **values}
    missing = {k: _("Required.") for k in LEVEL_FIELDS if values.get(k) in (None, "")}
    if missing:
        raise ValidationFailed(_("Please correct the level."), field_errors=missing)
    _check_level(policy, level, values["order"], values["days_past_due"], values["action"])
    if level is None:
        return _create_dunning_change(actor, key=f"policy-{policy.pk}", kind=DunningChangeKind.LEVEL_CREATE,
                                      policy=policy, values=values)
    changed = {k: v for k, v in values.items() if v != getattr(level, k)}
    if not changed:
        raise ValidationFailed(_("This is the level in force; nothing to change."))
    return _create_dunning_change(actor, key=f"policy-{policy.pk}", kind=DunningChangeKind.LEVEL_UPDATE,
                                  policy=policy, level=level, values=changed,
                                  previous={k: getattr(level, k) for k in changed})


def _dunning_change_permission(change) -> str:
    return ("collection.add_dunningpolicy" if change.kind == DunningChangeKind.POLICY_CREATE
            else "collection.change_dunningpolicy")


def _stale_conflict():
    return Conflict(_("The dunning policy was changed after this proposal; reject it and propose again."))


def _apply_policy(actor, change):
    values = dict(change.values)
    _check_policy_values(values)
    if change.kind == DunningChangeKind.POLICY_CREATE:
        _check_policy_name(values["name"])
        policy = DunningPolicy(updated_by=actor, **values)
        if policy.is_active:
            _deactivate_others(policy)
        policy.save()
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=policy, after=snapshot(policy))
        return policy
    policy = DunningPolicy.objects.select_for_update().get(pk=change.policy_id)
    if any(_dunning_json(getattr(policy, k)) != v for k, v in change.previous.items()):
        raise _stale_conflict()
    if "name" in values:
        _check_policy_name(values["name"], policy)
    before = snapshot(policy)
    for key, value in values.items():
        setattr(policy, key, value)
    policy.updated_by = actor
    if policy.is_active:
        _deactivate_others(policy)
    policy.save()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=policy, before=before, after=snapshot(policy))
    return policy


def _apply_level(actor, change):
    policy = DunningPolicy.objects.select_for_update().get(pk=change.policy_id)
    level = None
    if change.kind != DunningChangeKind.LEVEL_CREATE:
        level = DunningLevel.objects.select_for_update().filter(pk=change.level_id, policy=policy).first()
        if level is None or any(getattr(level, k) != v for k, v in change.previous.items()):
            raise _stale_conflict()
    if change.kind == DunningChangeKind.LEVEL_DELETE:
        if level.actions.exists():
            raise Conflict(_("This level has dunning actions; it cannot be deleted."))
        audit_record(actor=actor, action=AuditEvent.Action.DELETE, obj=level, before=snapshot(level))
        level.delete()
        change.level = None  # gone; ``previous`` keeps what it was
        return policy
    values = {**({k: getattr(level, k) for k in LEVEL_FIELDS} if level else {}), **change.values}
    _check_level(policy, level, values["order"], values["days_past_due"], values["action"])
    before = snapshot(level) if level else None
    level = level or DunningLevel(policy=policy)
    for key in LEVEL_FIELDS:
        setattr(level, key, values[key])
    level.save()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE if before else AuditEvent.Action.CREATE,
                 obj=level, before=before, after=snapshot(level))
    if change.kind == DunningChangeKind.LEVEL_CREATE:
        change.level = level
    return policy


def _apply_dunning_change(actor, change) -> DunningPolicy:
    """Put an approved dunning change in force (called by ``proposals.services.change_approve``)."""
    policy = _apply_level(actor, change) if change.is_level_change else _apply_policy(actor, change)
    change.policy = policy
    return policy


def _dunning_change_title(change) -> str:
    title = str(change.get_kind_display()).capitalize()
    if change.policy_id:
        title += f": {change.policy.name}"
    if change.level_id and change.level is not None:
        title += f" · {change.level}"
    return title


def _dunning_change_rows(change):
    from .selectors import dunning_change_rows

    return dunning_change_rows(change)


proposals_registry.register(proposals_registry.ChangeKind(
    slug=DunningPolicyChange.change_slug, model=DunningPolicyChange, apply=_apply_dunning_change,
    permission=_dunning_change_permission, title=_dunning_change_title, rows=_dunning_change_rows,
    audit_extra=lambda change: {"policy_id": change.policy_id, "level_id": change.level_id},
    messages={"open": gettext_lazy("A change of this dunning policy is already waiting for approval.")}))


def dunning_change_approve(*, actor, change, note="") -> DunningPolicy:
    """A second risk administrator puts the proposed dunning configuration in force; the next run uses it."""
    return proposals.change_approve(actor=actor, change=change, note=note)


def dunning_change_reject(*, actor, change, note="") -> DunningPolicyChange:
    """A second risk administrator turns the proposal down, with the reason; the configuration stays."""
    return proposals.change_reject(actor=actor, change=change, note=note)


# --- dunning run ------------------------------------------------------------------------------

def active_policy():
    return DunningPolicy.objects.filter(is_active=True).prefetch_related("levels").first()


def _least_loaded_collectors():
    """Active collectors ordered by their number of active cases (fewest first), in one query."""
    return list(
        User.objects.filter(groups__name=COLLECTOR_GROUP, is_active=True)
        .annotate(load=Count("collection_cases", filter=Q(collection_cases__state__in=ACTIVE_CASE_STATES)))
        .order_by("load", "pk")
    )


class _RoundRobin:
    """Hands out collectors least-loaded first, counting the cases handed out in this run."""

    def __init__(self):
        self.loads = [[u.load, u.pk, u] for u in _least_loaded_collectors()]

    def next(self):
        if not self.loads:
            return None
        self.loads.sort(key=lambda x: (x[0], x[1]))
        self.loads[0][0] += 1
        return self.loads[0][2]


def _advisory_lock(key: int):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


DUNNING_LOCK_KEY = 0x0D0111


@dataclass
class DunningRunResult:
    created: int = 0
    closed: int = 0
    cases_opened: int = 0
    action_ids: list = field(default_factory=list)


def _overdue_by_customer(as_of, min_days, customer_ids=None):
    """One GROUP BY: per customer, the oldest due date of open invoices at or past the first threshold,
    and the overdue total in the reporting currency."""
    from .selectors import reporting_amount

    table = RateTable(as_of)
    outstanding = reporting_amount(table)
    threshold = as_of - dt.timedelta(days=min_days)
    qs = Invoice.objects.filter(status=InvoiceStatus.OPEN, due_date__lte=threshold)
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=customer_ids)
    rows = qs.values("customer_id").annotate(
        oldest_due=Min("due_date"),
        overdue=Sum(outstanding, filter=Q(due_date__lt=as_of)),
    )
    return {r["customer_id"]: (r["oldest_due"], r["overdue"] or ZERO) for r in rows}


@transaction.atomic
def dunning_run(*, actor=None, as_of=None) -> DunningRunResult:
    """Raise each customer to the highest dunning level its open invoices reach (set-wise, idempotent).

    One action per customer and level; a customer already at (or above) the level reached gets nothing
    new; a customer with nothing left to dun (paid) has its open actions closed; a customer whose reached
    level fell (an old invoice was paid) has the higher actions closed. Reaching the policy's case level
    opens a collection case assigned to the least-loaded collector; escalation levels escalate the case.
    The audit trail gets one ``run`` event listing every action and case it created (set-wise: the number
    of queries does not grow with the number of customers, except one transition per escalated case).
    """
    actor = actor or system_user()
    access.require(actor, "collection.run_dunning")
    as_of = as_of or clock.today()
    result = DunningRunResult()
    policy = active_policy()
    if policy is None:
        return result
    levels = sorted(policy.levels.all(), key=lambda lv: lv.order)
    if not levels:
        return result
    _advisory_lock(DUNNING_LOCK_KEY)
    level_rules = [rules.LevelRule(lv.pk, lv.order, lv.days_past_due) for lv in levels]
    by_id = {lv.pk: lv for lv in levels}
    min_days = min(lv.days_past_due for lv in levels)
    state = _overdue_by_customer(as_of, min_days)
    current = dict(DunningAction.objects.open().values("customer_id").annotate(top=Max("level_order"))
                   .values_list("customer_id", "top"))

    # Close what is no longer due: customers with nothing to dun, and levels above the one reached now.
    reached_order = {}
    for customer_id, (oldest_due, overdue) in state.items():
        days = rules.days_past_due(oldest_due, as_of)
        top = rules.level_to_raise(max_days_past_due=days, overdue_amount=overdue,
                                   tolerance=policy.small_amount_tolerance, levels=level_rules, current_order=None)
        reached_order[customer_id] = top.order if top else -1
    to_close = defaultdict(list)
    for customer_id, top in current.items():
        if customer_id not in reached_order:
            to_close[-1].append(customer_id)
        elif top > reached_order[customer_id]:
            to_close[reached_order[customer_id]].append(customer_id)
    for order, ids in to_close.items():
        result.closed += DunningAction.objects.open().filter(customer_id__in=ids, level_order__gt=order) \
            .update(closed_on=as_of)
        for customer_id in ids:
            current.pop(customer_id, None)
            remaining = order if order >= 0 else None
            if remaining is not None:
                current[customer_id] = remaining

    targets = {}
    for customer_id, (oldest_due, overdue) in state.items():
        days = rules.days_past_due(oldest_due, as_of)
        target = rules.level_to_raise(max_days_past_due=days, overdue_amount=overdue,
                                      tolerance=policy.small_amount_tolerance, levels=level_rules,
                                      current_order=current.get(customer_id))
        if target is not None:
            targets[customer_id] = (by_id[target.id], days, overdue)
    if not targets:
        if result.closed:
            audit_record(actor=actor, action=AuditEvent.Action.RUN, verb="dunning_run",
                         object_type="collection.dunningaction", object_repr=_("dunning run"),
                         after={"as_of": as_of, "created": 0, "closed": result.closed})
        return result

    # The invoices each action is about (one query), and existing active cases (one query).
    invoice_ids = defaultdict(list)
    threshold = as_of - dt.timedelta(days=min_days)
    for customer_id, invoice_id in Invoice.objects.filter(
            status=InvoiceStatus.OPEN, customer_id__in=list(targets), due_date__lte=threshold
    ).order_by("due_date", "pk").values_list("customer_id", "pk"):
        invoice_ids[customer_id].append(invoice_id)
    cases = {c.customer_id: c for c in CollectionCase.objects.active().filter(customer_id__in=list(targets))
             .select_related("assigned_to")}
    robin = _RoundRobin()
    reporting = settings.REPORTING_CURRENCY
    new_actions = []
    for customer_id, (level, days, overdue) in sorted(targets.items()):
        assigned = None
        if level.action == DunningActionKind.PHONE_CALL:
            case = cases.get(customer_id)
            assigned = case.assigned_to if case and case.assigned_to else robin.next()
        new_actions.append(DunningAction(
            customer_id=customer_id, level=level, level_order=level.order, action=level.action, business_date=as_of,
            max_days_past_due=days, overdue_amount=overdue.quantize(Decimal("0.01")), currency=reporting,
            invoice_ids=invoice_ids[customer_id], assigned_to=assigned,
        ))
    try:
        with transaction.atomic():
            created = DunningAction.objects.bulk_create(new_actions, batch_size=1000)
    except IntegrityError as exc:
        raise Conflict(_("Another dunning run is under way; try again later.")) from exc
    if created and created[0].pk is None:  # backends that do not return keys
        created = list(DunningAction.objects.filter(business_date=as_of, closed_on__isnull=True,
                                                    customer_id__in=list(targets)))
    result.created = len(created)
    result.action_ids = [a.pk for a in created]

    # Cases: open at the configured level (or an escalation level), escalate at escalation levels.
    opened = []
    for action in created:
        opens = (policy.case_open_order is not None and action.level_order >= policy.case_open_order) \
            or action.action in ESCALATION_KINDS
        if opens and action.customer_id not in cases:
            case = CollectionCase(customer_id=action.customer_id, assigned_to=robin.next(), opened_on=as_of,
                                  opened_by=actor, dunning_action=action, next_action_on=as_of)
            opened.append((case, action))
    if opened:
        CollectionCase.objects.bulk_create([c for c, _a in opened], batch_size=500)
        if opened[0][0].pk is None:
            fresh = {c.customer_id: c for c in CollectionCase.objects.active().filter(
                customer_id__in=[c.customer_id for c, _a in opened])}
            opened = [(fresh[c.customer_id], a) for c, a in opened]
        through = CollectionCase.invoices.through
        through.objects.bulk_create([through(collectioncase_id=c.pk, invoice_id=i)
                                     for c, a in opened for i in a.invoice_ids], batch_size=2000)
        for case, _action in opened:
            cases[case.customer_id] = case
        result.cases_opened = len(opened)
    for action in created:
        if action.action in ESCALATION_KINDS:
            case = cases[action.customer_id]
            if case.escalation_channel != action.action:
                _transition_case(actor=actor, case=case, name="escalate", verb=f"escalate_{action.action}",
                                 escalation_channel=action.action)
    audit_record(actor=actor, action=AuditEvent.Action.RUN, verb="dunning_run",
                 object_type="collection.dunningaction", object_repr=_("dunning run"),
                 after={"as_of": as_of, "created": result.created, "closed": result.closed,
                        "cases_opened": result.cases_opened, "action_ids": result.action_ids,
                        "cases": [[c.pk, c.customer_id, getattr(c.assigned_to, "username", None)]
                                  for c, _a in opened]})
    from . import tasks

    enqueue_many(tasks.execute_dunning_action, [((action.pk,), {}) for action in created  # one outbox INSERT
                                                if action.action not in (DunningActionKind.PHONE_CALL,
                                                                         *ESCALATION_KINDS)])
    return result


@transaction.atomic
def dunning_close_settled(*, customer_ids, as_of) -> int:
    """Close the open dunning actions of customers with no overdue open invoice left (a payment stopped it)."""
    still_overdue = Invoice.objects.filter(customer_id__in=customer_ids, status=InvoiceStatus.OPEN,
                                           due_date__lt=as_of).values("customer_id")
    return DunningAction.objects.open().filter(customer_id__in=customer_ids, level__days_past_due__gte=0) \
        .exclude(customer_id__in=still_overdue).update(closed_on=as_of)


def _customer_emails(customer) -> list[str]:
    emails = [c.email for c in customer.contacts.all() if c.email]
    return emails[:3]


def dunning_action_execute(*, action_id) -> DunningAction | None:
    """Carry out a dunning action's side effect once (mail with the letter, suspend deliveries)."""
    from django.core.mail import EmailMessage

    from .letters import letter_pdf, letter_subject

    with transaction.atomic():
        action = DunningAction.objects.select_for_update().select_related("customer", "level__policy") \
            .filter(pk=action_id).first()
        if action is None or action.outcome != DunningAction.Outcome.PENDING or action.closed_on:
            return action
        actor = system_user()
        customer = action.customer
        if action.action == DunningActionKind.SUSPEND_DELIVERIES:
            note = _suspend_deliveries(actor=actor, customer=customer, action=action)
            outcome = DunningAction.Outcome.DONE
        else:
            recipients = _customer_emails(customer)
            if not recipients:
                outcome, note = DunningAction.Outcome.SKIPPED, _system_note(gettext_lazy("no e-mail address"))
            else:
                language = action.level.policy.letter_language
                message = EmailMessage(subject=letter_subject(action, language=language),
                                       body=letter_subject(action, language=language),
                                       from_email=settings.DEFAULT_FROM_EMAIL, to=recipients)
                message.attach(f"dunning-{action.pk}.pdf", letter_pdf(action, language=language), "application/pdf")
                transaction.on_commit(message.send)
                outcome, note = DunningAction.Outcome.DONE, _system_note(gettext_lazy("mailed to %(to)s"),
                                                                         to=", ".join(recipients))
        action.outcome, action.outcome_note = outcome, note[:300]
        action.save(update_fields=["outcome", "outcome_note"])
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=action, verb="dunning_executed",
                     after={"outcome": outcome, "note": note})
    return action


def _suspend_deliveries(*, actor, customer, action) -> str:
    from credit.models import Facility
    from credit.services import facility_suspend

    suspended = []
    for facility in Facility.objects.filter(customer=customer, status=Facility.Status.ACTIVE):
        facility_suspend(actor=actor, facility=facility,
                         reason=_("Dunning level %(level)s: %(days)s days past due")
                         % {"level": action.level_order, "days": action.max_days_past_due})
        suspended.append(str(facility.pk))
    if suspended:
        return _system_note(gettext_lazy("suspended facilities %(ids)s"), ids=", ".join(suspended))
    return _system_note(gettext_lazy("no active facility"))


def _system_note(message, **values) -> str:
    """A note the nightly job stores for people to read: in the portal's language (it runs outside any
    request), not in hard-coded English."""
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        return str(message) % values if values else str(message)


@transaction.atomic
def dunning_task_complete(*, actor, action, note="") -> DunningAction:
    """A collector marks a phone-call task as done."""
    access.require(actor, "collection.change_collectioncase")
    action = DunningAction.objects.select_for_update().get(pk=action.pk)
    if action.outcome != DunningAction.Outcome.PENDING:
        raise Conflict(_("This task is already done."))
    action.outcome, action.outcome_note = DunningAction.Outcome.DONE, note[:300]
    action.save(update_fields=["outcome", "outcome_note"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=action, verb="task_done", after={"note": note})
    return action


# --- collection cases -------------------------------------------------------------------------

def _check_collector(user):
    if user is None:
        return None
    if not (user.is_active and user.groups.filter(name=COLLECTOR_GROUP).exists()):
        raise ValidationFailed(_("Assign the case to an active collector."),
                               field_errors={"assigned_to": _("Choose a collector.")})
    return user


@transaction.atomic
def case_open(*, actor, customer, assigned_to=None, note="", invoices=None) -> CollectionCase:
    """Open a case by hand for the customer's overdue invoices (or ``invoices``); least-loaded collector by default."""
    access.require(actor, "collection.add_collectioncase")
    customer = _visible_customer(actor, customer)
    if CollectionCase.objects.active().filter(customer=customer).exists():
        raise Conflict(_("This customer already has an active collection case."))
    today = clock.today()
    open_invoices = Invoice.objects.filter(customer=customer, status=InvoiceStatus.OPEN)
    if invoices is not None:
        chosen = list(open_invoices.filter(pk__in=[getattr(i, "pk", i) for i in invoices]))
        if len(chosen) != len(invoices):
            raise ValidationFailed(_("Choose open invoices of this customer."),
                                   field_errors={"invoices": _("Only open invoices of this customer.")})
    else:
        chosen = list(open_invoices.filter(due_date__lt=today))
    if not chosen:
        raise ValidationFailed(_("The customer has no overdue open invoice to collect."))
    assigned_to = _check_collector(assigned_to) if assigned_to else _RoundRobin().next()
    case = CollectionCase(customer=customer, assigned_to=assigned_to, opened_on=today, opened_by=actor, note=note,
                          next_action_on=today)
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError as exc:
        raise Conflict(_("This customer already has an active collection case.")) from exc
    case.invoices.set(chosen)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=case,
                 after={**_case_state(case), "invoices": [i.pk for i in chosen]})
    return case


@transaction.atomic
def case_assign(*, actor, case, collector) -> CollectionCase:
    access.require(actor, "collection.change_collectioncase")
    _visible_case(actor, case)
    _check_collector(collector)
    locked = _locked_case(case)
    if locked.state not in ACTIVE_CASE_STATES:
        raise Conflict(_("Only an active case can be reassigned."))
    before = _case_state(locked)
    locked.assigned_to = collector
    locked.save(update_fields=["assigned_to"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=locked, verb="reassign", before=before,
                 after=_case_state(locked))
    return locked


def _require_case_change(actor, case):
    access.require(actor, "collection.change_collectioncase")
    _visible_case(actor, case)


@transaction.atomic
def case_start(*, actor, case) -> CollectionCase:
    _require_case_change(actor, case)
    return _transition_case(actor=actor, case=case, name="start")


@transaction.atomic
def case_escalate(*, actor, case, channel) -> CollectionCase:
    _require_case_change(actor, case)
    if channel not in EscalationChannel.values:
        raise ValidationFailed(_("Choose agency, arbitration or litigation."),
                               field_errors={"channel": _("Choose a listed channel.")})
    return _transition_case(actor=actor, case=case, name="escalate", verb=f"escalate_{channel}",
                            escalation_channel=channel)


@transaction.atomic
def case_close(*, actor, case, note="") -> CollectionCase:
    _require_case_change(actor, case)
    locked = _locked_case(case)
    if locked.state in ACTIVE_CASE_STATES and locked.invoices.filter(status=InvoiceStatus.OPEN).exists():
        if not note.strip():
            raise ValidationFailed(_("Give a reason to close a case whose invoices are still open."),
                                   field_errors={"note": _("Required while invoices are open.")})
    return _transition_case(actor=actor, case=locked, name="close", closed_on=clock.today(),
                            note=(locked.note + "\n" + note).strip() if note else locked.note)


@transaction.atomic
def case_mark_paid(*, actor, case) -> CollectionCase:
    _require_case_change(actor, case)
    if case.invoices.filter(status=InvoiceStatus.OPEN).exists():
        raise Conflict(_("The case still has open invoices."))
    return _transition_case(actor=actor, case=case, name="mark_paid", closed_on=clock.today())


def cases_settle_paid(*, customer_ids) -> int:
    """Move active cases whose invoices are all settled to paid (a consequence of the payment, no extra right)."""
    open_case_ids = Invoice.objects.filter(status=InvoiceStatus.OPEN, cases__isnull=False).values("cases")
    done = list(CollectionCase.objects.active().filter(customer_id__in=customer_ids)
                .exclude(pk__in=open_case_ids).filter(invoices__isnull=False).distinct())
    actor = system_user()
    for case in done:
        _transition_case(actor=actor, case=case, name="mark_paid", closed_on=clock.today())
    if done:
        _promises_resolve(actor=actor, promises=PromiseToPay.objects.filter(case__in=done), name="keep",
                          resolved_on=clock.today(), verb="promise_kept")
    return len(done)


@transaction.atomic
def activity_add(*, actor, case, kind, outcome, occurred_on=None, next_step="", next_action_on=None
                 ) -> CollectionActivity:
    access.require(actor, "collection.add_collectionactivity")
    _visible_case(actor, case)
    occurred_on = occurred_on or clock.today()
    if occurred_on > clock.today():
        raise ValidationFailed(_("An activity cannot be in the future."),
                               field_errors={"occurred_on": _("Not after today.")})
    if next_action_on and next_action_on < occurred_on:
        raise ValidationFailed(_("The next action date cannot be before the activity."),
                               field_errors={"next_action_on": _("On or after the activity date.")})
    if not outcome or not outcome.strip():
        raise ValidationFailed(_("Describe the outcome."), field_errors={"outcome": _("Required.")})
    activity = CollectionActivity.objects.create(case=case, kind=kind, occurred_on=occurred_on, outcome=outcome,
                                                 next_step=next_step, next_action_on=next_action_on, created_by=actor)
    locked = _locked_case(case)
    locked.next_action_on = next_action_on
    locked.save(update_fields=["next_action_on"])
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=activity, after=snapshot(activity))
    if locked.state == CaseState.OPEN and access.has(actor, "collection.change_collectioncase"):
        _transition_case(actor=actor, case=locked, name="start")
    return activity


def _promises_resolve(*, actor, promises, name, resolved_on, verb) -> list[PromiseToPay]:
    """Keep or cancel the pending ones of ``promises`` set-wise: lock them, run the django-fsm transition
    ``name`` on each, save the states in one UPDATE and write one audit event per promise in one INSERT.
    The caller holds the transaction (and the rights: a consequence of its own action)."""
    locked = list(promises.filter(state=PromiseState.PENDING).select_for_update().order_by("pk"))
    for promise in locked:
        getattr(promise, name)()
        promise.resolved_on = resolved_on
    if locked:
        PromiseToPay.objects.bulk_update(locked, ["state", "resolved_on"])
        audit_record_many(actor=actor, action=AuditEvent.Action.TRANSITION, objs=locked, verb=verb,
                          after=lambda p: {"state": p.state, "resolved_on": p.resolved_on})
    return locked


@transaction.atomic
def promise_add(*, actor, case, promised_date, amount, currency="CNY", note="") -> PromiseToPay:
    access.require(actor, "collection.add_promisetopay")
    _visible_case(actor, case)
    amount, currency = _amount(amount), _currency(currency)
    today = clock.today()
    if promised_date is None or promised_date < today:
        raise ValidationFailed(_("The promised date cannot be in the past."),
                               field_errors={"promised_date": _("Today or later.")})
    dates.require_plausible(promised_date, "promised_date")
    locked = _locked_case(case)
    _promises_resolve(actor=actor, promises=PromiseToPay.objects.filter(case=locked), name="cancel",
                      resolved_on=today, verb="promise_replaced")
    promise = PromiseToPay.objects.create(case=locked, made_on=today, promised_date=promised_date, amount=amount,
                                          currency=currency, note=note, created_by=actor)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=promise, after=snapshot(promise))
    _transition_case(actor=actor, case=locked, name="promise", next_action_on=promised_date)
    return promise


@transaction.atomic
def promises_evaluate(*, as_of=None, customer_ids=None, detect_broken=True) -> dict:
    """Decide pending promises from payments (set-wise): kept when the customer's payments received from the
    day the promise was made until the promised date reach its amount; broken when the promised date has
    passed without that. A broken promise moves its case back to work (a second one escalates it to an
    agency), publishes ``collection.promise_broken`` and mails the collector.
    """
    from django.db.models import DecimalField, OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    as_of = as_of or clock.today()
    paid = (Payment.objects.filter(customer_id=OuterRef("case__customer_id"), currency=OuterRef("currency"),
                                   received_on__gte=OuterRef("made_on"), received_on__lte=OuterRef("promised_date"),
                                   is_recovery=False)
            .values("customer_id").annotate(total=Sum("amount")).values("total"))
    pending = PromiseToPay.objects.filter(state=PromiseState.PENDING)
    if customer_ids is not None:
        pending = pending.filter(case__customer_id__in=customer_ids)
    pending = pending.annotate(paid=Coalesce(Subquery(paid), Value(ZERO),
                                             output_field=DecimalField(max_digits=18, decimal_places=2)))
    kept_ids = list(pending.filter(paid__gte=F("amount")).values_list("pk", flat=True))
    broken = []
    if detect_broken:
        broken = list(pending.filter(paid__lt=F("amount"), promised_date__lt=as_of)
                      .select_related("case", "case__assigned_to", "case__customer"))
    actor = system_user()
    if kept_ids:
        _promises_resolve(actor=actor, promises=PromiseToPay.objects.filter(pk__in=kept_ids), name="keep",
                          resolved_on=as_of, verb="promise_kept")
    for promise in broken:
        locked = PromiseToPay.objects.select_for_update().get(pk=promise.pk)
        if locked.state != PromiseState.PENDING:
            continue
        locked.break_()
        locked.resolved_on = as_of
        locked.save()
        audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=locked, verb="promise_broken",
                     after={"state": locked.state, "paid": promise.paid})
        case = _locked_case(promise.case)
        case.broken_promises += 1
        case.save(update_fields=["broken_promises"])
        if case.state == CaseState.PROMISE_TO_PAY:
            if case.broken_promises >= 2:
                _transition_case(actor=actor, case=case, name="escalate", verb="escalate_after_broken_promises",
                                 escalation_channel=EscalationChannel.AGENCY, next_action_on=as_of)
            else:
                _transition_case(actor=actor, case=case, name="promise_broken", next_action_on=as_of)
        events.publish_on_commit("collection.promise_broken", promise_id=locked.pk, case_id=case.pk)
        _notify_collector_broken(promise, case)
    return {"kept": len(kept_ids), "broken": len([p for p in broken])}


def _notify_collector_broken(promise, case):
    """The case's collector finds the broken promise in the inbox (and by e-mail, on commit)."""
    collector = case.assigned_to
    if not collector:
        return
    from django.urls import reverse

    from accounts.services import notification_send

    from django.utils.translation import gettext_lazy

    from creditportal.core.formatting import LazyMoney
    from creditportal.core.i18n import Message

    subject = Message(gettext_lazy("Broken promise to pay: %(customer)s"), customer=promise.case.customer)
    body = Message(gettext_lazy("The promise to pay %(currency)s %(amount)s by %(date)s on case %(case)s was not "
                                "kept."), currency=promise.currency, amount=LazyMoney(promise.amount),
                   date=promise.promised_date, case=case.pk)
    notification_send(recipient=collector, title=subject, body=body,
                      url=reverse("collection:case_detail", args=[case.pk]))


# --- write-offs -------------------------------------------------------------------------------

@transaction.atomic
def writeoff_propose(*, actor, case, reason) -> WriteOff:
    """A collector proposes to write off what the case's invoices still owe."""
    access.require(actor, "collection.propose_writeoff")
    _visible_case(actor, case)
    if not reason or not reason.strip():
        raise ValidationFailed(_("Give the reason for the write-off."), field_errors={"reason": _("Required.")})
    locked = _locked_case(case)
    if not can_proceed(locked.write_off):  # the case's own state machine says when it can be written off
        raise Conflict(_("A write-off can be proposed only for a case in progress or escalated."))
    if locked.write_offs.filter(state=WriteOffState.PROPOSED).exists():
        raise Conflict(_("A write-off of this case is already waiting for approval."))
    invoices = list(locked.invoices.filter(status=InvoiceStatus.OPEN).order_by("pk"))
    currencies = {i.currency for i in invoices}
    if not invoices:
        raise ValidationFailed(_("The case has no open invoice to write off."))
    today = clock.today()
    if len(currencies) > 1:
        # One write-off per case: invoices in several currencies are totalled in the reporting currency at
        # today's rates (each item keeps its invoice's own amount and currency).
        currency = settings.REPORTING_CURRENCY
        table = RateTable(today)
        try:
            total = sum((table.convert(i.outstanding, i.currency) for i in invoices), ZERO)
        except MissingRate:
            raise ValidationFailed(_("The case's invoices are in several currencies and an FX rate into %(currency)s "
                                     "is missing for today; ask the risk administrator to enter it.")
                                   % {"currency": currency})
    else:
        currency = invoices[0].currency
        total = sum((i.outstanding for i in invoices), ZERO)
    writeoff = WriteOff.objects.create(case=locked, amount=total, currency=currency, reason=reason,
                                       proposed_by=actor, proposed_on=today)
    WriteOffItem.objects.bulk_create([WriteOffItem(write_off=writeoff, invoice=i, amount=i.outstanding)
                                      for i in invoices])
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=writeoff,
                 after={**snapshot(writeoff), "invoices": [i.pk for i in invoices]})
    return writeoff


def _locked_writeoff(writeoff):
    return WriteOff.objects.select_for_update().select_related("case").get(pk=writeoff.pk)


@transaction.atomic
def writeoff_approve(*, actor, writeoff, note="") -> WriteOff:
    """Four-eyes approval by an approver whose authority covers the amount; closes the invoices and the case."""
    access.require(actor, "collection.approve_writeoff")
    locked = _locked_writeoff(writeoff)
    _visible_case(actor, locked.case)
    access.require_other_person(actor, locked.proposed_by)
    if locked.state != WriteOffState.PROPOSED:
        raise Conflict(_("This write-off was already decided."))
    today = clock.today()
    from credit.selectors import require_amount_authority  # the one authority rule: matrix, capped delegations

    require_amount_authority(actor, RateTable(today).convert(locked.amount, locked.currency),
                             decision=_("a write-off"), on_date=today)
    items = list(locked.items.all())
    invoices = {i.pk: i for i in Invoice.objects.select_for_update().filter(pk__in=[it.invoice_id for it in items])}
    for item in items:
        invoice = invoices[item.invoice_id]
        if invoice.status != InvoiceStatus.OPEN or invoice.outstanding != item.amount:
            raise Conflict(_("Invoice %(n)s changed since the proposal (a payment arrived); propose again.")
                           % {"n": invoice.number})
    for item in items:
        invoice = invoices[item.invoice_id]
        invoice.written_off_amount += item.amount
        invoice.write_off()
        invoice.save(update_fields=["written_off_amount", "status"])
    before = snapshot(locked)
    locked.approve()
    locked.decided_by, locked.decided_on, locked.decision_note = actor, today, note
    locked.save()
    audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=locked, verb="approve", before=before,
                 after=snapshot(locked))
    _transition_case(actor=actor, case=locked.case, name="write_off", closed_on=today)
    _promises_resolve(actor=actor, promises=PromiseToPay.objects.filter(case=locked.case), name="cancel",
                      resolved_on=today, verb="promise_cancelled_by_write_off")
    dunning_close_settled(customer_ids=[locked.case.customer_id], as_of=today)
    # the exposure is gone: the warning rules (overdue days, utilisation) are evaluated again
    events.publish_on_commit("collection.writeoff_approved", writeoff_id=locked.pk,
                             customer_id=locked.case.customer_id)
    return locked


@transaction.atomic
def writeoff_reject(*, actor, writeoff, note="") -> WriteOff:
    access.require(actor, "collection.approve_writeoff")
    locked = _locked_writeoff(writeoff)
    _visible_case(actor, locked.case)
    access.require_other_person(actor, locked.proposed_by)
    if locked.state != WriteOffState.PROPOSED:
        raise Conflict(_("This write-off was already decided."))
    if not note.strip():
        raise ValidationFailed(_("Give the reason for the rejection."), field_errors={"note": _("Required.")})
    before = snapshot(locked)
    locked.reject()
    locked.decided_by, locked.decided_on, locked.decision_note = actor, clock.today(), note
    locked.save()
    audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=locked, verb="reject", before=before,
                 after=snapshot(locked))
    return locked


@transaction.atomic
def recovery_record(*, actor, case, amount, received_on, currency="CNY", reference="") -> Payment:
    """Money recovered after a write-off (账销案存): recorded against the written-off case, not on invoices."""
    access.require(actor, "collection.add_payment")
    _visible_case(actor, case)
    amount, currency = _amount(amount), _currency(currency)
    if case.state != CaseState.WRITTEN_OFF:
        raise Conflict(_("Recoveries are recorded on written-off cases; post an ordinary payment instead."))
    dates.require_plausible(received_on, "received_on")
    if received_on > clock.today():
        raise ValidationFailed(_("A payment cannot be received in the future."),
                               field_errors={"received_on": _("Not after today.")})
    payment = Payment.objects.create(customer_id=case.customer_id, received_on=received_on, amount=amount,
                                     currency=currency, reference=reference, case=case, is_recovery=True,
                                     created_by=actor)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=payment, verb="recovery", after=snapshot(payment))
    events.publish_on_commit("collection.payment_posted", payment_id=payment.pk, customer_id=case.customer_id)
    return payment


# --- daily job --------------------------------------------------------------------------------

def daily_run(*, as_of=None) -> dict:
    """The nightly collection job, as the system user: dunning, then promises due."""
    as_of = as_of or clock.today()
    actor = system_user()
    run = dunning_run(actor=actor, as_of=as_of)
    promises = promises_evaluate(as_of=as_of)
    return {"created": run.created, "closed": run.closed, "cases_opened": run.cases_opened, **promises}


# --- "Run dunning now" from the collection pages ----------------------------------------------------
# The button enqueues the nightly job's service (``daily_run``) for today's business date. ``dunning_run``
# is idempotent per date (one action per customer and level), so a second press creates nothing; while a run
# is queued or running a second press does not even enqueue. The status lives in the cache for the progress bar.

RUN_NOW_STATUS_TTL = 2 * 24 * 60 * 60


def _run_now_key(as_of) -> str:
    return f"collection:dunning-run-now:{as_of.isoformat()}"


def dunning_run_now_status(*, as_of=None) -> dict | None:
    """The status of today's (or ``as_of``'s) run started from the pages, or None if none was started."""
    from django.core.cache import cache

    return cache.get(_run_now_key(as_of or clock.today()))


def _run_now_set(day, **status) -> dict:
    from django.core.cache import cache

    current = cache.get(_run_now_key(day)) or {}
    current.update(status)
    cache.set(_run_now_key(day), current, timeout=RUN_NOW_STATUS_TTL)
    return current


@transaction.atomic
def dunning_run_now(*, actor) -> dict:
    """Enqueue the nightly collection job for today's business date (audited); returns the run's status."""
    access.require(actor, "collection.run_dunning")
    as_of = clock.today()
    status = dunning_run_now_status(as_of=as_of)
    if status and status.get("state") in ("queued", "running"):
        return status
    status = _run_now_set(as_of, state="queued", percent=0, as_of=as_of.isoformat(), requested_by=actor.username,
                          created=None, closed=None, cases_opened=None, error="")
    audit_record(actor=actor, action=AuditEvent.Action.RUN, verb="dunning_run_now",
                 object_type="collection.dunningaction", object_repr=_("Dunning run for %(date)s") % {
                     "date": as_of.isoformat()}, after={"as_of": as_of.isoformat()})
    from .tasks import run_dunning_now

    enqueue(run_dunning_now, as_of.isoformat())
    return status


def dunning_run_now_execute(*, as_of) -> dict:
    """The task's body: ``daily_run`` for ``as_of``, with the status kept for the progress bar."""
    _run_now_set(as_of, state="running", percent=50)
    try:
        result = daily_run(as_of=as_of)
    except Exception as error:
        _run_now_set(as_of, state="failed", percent=100, error=str(error)[:300])
        raise
    return _run_now_set(as_of, state="done", percent=100, created=result["created"], closed=result["closed"],
                        cases_opened=result["cases_opened"])
