"""Every write of the monitoring app: rule evaluation and alerts, watchlist, classification, provisions.

Services take keyword-only arguments with an explicit ``actor``, check the permission with
``access.require``, run in one transaction and write the audit trail in it. Automatic work (the daily
evaluation, the month-end run) acts as ``accounts.system.system_user()`` through these same services.
"""
from __future__ import annotations

import calendar
import logging
import datetime as dt
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from audit.models import AuditEvent
from audit.services import audit_record, object_type_of, snapshot
from creditportal.core import access, clock, request_context
from creditportal.core.canonical import jsonable
from creditportal.core.errors import Conflict, NotAllowed, ValidationFailed
from creditportal.core.money import MissingRate, RateTable
from customers.models import Customer, CustomerStatus
from proposals import registry as proposals_registry
from proposals import services as proposals

from . import rules, metrics
from .models import (
    ACTIVE_ALERT_STATES, Alert, AlertStatus, AssetClassification, ClassificationStatus, Comparison, Metric,
    ProvisionLine, ProvisionRate, ProvisionRateChange, ProvisionRun, RecommendedAction, RuleChangeKind,
    RULE_CHANGE_FIELDS, Severity, Tier, WarningRule, WarningRuleChange, WatchlistEntry,
)

CHUNK = 1000
ZERO = Decimal("0")
log = logging.getLogger("creditportal.monitoring")


def _chunks(ids, size=CHUNK):
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _require_visible_customer(actor, customer_id):
    if not Customer.objects.visible_to(actor).filter(pk=customer_id).exists():
        raise NotAllowed(_("This customer is not in your portfolio."))


def _bulk_audit(actor, action, objects, *, verb="", after_fn=None, repr_fn=str):
    """One audit event per object, written in one INSERT (batch jobs)."""
    ip = request_context.client_ip()
    events = [
        AuditEvent(actor_id=getattr(actor, "pk", None), actor_username=getattr(actor, "username", "") or "",
                   action=action, verb=verb[:100], object_type=object_type_of(obj), object_id=str(obj.pk),
                   object_repr=repr_fn(obj)[:255], after=jsonable(after_fn(obj)) if after_fn else None, ip_address=ip)
        for obj in objects
    ]
    if events:
        AuditEvent.objects.bulk_create(events, batch_size=1000)


# --- Evaluation -----------------------------------------------------------------------------------

def evaluation_customer_ids(customer_ids=None):
    queryset = Customer.objects.exclude(status__in=[CustomerStatus.CLOSED, CustomerStatus.PROSPECT])
    if customer_ids is not None:
        queryset = queryset.filter(pk__in=list(customer_ids))
    return list(queryset.order_by("pk").values_list("pk", flat=True))


def alerts_evaluate(*, actor, on_date=None, customer_ids=None, rule_ids=None) -> dict:
    """Evaluate the enabled rules for the customers (all active ones by default), set-wise in chunks.

    One active (open or acknowledged) alert per rule and customer: a rule that fires again updates it
    (value, detail, severity, last seen); an active alert whose condition no longer holds is marked
    ``still_firing=False`` (a person resolves it). Returns counts ``{"created", "updated", "cleared"}``.
    """
    access.require(actor, "monitoring.add_alert")
    on_date = on_date or clock.today()
    warning_rules = list(WarningRule.objects.filter(enabled=True, **({"pk__in": list(rule_ids)} if rule_ids else {}))
                 .order_by("pk"))
    summary = {"created": 0, "updated": 0, "cleared": 0, "customers": 0, "rules": len(warning_rules)}
    if not warning_rules:
        return summary
    table = RateTable(on_date)
    grades = metrics.grade_order()
    for chunk in _chunks(evaluation_customer_ids(customer_ids)):
        for attempt in range(2):
            try:
                with transaction.atomic():
                    counts = _evaluate_chunk(actor, warning_rules, chunk, on_date, table, grades)
                break
            except IntegrityError:  # another evaluation created the same alert at the same time: redo
                if attempt:
                    raise
        for key in ("created", "updated", "cleared"):
            summary[key] += counts[key]
        summary["customers"] += len(chunk)
    with transaction.atomic():
        audit_record(actor=actor, action=AuditEvent.Action.RUN, verb="alerts_evaluate",
                     object_type="monitoring.warningrule", object_repr=f"evaluation {on_date}",
                     after={"on_date": on_date, **summary})
    return summary


