"""The haircut table by collateral type and the recovery factors of guarantees by grade (issue 23): proposed by a
risk administrator, put in force by another one (four-eyes, ``proposals``; kinds ``credit.collateral_haircuts``
and ``credit.recovery_factors``, registered here)."""
from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from creditportal.core import access
from creditportal.core.errors import ValidationFailed
from creditportal.core.formatting import percent
from creditportal.core.money import to_decimal
from proposals import registry as proposals_registry
from proposals import services as proposals
from proposals import tables

from .. import rules
from ..models import Collateral, CollateralHaircut, CollateralHaircutChange, RecoveryFactor, RecoveryFactorChange
from ..security import current_haircuts, current_recovery_factors, recovery_grades

HAIRCUT_PERMISSION = "credit.change_collateralhaircut"
RECOVERY_PERMISSION = "credit.change_recoveryfactor"
HAIRCUTS_KEY = "haircuts"
RECOVERY_KEY = "recovery-factors"


def _fraction(value, field: str, errors: dict) -> Decimal | None:
    try:
        number = to_decimal(value)
    except (TypeError, ValueError):
        errors[field] = _("Enter a number.")
        return None
    if not (0 <= number <= 1):
        errors[field] = _("A fraction between 0 and 1.")
        return None
    return number.quantize(Decimal("0.0001"))


# --- Haircut table ----------------------------------------------------------------------------------

def _haircut_json(haircut: Decimal, months: int) -> dict:
    return {"haircut": str(Decimal(haircut).quantize(Decimal("0.0001"))), "revaluation_months": int(months)}


def pending_haircut_change():
    return proposals.pending(CollateralHaircutChange).first()


@transaction.atomic
def haircuts_propose(*, actor, table: dict) -> CollateralHaircutChange:
    """Propose haircuts and revaluation intervals (``{kind: {"haircut", "revaluation_months"}}``, only the types
    that change need be given); they apply when another risk administrator approves them."""
    access.require(actor, HAIRCUT_PERMISSION)
    errors, clean = {}, {}
    for kind, row in (table or {}).items():
        if kind not in Collateral.Kind.values:
            errors[str(kind)] = _("Unknown collateral type.")
            continue
        row = row or {}
        haircut = _fraction(row.get("haircut"), f"{kind}.haircut", errors)
        try:
            months = int(str(row.get("revaluation_months", "")).strip())
        except ValueError:
            months = 0
        if not 1 <= months <= 120:
            errors[f"{kind}.revaluation_months"] = _("Between 1 and 120 months.")
        if haircut is not None and 1 <= months <= 120:
            clean[kind] = _haircut_json(haircut, months)
    if errors:
        raise ValidationFailed(_("Please correct the haircut table."), field_errors=errors)
    return tables.table_propose(actor=actor, model=CollateralHaircutChange, key=HAIRCUTS_KEY, proposed=clean,
                                current=_haircuts_json(),
                                unchanged=_("This is the haircut table in force; nothing to change."))


def _haircuts_json() -> dict:
    return {kind: _haircut_json(*value) for kind, value in current_haircuts().items()}


def _write_haircut(actor, kind, row):
    CollateralHaircut.objects.update_or_create(kind=kind, defaults={
        "haircut": to_decimal(row["haircut"]), "revaluation_months": int(row["revaluation_months"]),
        "updated_by": actor})


def _apply_haircut_change(actor, change) -> dict:
    tables.table_apply(actor=actor, change=change, read=_haircuts_json,
                       write=lambda kind, row: _write_haircut(actor, kind, row),
                       object_type="credit.collateralhaircut", object_repr="collateral haircuts",
                       conflict=_("The haircut table changed since this proposal; propose again."))
    return current_haircuts()


def _percent(value):
    """A stored fraction on the decision page as people read it: "0.4000" → "40%" (none stays none)."""
    return None if value is None else percent(value, -2)


def _haircut_rows(change):
    labels = dict(Collateral.Kind.choices)
    rows = []
    for kind, row in change.values.items():
        previous = change.previous.get(kind) or {}
        rows.append({"field": f"{kind}.haircut", "label": _("%(kind)s: haircut") % {"kind": labels.get(kind, kind)},
                     "before": _percent(previous.get("haircut")), "after": _percent(row["haircut"])})
        rows.append({"field": f"{kind}.revaluation_months",
                     "label": _("%(kind)s: revaluation (months)") % {"kind": labels.get(kind, kind)},
                     "before": previous.get("revaluation_months"), "after": row["revaluation_months"]})
    return rows


proposals_registry.register(proposals_registry.ChangeKind(
    slug=CollateralHaircutChange.change_slug, model=CollateralHaircutChange, apply=_apply_haircut_change,
    permission=HAIRCUT_PERMISSION, title=lambda change: _("Collateral haircut table"), rows=_haircut_rows,
    list_url="credit:haircut_table",
    messages={"open": gettext_lazy("A change of the haircut table is already waiting for approval.")}))


# --- Recovery factors ---------------------------------------------------------------------------------

def pending_recovery_change():
    return proposals.pending(RecoveryFactorChange).first()


@transaction.atomic
def recovery_factors_propose(*, actor, factors: dict) -> RecoveryFactorChange:
    """Propose recovery factors by grade (``{grade: "0.8"}``, ``unrated`` included); they apply when another
    risk administrator approves them."""
    access.require(actor, RECOVERY_PERMISSION)
    grades = recovery_grades()
    errors, clean = {}, {}
    for grade, value in (factors or {}).items():
        if grade not in grades:
            errors[str(grade)] = _("Unknown grade.")
            continue
        factor = _fraction(value, grade, errors)
        if factor is not None:
            clean[grade] = str(factor)
    if errors:
        raise ValidationFailed(_("Please correct the recovery factors."), field_errors=errors)
    return tables.table_propose(actor=actor, model=RecoveryFactorChange, key=RECOVERY_KEY, proposed=clean,
                                current=_recovery_json(),
                                unchanged=_("These are the recovery factors in force; nothing to change."))


def _recovery_json() -> dict:
    return {g: str(Decimal(f).quantize(Decimal("0.0001"))) for g, f in current_recovery_factors().items()}


def _apply_recovery_change(actor, change) -> dict:
    tables.table_apply(actor=actor, change=change, read=_recovery_json,
                       write=lambda grade, value: RecoveryFactor.objects.update_or_create(
                           grade=grade, defaults={"factor": to_decimal(value), "updated_by": actor}),
                       object_type="credit.recoveryfactor", object_repr="guarantor recovery factors",
                       conflict=_("The recovery factors changed since this proposal; propose again."))
    return current_recovery_factors()


def grade_label(grade: str) -> str:
    return _("unrated") if grade == rules.UNRATED else grade


def _recovery_rows(change):
    return [{"field": grade, "label": grade_label(grade), "before": _percent(change.previous.get(grade)),
             "after": _percent(value)} for grade, value in change.values.items()]


proposals_registry.register(proposals_registry.ChangeKind(
    slug=RecoveryFactorChange.change_slug, model=RecoveryFactorChange, apply=_apply_recovery_change,
    permission=RECOVERY_PERMISSION, title=lambda change: _("Guarantor recovery factors"), rows=_recovery_rows,
    list_url="credit:recovery_table",
    messages={"open": gettext_lazy("A change of the recovery factors is already waiting for approval.")}))
