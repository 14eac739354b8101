"""Spreading statements from an XLSX laid out as analysts receive it (``customers.spreading_io``): two steps.

``statement_sheet_preview`` reads the file and checks every period as a statement (nothing is written): the
mapping of each row to its line, the unmatched rows, the bad rows and the refusals per period.
``statement_sheet_import`` saves the previewed periods, all or none, after checking them again."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from creditportal.core import access
from creditportal.core.errors import ValidationFailed

from .. import spreading_io
from ..labels import line_label
from ..models import Customer, FinancialStatement
from ._common import require_visible
from .statements import ImportRejected, _save_statement, validate_statement

# The header an analyst chooses on the upload form (the sheet holds only lines and periods).
SHEET_HEADER_FIELDS = ["period_type", "consolidated", "audited", "auditor", "audit_opinion", "currency", "unit"]


@dataclass
class SheetPreview:
    file_name: str
    sha256: str
    header: dict
    periods: list  # period ends, newest first
    matched: list  # spreading_io.SheetRow
    unmatched: list
    bad_rows: list  # (sheet, row, reason)
    refusals: dict = field(default_factory=dict)  # period end → [messages]

    @property
    def importable(self) -> bool:
        return not self.bad_rows and not any(self.refusals.values()) and bool(self.periods)

    def payload(self) -> dict:
        """What the confirm step carries (kept in the session): the header and each period's lines as text."""
        return {
            "file_name": self.file_name, "sha256": self.sha256,
            "header": {k: v for k, v in self.header.items()},
            "periods": {period.isoformat(): {code: format(value, "f") for code, value in lines.items()}
                        for period, lines in self.lines_by_period.items()},
            "unmatched": [[row.sheet, row.row, row.name or row.code_text] for row in self.unmatched],
        }

    @property
    def lines_by_period(self) -> dict:
        result = {period: {} for period in self.periods}
        for row in self.matched:
            for period, amount in row.amounts.items():
                result[period][row.code] = amount
        return result


def _messages(errors: dict) -> list[str]:
    return [str(m) for messages in errors.values() for m in messages]


def statement_sheet_preview(*, actor, customer: Customer, uploaded_file, header: dict) -> SheetPreview:
    """Read and check an uploaded statement sheet; nothing is saved. ``ImportRejected`` for an unreadable file."""
    access.require(actor, "customers.add_financialstatement")
    require_visible(actor, customer)
    try:
        read = spreading_io.read_statement_sheets(uploaded_file)
    except spreading_io.ImportFileError as exc:
        raise ImportRejected(str(exc), rows=[(None, str(exc))]) from exc
    uploaded_file.seek(0)
    digest = hashlib.sha256(uploaded_file.read()).hexdigest()
    clean_header = {name: header.get(name) for name in SHEET_HEADER_FIELDS}
    preview = SheetPreview(file_name=os.path.basename(getattr(uploaded_file, "name", "") or ""), sha256=digest,
                           header=clean_header, periods=read.periods, matched=read.matched,
                           unmatched=read.unmatched, bad_rows=read.errors)
    # oldest first, each valid period saved in a savepoint rolled back at the end: the next period's change in
    # cash is checked against it, as the import will
    with transaction.atomic():
        for period, lines in sorted(preview.lines_by_period.items()):
            data, errors = validate_statement({**clean_header, "period_end": period, "lines": lines},
                                              customer_id=customer.pk)
            preview.refusals[period] = _messages(errors)
            if not errors:
                FinancialStatement(customer=customer, created_by=actor, source="import", **data).save()
        transaction.set_rollback(True)
    return preview


@transaction.atomic
def statement_sheet_import(*, actor, customer: Customer, payload: dict) -> list[FinancialStatement]:
    """Save every period of a previewed sheet, or none: each is checked again (oldest first, so that a
    period's change in cash is checked against the one before it)."""
    access.require(actor, "customers.add_financialstatement")
    require_visible(actor, customer)
    periods = payload.get("periods") or {}
    if not periods:
        raise ValidationFailed(_("Nothing to import: upload the file again."))
    header = {name: payload.get("header", {}).get(name) for name in SHEET_HEADER_FIELDS}
    created, problems = [], []
    for period in sorted(periods):
        data, errors = validate_statement({**header, "period_end": period, "lines": periods[period]},
                                          customer_id=customer.pk)
        if errors:
            problems.append((None, f"{period}: {' '.join(_messages(errors))}"))
            continue
        statement = FinancialStatement(customer=customer, created_by=actor, source="import", **data)
        _save_statement(statement, actor)
        created.append(statement)
    if problems:  # the exception rolls back the periods saved before
        raise ImportRejected(_("Nothing was imported: %(n)d period(s) have errors.") % {"n": len(problems)},
                             rows=problems)
    audit_record(actor=actor, action=AuditEvent.Action.UPLOAD, obj=customer, verb="statement_sheet_import",
                 after={"file": payload.get("file_name", ""), "sha256": payload.get("sha256", ""),
                        "statements": [s.pk for s in created],
                        "unmatched_rows": len(payload.get("unmatched") or [])})
    return created


def unmatched_label(row) -> str:
    return _("Sheet “%(sheet)s” row %(row)s: %(name)s") % {"sheet": row.sheet, "row": row.row,
                                                          "name": row.name or row.code_text}


__all__ = ["SHEET_HEADER_FIELDS", "SheetPreview", "statement_sheet_preview", "statement_sheet_import",
           "line_label", "unmatched_label"]