def _evaluate_chunk(actor, warning_rules, chunk, on_date, table, grades) -> dict:
    ctx = metrics.EvaluationContext(chunk, on_date, table=table, grades=grades)
    fired = {}
    failed_rules = set()
    for rule in warning_rules:
        try:
            with transaction.atomic():  # a savepoint: one failing metric does not stop the others
                values = metrics.compute(rule.metric, ctx, rule)
        except (DatabaseError, LookupError, ArithmeticError, ValueError):
            log.exception("monitoring: metric %s of rule %s failed", rule.metric, rule.code)
            failed_rules.add(rule.pk)
            continue
        for customer_id, (value, detail) in values.items():
            if rule.fires(value):
                fired[(rule.pk, customer_id)] = (value, detail)
    existing = {
        (a.rule_id, a.customer_id): a
        for a in Alert.objects.select_for_update().filter(rule__in=warning_rules, customer_id__in=chunk,
                                                          status__in=ACTIVE_ALERT_STATES)
    }
    rule_by_id = {r.pk: r for r in warning_rules}
    to_create, to_update, cleared = [], [], []
    for key, (value, detail) in fired.items():
        rule = rule_by_id[key[0]]
        alert = existing.get(key)
        if alert is None:
            to_create.append(Alert(rule=rule, customer_id=key[1], severity=rule.severity, value=value,
                                   detail=jsonable(detail), recommended_action=rule.recommended_action,
                                   raised_on=on_date, last_seen_on=on_date, still_firing=True))
        else:
            if alert.last_seen_on < on_date:
                alert.times_seen += 1
            alert.value, alert.detail, alert.severity = value, jsonable(detail), rule.severity
            alert.recommended_action = rule.recommended_action
            alert.last_seen_on = max(alert.last_seen_on, on_date)
            alert.still_firing = True
            to_update.append(alert)
    for key, alert in existing.items():
        if key not in fired and alert.still_firing and key[0] not in failed_rules:
            alert.still_firing = False
            cleared.append(alert)
    if to_create:
        Alert.objects.bulk_create(to_create, batch_size=500)
        _bulk_audit(actor, AuditEvent.Action.CREATE, to_create, verb="alert_raised",
                    repr_fn=lambda a: f"{a.rule.name} · customer {a.customer_id}",
                    after_fn=lambda a: {"rule": a.rule.code, "customer_id": a.customer_id, "value": a.value,
                                        "severity": a.severity})
    if to_update or cleared:
        now = timezone.now()
        for alert in to_update + cleared:
            alert.updated_at = now
        Alert.objects.bulk_update(to_update + cleared, ["value", "detail", "severity", "recommended_action",
                                                        "last_seen_on", "times_seen", "still_firing",
                                                        "updated_at"], batch_size=500)
    return {"created": len(to_create), "updated": len(to_update), "cleared": len(cleared)}


# --- Alert workflow -------------------------------------------------------------------------------

def _alert_state(alert) -> dict:
    return {"status": alert.status, "comment": alert.comment, "action_taken": alert.action_taken}


def _locked_alert(actor, alert) -> Alert:
    access.require(actor, "monitoring.handle_alert")
    _require_visible_customer(actor, alert.customer_id)
    return Alert.objects.select_for_update().select_related("rule", "customer").get(pk=alert.pk)


def _alert_transition(*, actor, alert, method, comment, comment_required):
    comment = (comment or "").strip()
    if comment_required and not comment:
        raise ValidationFailed(_("Please give a comment."), field_errors={"comment": _("A comment is required.")})
    locked = _locked_alert(actor, alert)
    transition = getattr(locked, method)
    if not can_proceed(transition):
        raise Conflict(_("This alert is %(status)s: it cannot be changed this way.")
                       % {"status": locked.get_status_display()})
    before = _alert_state(locked)
    transition()
    if comment:
        locked.comment = f"{locked.comment}\n{comment}".strip() if locked.comment else comment
    locked.handled_by, locked.handled_at = actor, timezone.now()
    if locked.owner_id is None:
        locked.owner = actor
    locked.save()
    audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=locked, verb=method, before=before,
                 after=_alert_state(locked))
    return locked


