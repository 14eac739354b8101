"""Warning rules and provision rates: proposed, and put in force when a second risk administrator approves."""
from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import AuditEvent
from audit.services import audit_record, snapshot
from creditportal.core import access
from creditportal.core.errors import Conflict, ValidationFailed
from creditportal.core.money import to_decimal
from proposals import registry as proposals_registry
from proposals import services as proposals
from proposals import tables

from .. import rules
from ..selectors import rule_change_rows
from ..models import (
    Comparison, Metric, ProvisionRate, ProvisionRateChange, RecommendedAction, RuleChangeKind, RULE_CHANGE_FIELDS,
    Severity, Tier, WarningRule, WarningRuleChange,
)


RULE_FIELDS = RULE_CHANGE_FIELDS


def _clean_rule(fields: dict) -> dict:
    errors = {}
    if "metric" in fields and fields["metric"] not in Metric.values:
        errors["metric"] = _("Choose a listed metric.")
    if "comparison" in fields and fields["comparison"] not in Comparison.values:
        errors["comparison"] = _("Choose a listed comparison.")
    if "severity" in fields and fields["severity"] not in Severity.values:
        errors["severity"] = _("Choose a listed severity.")
    if "recommended_action" in fields and fields["recommended_action"] not in RecommendedAction.values:
        errors["recommended_action"] = _("Choose a listed action.")
    if "threshold" in fields:
        try:
            fields["threshold"] = to_decimal(fields["threshold"])
        except ValueError:
            errors["threshold"] = _("Enter a number.")
    for field in ("periods", "window_days"):
        if field in fields:
            try:
                fields[field] = int(fields[field])
            except (TypeError, ValueError):
                fields[field] = None
    if "periods" in fields and (fields["periods"] is None or fields["periods"] < 2):
        errors["periods"] = _("At least two trailing periods.")
    if "window_days" in fields and (fields["window_days"] is None or fields["window_days"] < 0):
        errors["window_days"] = _("Enter zero or more days.")
    if "enabled" in fields:
        fields["enabled"] = bool(fields["enabled"])
    if errors:
        raise ValidationFailed(_("Please correct the rule."), field_errors=errors)
    return fields


REQUIRED_RULE_FIELDS = ["name", "metric", "comparison", "threshold", "severity"]


def _rule_json(field, value):
    """A rule field's value as stored in a proposal (the threshold as a plain decimal string)."""
    if field == "threshold" and value is not None:
        return format(Decimal(value).normalize(), "f")
    return value


def _rule_value(field, value):
    return to_decimal(value) if field == "threshold" and value is not None else value


def pending_rule_changes():
    """The proposals of warning rules waiting for a second risk administrator, oldest first."""
    return proposals.pending(WarningRuleChange).select_related("rule")


def _create_rule_change(actor, **data) -> WarningRuleChange:
    return proposals.change_propose(actor=actor, model=WarningRuleChange, key=f"rule-{data['code']}", **data)


@transaction.atomic
def warning_rule_propose(*, actor, rule=None, code=None, **fields) -> WarningRuleChange:
    """Propose a new warning rule (``rule=None``, with its ``code``) or a change of ``rule`` (enabling or
    disabling it included). Four-eyes: nothing takes effect until another risk administrator approves it."""
    fields = _clean_rule({k: v for k, v in fields.items() if k in RULE_FIELDS})
    if rule is None:
        access.require(actor, "monitoring.add_warningrule")
        blank = WarningRule()
        values = {field: fields.get(field, getattr(blank, field)) for field in RULE_FIELDS}
        missing = {field: _("Required.") for field in REQUIRED_RULE_FIELDS if values[field] in (None, "")}
        if missing:
            raise ValidationFailed(_("Please correct the rule."), field_errors=missing)
        if not code or WarningRule.objects.filter(code=code).exists():
            raise ValidationFailed(_("Choose another code."), field_errors={"code": _("This code is taken.")})
        return _create_rule_change(actor, kind=RuleChangeKind.CREATE, code=code,
                                   values={k: _rule_json(k, v) for k, v in values.items()})
    access.require(actor, "monitoring.change_warningrule")
    rule = WarningRule.objects.select_for_update().get(pk=rule.pk)
    changed = {k: v for k, v in fields.items() if v != getattr(rule, k)}
    if not changed:
        raise ValidationFailed(_("This is the rule in force; nothing to change."))
    return _create_rule_change(actor, kind=RuleChangeKind.UPDATE, rule=rule, code=rule.code,
                               values={k: _rule_json(k, v) for k, v in changed.items()},
                               previous={k: _rule_json(k, getattr(rule, k)) for k in changed})


