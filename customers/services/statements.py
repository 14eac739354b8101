"""Financial statements: validation, create, update and import."""
from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_changes, audit_record, snapshot
from creditportal.core import access, clock
from creditportal.core.errors import Conflict, ValidationFailed
from creditportal.core.events import publish_on_commit
from creditportal.core.money import CURRENCY_CODES

from .. import events, statement_io
from .. import chart
from ..models import (
    LINE_ITEMS, REQUIRED_LINE_ITEMS, AuditOpinion, Customer, FinancialStatement, PeriodType, StatementLayout,
    StatementUnit,
)
from ._common import require_visible, _decimal_or_none
from .analysis import latest_analysis_refresh
from .statement_lines import validate_lines

EVENT_STATEMENT_SAVED = events.STATEMENT_SAVED

STATEMENT_HEADER_FIELDS = ["period_end", "period_type", "audited", "consolidated", "currency", "unit", "auditor",
                           "audit_opinion"]
# ``lines`` ({code: amount}) makes a statement of the general enterprise format: its key figures are then taken
# from the lines (key figures given beside them are ignored). Without ``lines`` the key figures are the statement
# (the summary layout, as before the detailed chart) and are stored as lines too.
STATEMENT_FIELDS = STATEMENT_HEADER_FIELDS + LINE_ITEMS + ["lines"]

# Line items that can never be negative (equity, profits and cash flows can).
NON_NEGATIVE_ITEMS = [
    "cash", "receivables", "inventory", "current_assets", "total_assets", "short_term_debt", "current_liabilities",
    "long_term_debt", "total_liabilities", "revenue", "cost_of_sales", "interest_expense",
]
# |assets − (liabilities + equity)| may be at most this share of total assets, or one unit, whichever is larger.
BALANCE_TOLERANCE_SHARE = Decimal("0.0001")
BALANCE_TOLERANCE_MIN = Decimal("1")


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
    data["auditor"] = (values.get("auditor") or "").strip()
    data["audit_opinion"] = values.get("audit_opinion") or ""
    if len(data["auditor"]) > 200:
        add("auditor", _("At most 200 characters."))
    if data["audit_opinion"] not in AuditOpinion.values and data["audit_opinion"]:
        add("audit_opinion", _("Choose the opinion from the list."))
    if not data["audited"] and (data["auditor"] or data["audit_opinion"]):
        add("audit_opinion", _("Only an audited statement has an auditor and an audit opinion."))

    if values.get("lines") is not None:
        if not errors:
            validate_lines(values["lines"], data, errors, customer_id=customer_id, exclude_pk=exclude_pk)
            if not errors and data["audited"] and not data["audit_opinion"]:
                add("audit_opinion", _("Choose the auditor's opinion of an audited statement."))
    else:
        _validate_key_figures(values, data, add)
        data["layout"] = StatementLayout.SUMMARY
        data["lines"] = {code: format(value, "f") for code, value in chart.lines_from_key_figures(data).items()}
    _check_duplicate(data, errors, add, customer_id=customer_id, exclude_pk=exclude_pk,
                     check_duplicate=check_duplicate, period_end=period_end)
    return data, errors


def _validate_key_figures(values, data, add):
    """The summary layout: the key figures alone (the checks statements had before the detailed chart)."""
    errors = {}

    def add_local(field, message):
        errors.setdefault(field, []).append(message)
        add(field, message)

    limit = Decimal("1e17")
    for item in LINE_ITEMS:
        parse_errors = {}
        value = _decimal_or_none(values.get(item), item, parse_errors)
        for message in parse_errors.get(item, []):
            add_local(item, message)
        if value is not None:
            if abs(value) >= limit:
                add_local(item, _("This number is too large."))
            elif value != value.quantize(Decimal("0.01")):
                add_local(item, _("Use at most two decimals."))
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


def _check_duplicate(data, errors, add, *, customer_id, exclude_pk, check_duplicate, period_end):
    if check_duplicate and customer_id and period_end and not errors.get("period_type"):
        clash = FinancialStatement.objects.filter(
            customer_id=customer_id, period_end=period_end, period_type=data["period_type"],
            consolidated=data["consolidated"],
        )
        if exclude_pk:
            clash = clash.exclude(pk=exclude_pk)
        if clash.exists():
            add("period_end", _duplicate_message(data))


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
    elif any(key.startswith("lines.") for key in errors):  # the first line named, in chart order
        message = next(messages[0] for key, messages in errors.items() if key.startswith("lines."))
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
    latest_analysis_refresh(customer_ids=[statement.customer_id])  # the triggers forgot it with the save
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
    merged = {f: getattr(statement, f) for f in STATEMENT_HEADER_FIELDS}
    if values.get("lines") is None and statement.layout == StatementLayout.GENERAL_2019:
        # a key figure changed on a detailed statement changes its line (and is checked against its subtotal)
        lines = dict(statement.lines)
        for name, code in chart.KEY_FIGURES.items():
            if name in values:
                lines[code] = values[name]
        merged["lines"] = lines
    elif values.get("lines") is None:
        merged.update({f: getattr(statement, f) for f in LINE_ITEMS})
    merged.update({k: v for k, v in values.items() if not (k == "lines" and v is None)})
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