@transaction.atomic
def alert_acknowledge(*, actor, alert, comment="") -> Alert:
    return _alert_transition(actor=actor, alert=alert, method="acknowledge", comment=comment, comment_required=False)


@transaction.atomic
def alert_resolve(*, actor, alert, comment) -> Alert:
    return _alert_transition(actor=actor, alert=alert, method="resolve", comment=comment, comment_required=True)


@transaction.atomic
def alert_dismiss(*, actor, alert, comment) -> Alert:
    return _alert_transition(actor=actor, alert=alert, method="dismiss", comment=comment, comment_required=True)


def available_actions(alert, user) -> list[str]:
    """The workflow actions ``user`` may take on ``alert`` now (for the page and the API)."""
    if not access.has(user, "monitoring.handle_alert"):
        return []
    return [name for name in ("acknowledge", "resolve", "dismiss") if can_proceed(getattr(alert, name))]


def recommended_actions_for(alert, user) -> list[str]:
    """Recommended actions ``user`` may start from the alert (the services check again)."""
    if not alert.is_active:
        return []
    needed = {
        RecommendedAction.RERATE: "ratings.add_rating",
        RecommendedAction.REDUCE_LIMIT: "credit.change_facility",
        RecommendedAction.SUSPEND: "credit.suspend_facility",
        RecommendedAction.ASK_COLLATERAL: "monitoring.handle_alert",
    }
    return [action for action, perm in needed.items() if access.has(user, perm)]


def _facility_for(alert, facility_id=None, *, include_suspended=False):
    from credit.models import Facility

    states = [Facility.Status.ACTIVE, Facility.Status.SUSPENDED] if include_suspended else [Facility.Status.ACTIVE]
    queryset = Facility.objects.filter(customer_id=alert.customer_id, status__in=states)
    if facility_id:
        queryset = queryset.filter(pk=facility_id)
    facility = queryset.order_by("-limit", "pk").first()
    if facility is None:
        raise ValidationFailed(_("The customer has no active facility to act on."))
    return facility


@transaction.atomic
def alert_start_action(*, actor, alert, action, comment="", facility_id=None, new_limit=None) -> Alert:
    """Start the alert's recommended action through the owning app's service (with its permission
    checks), record it on the alert and acknowledge an open alert."""
    locked = _locked_alert(actor, alert)
    if not locked.is_active:
        raise Conflict(_("This alert is closed; no action can be started from it."))
    reason = (comment or "").strip() or _("Alert: %(rule)s") % {"rule": locked.rule.name}
    if action == RecommendedAction.SUSPEND:
        from credit import services as credit_services

        facility = _facility_for(locked, facility_id)
        credit_services.facility_suspend(actor=actor, facility=facility, reason=reason)
        taken = _("facility #%(id)s suspended") % {"id": facility.pk}
    elif action == RecommendedAction.REDUCE_LIMIT:
        from credit import services as credit_services

        facility = _facility_for(locked, facility_id, include_suspended=True)
        try:
            amount = Decimal(str(new_limit))
        except (InvalidOperation, TypeError):
            raise ValidationFailed(_("Enter the new, lower limit."), field_errors={"new_limit": _("Enter a number.")})
        credit_services.facility_reduce_limit(actor=actor, facility=facility, new_limit=amount, reason=reason)
        taken = _("limit of facility #%(id)s reduced to %(limit)s") % {"id": facility.pk, "limit": amount}
    elif action == RecommendedAction.RERATE:
        from ratings import services as rating_services

        rating = rating_services.rating_start(actor=actor, customer=locked.customer)
        taken = _("re-rating started (rating #%(id)s)") % {"id": getattr(rating, "pk", "?")}
    elif action == RecommendedAction.ASK_COLLATERAL:
        access.require(actor, "monitoring.handle_alert")
        taken = _("collateral requested from the customer")
    else:
        raise ValidationFailed(_("Unknown action."), field_errors={"action": _("Choose a listed action.")})
    before = _alert_state(locked)
    if locked.status == AlertStatus.OPEN:
        locked.acknowledge()
    locked.action_taken = f"{locked.action_taken}; {taken}".strip("; ") if locked.action_taken else taken
    if comment:
        locked.comment = f"{locked.comment}\n{comment}".strip() if locked.comment else comment
    locked.handled_by, locked.handled_at = actor, timezone.now()
    if locked.owner_id is None:
        locked.owner = actor
    locked.save()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=locked, verb=f"action_{action}", before=before,
                 after=_alert_state(locked))
    return locked


