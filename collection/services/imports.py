"""Invoice and payment imports from CSV files: any bad row → nothing imported, every bad row listed."""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from creditportal.core import access, clock
from creditportal.core.errors import ValidationFailed
from creditportal.core.money import CURRENCY_CODES, to_decimal
from customers.models import Customer

from ..models import Invoice, InvoiceStatus
from ._common import ZERO
from .aging import aging_summary_refresh
from .receivables import payment_post


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
    aging_summary_refresh(customer_ids={o.customer_id for o in objects})
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


