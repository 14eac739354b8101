"""Macro scenarios, changed through the one four-eyes mechanism (``proposals``)."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import audit_record
from creditportal.core import access
from creditportal.core.canonical import jsonable
from creditportal.core.errors import Conflict, ValidationFailed
from proposals import registry as proposals_registry
from proposals import services as proposals

from .. import rules, selectors
from ..models import ScenarioChange, ScenarioSet, ScenarioState
from ._common import Action, _rule_error


SCENARIO_KEY = "scenarios"


def _set_values(item: ScenarioSet | None) -> dict:
    """What a proposal records as in force (``previous``) and ``apply`` compares: {id, name, scenarios}."""
    return {"id": item.pk, "name": item.name, "scenarios": item.scenarios} if item is not None else {}


def scenario_set_propose(*, actor, name: str, scenarios: list[dict], reason: str) -> ScenarioChange:
    """Propose forward-looking scenarios (weights in percent summing to 100, factors ≥ 0, a reason). Nothing
    applies until another risk administrator approves the proposal (``scenario_set_approve``); bad input is
    refused with the reason and nothing is saved."""
    access.require(actor, "provisions.add_scenarioset")
    errors = {}
    if not (name or "").strip():
        errors["name"] = _("Enter a name.")
    if not (reason or "").strip():
        errors["reason"] = _("Say why (the source of the forecast).")
    if errors:
        raise ValidationFailed(next(iter(errors.values())), field_errors=errors)
    try:
        clean = rules.check_scenarios(scenarios, selectors.BUCKETS)
    except rules.RuleError as error:
        raise _rule_error(error) from None
    with transaction.atomic():
        current = ScenarioSet.objects.select_for_update().filter(state=ScenarioState.ACTIVE).first()
        return proposals.change_propose(
            actor=actor, model=ScenarioChange, key=SCENARIO_KEY, previous=jsonable(_set_values(current)),
            values=jsonable({"name": name.strip()[:100], "reason": reason.strip(), "scenarios": clean}))


def _apply_scenario_change(actor, change) -> ScenarioSet:
    """Put approved scenarios in force (called by ``proposals.services.change_approve`` in its transaction):
    the set in force is retired, a new set is created from the proposal. Refused when the set in force is no
    longer the one the proposal replaced."""
    current = ScenarioSet.objects.select_for_update().filter(state=ScenarioState.ACTIVE).first()
    if jsonable(_set_values(current)) != change.previous:
        raise Conflict(_("The scenarios in force changed after this proposal was made; propose again."))
    if current is not None:
        current.retire()
        current.decided_at = current.decided_at or timezone.now()
        current.save()
        audit_record(actor=actor, action=Action.TRANSITION, obj=current, verb="scenarioset_retire",
                     after={"state": current.state, "replaced_by_change": change.pk})
    item = ScenarioSet.objects.create(
        name=change.values["name"][:100], scenarios=change.values["scenarios"], reason=change.values["reason"],
        change=change, proposed_by_id=change.proposed_by_id, proposed_at=change.proposed_at, decided_by=actor,
        decided_at=timezone.now())
    audit_record(actor=actor, action=Action.CREATE, obj=item, verb="scenarioset_in_force",
                 after={"scenarios": item.scenarios, "reason": item.reason, "change": change.pk})
    return item


def _scenario_text(values: dict) -> str:
    return "; ".join(f"{s['name']}: {s['weight']}% × {s['factor']}"
                     + (" (" + ", ".join(f"{selectors.bucket_label(b)} × {f}"
                                         for b, f in (s.get("bucket_factors") or {}).items()) + ")"
                        if s.get("bucket_factors") else "")
                     for s in values.get("scenarios") or [])


def _scenario_change_rows(change) -> list[dict]:
    before = change.previous or {}
    return [
        {"field": "name", "label": _("Name"), "before": before.get("name"), "after": change.values.get("name")},
        {"field": "scenarios", "label": _("Scenarios (weight × factor)"),
         "before": _scenario_text(before) if before else None, "after": _scenario_text(change.values)},
        {"field": "reason", "label": _("Reason"), "before": None, "after": change.values.get("reason")},
    ]


proposals_registry.register(proposals_registry.ChangeKind(
    slug=ScenarioChange.change_slug, model=ScenarioChange, apply=_apply_scenario_change,
    permission="provisions.approve_scenarioset", propose_permission="provisions.add_scenarioset",
    title=lambda change: _("Forward-looking scenarios %(name)s") % {"name": change.values.get("name", "")},
    rows=_scenario_change_rows, list_url="provisions:scenario_list",
    detail_url=lambda change: reverse("provisions:scenario_change_detail", args=[change.pk]),
    messages={"open": gettext_lazy("Forward-looking scenarios are already waiting for approval: approve, reject "
                                   "or withdraw them first.")}))


def scenario_set_approve(*, actor, change: ScenarioChange, note: str = "") -> ScenarioSet:
    """Another risk administrator puts the proposed scenarios in force (four-eyes); returns the set in force."""
    return proposals.change_approve(actor=actor, change=change, note=note)


def scenario_set_reject(*, actor, change: ScenarioChange, note: str = "") -> ScenarioChange:
    return proposals.change_reject(actor=actor, change=change, note=note)


def scenario_set_withdraw(*, actor, change: ScenarioChange, note: str = "") -> ScenarioChange:
    return proposals.change_withdraw(actor=actor, change=change, note=note)