# --- Warning rules and rates ---------------------------------------------------------------------

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
            fields["threshold"] = Decimal(str(fields["threshold"]))
            if not fields["threshold"].is_finite():
                raise InvalidOperation
        except (InvalidOperation, TypeError):
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
    return Decimal(value) if field == "threshold" and value is not None else value


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


def _rule_change_rows(change):
    from .selectors import rule_change_rows

    return rule_change_rows(change)


proposals_registry.register(proposals_registry.ChangeKind(
    slug=WarningRuleChange.change_slug, model=WarningRuleChange, apply=_apply_rule_change,
    permission=_rule_change_permission, title=_rule_change_title, rows=_rule_change_rows,
    audit_extra=lambda change: {"code": change.code, "rule_id": change.rule_id},
    messages={"open": gettext_lazy("A change of this rule is already waiting for approval.")}))


def warning_rule_change_approve(*, actor, change, note="") -> WarningRule:
    """A second risk administrator puts the proposed rule (or change) in force."""
    return proposals.change_approve(actor=actor, change=change, note=note)


def warning_rule_change_reject(*, actor, change, note="") -> WarningRuleChange:
    """A second risk administrator turns the proposal down, with the reason; the rules stay as they are."""
    return proposals.change_reject(actor=actor, change=change, note=note)


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
            rate = Decimal(str(value))
        except (InvalidOperation, TypeError):
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
    current = current_rates()
    changed = {tier: rate for tier, rate in clean.items() if rate != current.get(tier)}
    if not changed:
        raise ValidationFailed(_("These are the rates in force; nothing to change."))
    return proposals.change_propose(actor=actor, model=ProvisionRateChange, key="provision-rates",
                                    values={tier: str(rate) for tier, rate in changed.items()},
                                    previous={tier: str(current.get(tier)) for tier in changed})


def _apply_rate_change(actor, change) -> dict[str, Decimal]:
    """Put approved provision rates in force (called by ``proposals.services.change_approve``)."""
    before = {k: str(v) for k, v in current_rates().items()}
    for tier, rate in change.values.items():
        ProvisionRate.objects.update_or_create(tier=tier, defaults={"rate": Decimal(rate), "updated_by": actor})
    after = {k: str(v) for k, v in current_rates().items()}
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, object_type="monitoring.provisionrate",
                 object_repr="provision rates", before=before, after=after)
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


def provision_rates_approve(*, actor, change, note="") -> dict[str, Decimal]:
    """A second risk administrator puts the proposed rates in force; they apply from the next run."""
    return proposals.change_approve(actor=actor, change=change, note=note)


def provision_rates_reject(*, actor, change, note="") -> ProvisionRateChange:
    return proposals.change_reject(actor=actor, change=change, note=note)


# --- Watchlist -----------------------------------------------------------------------------------

@transaction.atomic
def watchlist_add(*, actor, customer, reason, owner=None, since=None, until=None, alert=None) -> WatchlistEntry:
    access.require(actor, "monitoring.add_watchlistentry")
    _require_visible_customer(actor, customer.pk)
    reason = (reason or "").strip()
    since = since or clock.today()
    errors = {}
    if not reason:
        errors["reason"] = _("Give the reason for the closer watch.")
    if until is not None and until < since:
        errors["until"] = _("The end cannot be before the start.")
    if errors:
        raise ValidationFailed(_("Please correct the entry."), field_errors=errors)
    if WatchlistEntry.objects.filter(customer=customer).current(since).exists():
        raise ValidationFailed(_("The customer is already on the watchlist."))
    entry = WatchlistEntry.objects.create(customer=customer, reason=reason, owner=owner or actor, since=since,
                                          until=until, alert=alert, created_by=actor)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=entry, after=snapshot(entry))
    return entry


