"""Import of historical outcomes from CSV: every row valid, or nothing imported."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from creditportal.core import access
from creditportal.core.errors import ValidationFailed
from creditportal.core.money import to_decimal
from customers.models import Customer
from ratings import selectors as rating_selectors

from ..models import HistoricalOutcome, OutcomeImport

MAX_IMPORT_ROWS = 200_000

TRUE_WORDS = {"1", "true", "yes", "y", "default", "defaulted", "是"}
FALSE_WORDS = {"0", "false", "no", "n", "performing", "否"}
COLUMNS = ["customer", "external_id", "rating_date", "score", "grade", "inputs", "outcome"]


def _parse_outcome_row(line, row, customers_by_key, grades) -> tuple[dict | None, list[str]]:
    problems = []
    key = (row.get("customer") or "").strip()
    external = (row.get("external_id") or "").strip()
    customer = None
    if key:
        customer = customers_by_key.get(key)
        if customer is None:
            problems.append(_("customer %(key)s is not known (give the portal id or the credit code)") % {"key": key})
    elif not external:
        problems.append(_("give a customer or an external id"))
    if len(external) > 100:
        problems.append(_("the external id is longer than 100 characters"))
    rating_date = None
    try:
        rating_date = dt.date.fromisoformat((row.get("rating_date") or "").strip())
    except ValueError:
        problems.append(_("rating_date must be a date as YYYY-MM-DD"))
    score = None
    raw_score = (row.get("score") or "").strip()
    if raw_score:
        try:
            score = to_decimal(raw_score)
            if not Decimal("-99999") < score < Decimal("99999"):
                raise InvalidOperation
            score = score.quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            problems.append(_("score %(value)s is not a number") % {"value": raw_score})
            score = None
    inputs = None
    raw_inputs = (row.get("inputs") or "").strip()
    if raw_inputs:
        try:
            inputs = json.loads(raw_inputs)
            if not isinstance(inputs, dict):
                raise ValueError
        except ValueError:
            problems.append(_("inputs must be a JSON object"))
            inputs = None
    if not raw_score and not raw_inputs:
        problems.append(_("give a score or the inputs"))
    grade = (row.get("grade") or "").strip()
    if grade and grade not in grades:
        problems.append(_("grade %(grade)s is not on the scale") % {"grade": grade})
    outcome = (row.get("outcome") or "").strip().lower()
    if outcome in TRUE_WORDS:
        defaulted = True
    elif outcome in FALSE_WORDS:
        defaulted = False
    else:
        defaulted = None
        problems.append(_("outcome must be 1/0 (yes/no, default/performing)"))
    if problems:
        return None, [_("line %(line)s: %(problems)s") % {"line": line, "problems": "; ".join(problems)}]
    return {"customer": customer, "external_id": external, "rating_date": rating_date, "score": score,
            "grade": grade, "inputs": inputs, "defaulted": defaulted}, []


@transaction.atomic
def outcomes_import(*, actor, uploaded_file, label: str = "") -> OutcomeImport:
    """Import historical outcomes from a CSV file (UTF-8, a header row with the columns
    ``customer, external_id, rating_date, score, grade, inputs, outcome``; ``customer`` is the portal id
    or the unified social credit code, ``inputs`` a JSON object, ``outcome`` 1/0).

    Any bad row → nothing is imported and every bad row is listed.
    """
    access.require(actor, "validation.add_outcomeimport")
    raw = uploaded_file.read()
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    name = getattr(uploaded_file, "name", "outcomes.csv") or "outcomes.csv"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(_("The file is not UTF-8 text."), field_errors={"file": _("Save the file as UTF-8 CSV.")}) from exc
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in ("rating_date", "outcome") if c not in header]
    if not header or missing or not ({"customer", "external_id"} & set(header)) or not ({"score", "inputs"} & set(header)):
        raise ValidationFailed(
            _("The file needs a header row with the columns: %(columns)s.") % {"columns": ", ".join(COLUMNS)},
            field_errors={"file": _("Missing or wrong header row.")})
    reader.fieldnames = header
    rows = list(reader)
    if not rows:
        raise ValidationFailed(_("The file has no rows."), field_errors={"file": _("The file has no rows.")})
    if len(rows) > MAX_IMPORT_ROWS:
        raise ValidationFailed(_("At most %(count)s rows per file.") % {"count": MAX_IMPORT_ROWS},
                               field_errors={"file": _("Too many rows.")})
    keys = {(r.get("customer") or "").strip() for r in rows} - {""}
    ids = [int(k) for k in keys if k.isdigit()]
    customers = {}
    for c in Customer.objects.visible_to(actor).filter(pk__in=ids).only("id", "credit_code"):
        customers[str(c.pk)] = c
    for c in Customer.objects.visible_to(actor).filter(credit_code__in=[k for k in keys if not k.isdigit()]).only(
            "id", "credit_code"):
        customers[c.credit_code] = c
    grades = set(rating_selectors.grade_order())
    parsed, errors = [], []
    for number, row in enumerate(rows, start=2):
        item, problems = _parse_outcome_row(number, row, customers, grades)
        errors.extend(problems)
        if item:
            parsed.append(item)
    if errors:
        raise ValidationFailed(
            _("Nothing was imported: %(count)s row(s) have errors.") % {"count": len(errors)},
            field_errors={"file": errors})
    source = OutcomeImport.objects.create(file_name=name[:200], label=(label or "").strip()[:200],
                                          row_count=len(parsed), default_count=sum(1 for p in parsed if p["defaulted"]),
                                          sha256=hashlib.sha256(raw).hexdigest(), created_by=actor)
    HistoricalOutcome.objects.bulk_create([HistoricalOutcome(source=source, **p) for p in parsed], batch_size=2000)
    audit_record(actor=actor, action=AuditEvent.Action.UPLOAD, obj=source, verb="outcomes_import",
                 after={"file": source.file_name, "rows": source.row_count, "defaults": source.default_count,
                        "sha256": source.sha256})
    return source