def _rule_change_permission(change) -> str:
    return "monitoring.add_warningrule" if change.kind == RuleChangeKind.CREATE else "monitoring.change_warningrule"


def _apply_rule_change(actor, change) -> WarningRule:
    """Put an approved rule proposal in force (called by ``proposals.services.change_approve``)."""
    values = {k: _rule_value(k, v) for k, v in change.values.items() if k in RULE_FIELDS}
    if change.kind == RuleChangeKind.CREATE:
        if WarningRule.objects.filter(code=change.code).exists():
            raise Conflict(_("A rule with this code exists already; reject this proposal."))
        rule = WarningRule.objects.create(code=change.code, updated_by=actor, **values)
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=rule, after=snapshot(rule))
    else:
        rule = WarningRule.objects.select_for_update().get(pk=change.rule_id)
        stale = [k for k, v in change.previous.items() if _rule_json(k, getattr(rule, k)) != v]
        if stale:
            raise Conflict(_("The rule was changed after this proposal; reject it and propose again."))
        before = snapshot(rule)
        for key, value in values.items():
            setattr(rule, key, value)
        rule.updated_by = actor
        rule.save()
        after = snapshot(rule)
        changed = sorted(k for k in after if before.get(k) != after.get(k) and k not in ("updated_at",))
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=rule,
                     before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    change.rule = rule
    return rule


def _rule_change_title(change) -> str:
    return f"{change.get_kind_display()}: {change.code}"


proposals_registry.register(proposals_registry.ChangeKind(
    slug=WarningRuleChange.change_slug, model=WarningRuleChange, apply=_apply_rule_change,
    permission=_rule_change_permission, title=_rule_change_title, rows=rule_change_rows,
    audit_extra=lambda change: {"code": change.code, "rule_id": change.rule_id},
    messages={"open": gettext_lazy("A change of this rule is already waiting for approval.")}))


def current_rates() -> dict[str, Decimal]:
    rates = dict(rules.DEFAULT_PROVISION_RATES)
    rates.update(dict(ProvisionRate.objects.values_list("tier", "rate")))
    return rates


def _clean_rates(rates: dict) -> dict[str, Decimal]:
    errors, clean = {}, {}
    for tier, value in rates.items():
        if tier not in rules.TIERS:
            errors[tier] = _("Unknown tier.")
            continue
        try:
            rate = to_decimal(value)
        except ValueError:
            errors[tier] = _("Enter a number.")
            continue
        if not (0 <= rate <= 1):
            errors[tier] = _("A rate is a fraction between 0 and 1.")
        clean[tier] = rate
    if errors:
        raise ValidationFailed(_("Please correct the rates."), field_errors=errors)
    return clean


def pending_rate_change():
    return proposals.pending(ProvisionRateChange).first()


@transaction.atomic
def provision_rates_propose(*, actor, rates: dict) -> ProvisionRateChange:
    """Propose new provision rates (four-eyes: they apply when another risk administrator approves them)."""
    access.require(actor, "monitoring.change_provisionrate")
    clean = _clean_rates(rates)
    return tables.table_propose(actor=actor, model=ProvisionRateChange, key="provision-rates", proposed=clean,
                                current=current_rates(), as_json=str,
                                unchanged=_("These are the rates in force; nothing to change."))


def _apply_rate_change(actor, change) -> dict[str, Decimal]:
    """Put approved provision rates in force (called by ``proposals.services.change_approve``)."""
    tables.table_apply(actor=actor, change=change, read=lambda: {k: str(v) for k, v in current_rates().items()},
                       write=lambda tier, rate: ProvisionRate.objects.update_or_create(
                           tier=tier, defaults={"rate": to_decimal(rate), "updated_by": actor}),
                       object_type="monitoring.provisionrate", object_repr="provision rates")
    return current_rates()


def _rate_change_rows(change):
    labels = dict(Tier.choices)
    return [{"field": tier, "label": str(labels.get(tier, tier)), "before": change.previous.get(tier),
             "after": rate} for tier, rate in change.values.items()]


proposals_registry.register(proposals_registry.ChangeKind(
    slug=ProvisionRateChange.change_slug, model=ProvisionRateChange, apply=_apply_rate_change,
    permission="monitoring.change_provisionrate", title=lambda change: _("Provision rates"), rows=_rate_change_rows,
    list_url="monitoring:provision_run_list",
    messages={"open": gettext_lazy("A change of the provision rates is already waiting for approval.")}))