@transaction.atomic
def watchlist_update(*, actor, entry, reason=None, owner=None, until=None, clear_until=False) -> WatchlistEntry:
    access.require(actor, "monitoring.change_watchlistentry")
    _require_visible_customer(actor, entry.customer_id)
    entry = WatchlistEntry.objects.select_for_update().get(pk=entry.pk)
    before = snapshot(entry)
    if reason is not None:
        if not reason.strip():
            raise ValidationFailed(_("Give the reason for the closer watch."),
                                   field_errors={"reason": _("Required.")})
        entry.reason = reason.strip()
    if owner is not None:
        entry.owner = owner
    if until is not None or clear_until:
        if until is not None and until < entry.since:
            raise ValidationFailed(_("The end cannot be before the start."),
                                   field_errors={"until": _("Before the start.")})
        entry.until = until
    entry.save()
    after = snapshot(entry)
    changed = sorted(k for k in after if before.get(k) != after.get(k) and k != "updated_at")
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=entry,
                 before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return entry


def watchlist_end(*, actor, entry) -> WatchlistEntry:
    return watchlist_update(actor=actor, entry=entry, until=max(clock.today(), entry.since))


# --- Asset classification --------------------------------------------------------------------------

def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def default_period(today: dt.date | None = None) -> dt.date:
    """The month end to classify: today if it is a month end, else the last day of the previous month."""
    today = today or clock.today()
    if today == month_end(today):
        return today
    return today.replace(day=1) - dt.timedelta(days=1)


def _exposures(customer_ids, as_of, table) -> tuple[dict[int, Decimal], dict[int, int]]:
    """({customer_id: open receivables in the reporting currency}, {customer_id: days past due}) (2 queries).

    Exposure is the outstanding amount of the invoices issued by ``as_of`` and still open; days past due
    are collection's one definition by debtor (its oldest overdue invoice), so the worst exposure's floor
    applies to all of the customer's exposures. (A month classified after its end uses today's open
    amounts: payments received since then are not undone.)
    """
    from collection.models import Invoice, InvoiceStatus
    from collection.selectors import days_past_due
    from django.db.models import F, Sum

    rows = (Invoice.objects.filter(customer_id__in=customer_ids, status=InvoiceStatus.OPEN, issue_date__lte=as_of)
            .values("customer_id", "currency")
            .annotate(total=Sum(F("amount") - F("paid_amount") - F("written_off_amount"))))
    exposure = {}
    for row in rows:
        cid = row["customer_id"]
        exposure[cid] = exposure.get(cid, ZERO) + table.convert(row["total"] or ZERO, row["currency"])
    return exposure, days_past_due(customer_ids, as_of)


def grade_floors() -> dict[str, str]:
    """The classification floor by rating letter (``settings.CLASSIFICATION_GRADE_FLOORS`` or the brief's)."""
    configured = getattr(settings, "CLASSIFICATION_GRADE_FLOORS", None)
    return dict(rules.DEFAULT_GRADE_FLOORS if configured is None else configured)


def rating_letters(customer_ids, as_of: dt.date) -> dict[int, str]:
    """{customer_id: letter of the rating in force on ``as_of``} (the latest approved by then; one query)."""
    from ratings.models import Rating, RatingState

    rows = (Rating.objects.filter(customer_id__in=list(customer_ids), approved_on__lte=as_of,
                                  state__in=[RatingState.APPROVED, RatingState.SUPERSEDED])
            .order_by("customer_id", "-approved_on", "-approved_at", "-id").values_list("customer_id", "letter"))
    letters = {}
    for cid, letter in rows:
        letters.setdefault(cid, letter)
    return letters


def _classify_period(actor, period: dt.date) -> dict:
    """Classify every customer with exposure (or an earlier classification) for the month ``period``."""
    as_of = min(period, clock.today())
    table = RateTable(as_of)
    floors = grade_floors()
    previous_period = period.replace(day=1) - dt.timedelta(days=1)
    candidates = set(Customer.objects.filter(invoices__status="open").values_list("pk", flat=True).distinct())
    candidates |= set(AssetClassification.objects.filter(period__in=[period, previous_period])
                      .values_list("customer_id", flat=True))
    created = updated = 0
    for chunk in _chunks(sorted(candidates)):
        exposure, dpd = _exposures(chunk, as_of, table)
        letters = rating_letters(chunk, as_of)
        existing = {c.customer_id: c for c in AssetClassification.objects.select_for_update()
                    .filter(period=period, customer_id__in=chunk)}
        carried = {c.customer_id: c for c in AssetClassification.objects
                   .filter(period=previous_period, customer_id__in=chunk, manual=True)}
        to_create, to_update = [], []
        for cid in chunk:
            days, letter = dpd.get(cid, 0), letters.get(cid, "")
            row = existing.get(cid)
            if row is None:
                before = carried.get(cid)
                result = rules.classify(days_past_due=days, letter=letter, floors=floors,
                                        manual_tier=before.tier if before is not None else None)
                manual = result.tier != result.floor
                to_create.append(AssetClassification(
                    customer_id=cid, period=period, days_past_due=days, exposure=exposure.get(cid, ZERO),
                    currency=table.reporting_currency, letter=letter, floor_tier=result.floor, tier=result.tier,
                    manual=manual, reason=before.reason if manual else ""))
            else:
                result = rules.classify(days_past_due=days, letter=letter, floors=floors,
                                        manual_tier=row.tier if row.manual else None)
                row.days_past_due, row.exposure, row.letter = days, exposure.get(cid, ZERO), letter
                row.floor_tier, row.tier = result.floor, result.tier
                row.manual = result.tier != result.floor
                to_update.append(row)
        if to_create:
            AssetClassification.objects.bulk_create(to_create, batch_size=500)
            created += len(to_create)
        if to_update:
            AssetClassification.objects.bulk_update(to_update, ["days_past_due", "exposure", "letter", "floor_tier",
                                                                "tier", "manual", "updated_at"], batch_size=500)
            updated += len(to_update)
    return {"period": period, "created": created, "updated": updated}


@transaction.atomic
def classification_run(*, actor, period=None) -> dict:
    """The monthly classification by debtor: the worse of the floor by days past due, the floor by the
    rating's letter and a manual tier (carried forward) — ``rules.classify``."""
    if not (access.has(actor, "monitoring.classify_exposure") or access.has(actor, "monitoring.run_provisions")):
        access.require(actor, "monitoring.classify_exposure")
    period = month_end(period or default_period())
    try:
        result = _classify_period(actor, period)
    except MissingRate as exc:
        raise ValidationFailed(_("An FX rate is missing: %(error)s") % {"error": exc}) from exc
    audit_record(actor=actor, action=AuditEvent.Action.RUN, verb="classification_run",
                 object_type="monitoring.assetclassification", object_repr=f"classification {period:%Y-%m}",
                 after=result)
    return result


def _classification_state(c) -> dict:
    return {"tier": c.tier, "floor_tier": c.floor_tier, "manual": c.manual, "status": c.status,
            "requested_tier": c.requested_tier, "reason": c.reason}


def _locked_classification(actor, classification):
    _require_visible_customer(actor, classification.customer_id)
    return AssetClassification.objects.select_for_update().get(pk=classification.pk)


@transaction.atomic
def classification_request(*, actor, classification, tier, reason) -> AssetClassification:
    """Ask for a manual tier (worse than or equal to the floor, with a reason); a second person approves."""
    access.require(actor, "monitoring.classify_exposure")
    locked = _locked_classification(actor, classification)
    reason = (reason or "").strip()
    errors = {}
    if tier not in rules.TIERS:
        errors["tier"] = _("Choose a listed tier.")
    elif not rules.check_manual_tier(tier, locked.floor_tier):
        errors["tier"] = _("A tier better than the floor (%(floor)s) is not allowed.") % {
            "floor": Tier(locked.floor_tier).label}
    elif tier == locked.tier:
        errors["tier"] = _("This is already the tier.")
    if not reason:
        errors["reason"] = _("Give the reason for the manual classification.")
    if errors:
        raise ValidationFailed(next(iter(errors.values())), field_errors=errors)
    if not can_proceed(locked.request_reclassification):
        raise Conflict(_("A reclassification of this exposure is already waiting for approval."))
    before = _classification_state(locked)
    locked.request_reclassification()
    locked.requested_tier, locked.request_reason = tier, reason
    locked.requested_by, locked.requested_at = actor, timezone.now()
    locked.approved_by, locked.approved_at = None, None
    locked.save()
    audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=locked, verb="request_reclassification",
                 before=before, after=_classification_state(locked))
    return locked


@transaction.atomic
def classification_approve(*, actor, classification, comment="") -> AssetClassification:
    """Four-eyes: an approver other than the requester applies the requested tier."""
    access.require(actor, "monitoring.approve_classification")
    locked = _locked_classification(actor, classification)
    if not can_proceed(locked.approve):
        raise Conflict(_("No reclassification is waiting for approval."))
    access.require_other_person(actor, locked.requested_by_id,
                                _("Four-eyes rule: you cannot approve a reclassification you requested."))
    if rules.is_better_than(locked.requested_tier, locked.floor_tier):
        raise ValidationFailed(_("The requested tier is now better than the floor; request again."))
    before = _classification_state(locked)
    locked.approve()
    locked.tier = locked.requested_tier
    locked.manual = locked.tier != locked.floor_tier
    locked.reason = locked.request_reason
    locked.requested_tier = ""
    locked.approved_by, locked.approved_at = actor, timezone.now()
    locked.save()
    audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=locked, verb="approve_reclassification",
                 before=before, after={**_classification_state(locked), "comment": comment})
    return locked


@transaction.atomic
def classification_reject(*, actor, classification, comment="") -> AssetClassification:
    access.require(actor, "monitoring.approve_classification")
    locked = _locked_classification(actor, classification)
    if not can_proceed(locked.reject):
        raise Conflict(_("No reclassification is waiting for approval."))
    access.require_other_person(actor, locked.requested_by_id,
                                _("Four-eyes rule: you cannot decide on a reclassification you requested."))
    before = _classification_state(locked)
    locked.reject()
    locked.requested_tier = ""
    locked.save()
    audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=locked, verb="reject_reclassification",
                 before=before, after={**_classification_state(locked), "comment": comment})
    return locked


# --- Provisions ------------------------------------------------------------------------------------

@transaction.atomic
def provision_run(*, actor, period=None) -> ProvisionRun:
    """The month-end run: classify the month, then provision = exposure × tier rate, one line per customer.

    Running a month again replaces its lines (idempotent)."""
    access.require(actor, "monitoring.run_provisions")
    period = month_end(period or default_period())
    try:
        _classify_period(actor, period)
    except MissingRate as exc:
        raise ValidationFailed(_("An FX rate is missing: %(error)s") % {"error": exc}) from exc
    rates = current_rates()
    rows = list(AssetClassification.objects.filter(period=period, exposure__gt=0)
                .values_list("customer_id", "tier", "exposure"))
    exposures = {cid: exposure for cid, _tier, exposure in rows}
    tiers = {cid: tier for cid, tier, _exposure in rows}
    lines = rules.provision_lines(exposures, tiers, rates)
    totals = rules.totals_by_tier(lines)
    run, created = ProvisionRun.objects.select_for_update().get_or_create(
        period=period, defaults={"run_by": actor, "run_at": timezone.now(),
                                 "currency": settings.REPORTING_CURRENCY})
    before = None if created else {"total_exposure": run.total_exposure, "total_provision": run.total_provision}
    run.lines.all().delete()
    ProvisionLine.objects.bulk_create(
        [ProvisionLine(run=run, customer_id=l.customer_id, tier=l.tier, exposure=l.exposure, rate=l.rate,
                       amount=l.amount) for l in lines], batch_size=1000)
    run.rates = jsonable(rates)
    run.totals = jsonable(totals)
    run.total_exposure = sum((l.exposure for l in lines), ZERO)
    run.total_provision = sum((l.amount for l in lines), ZERO)
    run.customer_count = len(lines)
    run.run_by, run.run_at = actor, timezone.now()
    run.currency = settings.REPORTING_CURRENCY
    run.save()
    audit_record(actor=actor, action=AuditEvent.Action.RUN, obj=run, verb="provision_run", before=before,
                 after={"period": period, "total_exposure": run.total_exposure,
                        "total_provision": run.total_provision, "customers": run.customer_count})
    return run
