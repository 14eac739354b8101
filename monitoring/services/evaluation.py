"""Evaluation: the enabled warning rules evaluated set-wise, in chunks, into alerts."""
from __future__ import annotations

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from creditportal.core import access, clock
from creditportal.core.canonical import jsonable
from creditportal.core.money import RateTable
from customers.models import Customer, CustomerStatus

from .. import metrics
from ..models import ACTIVE_ALERT_STATES, Alert, WarningRule
from ._common import _bulk_audit, _chunks, log


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
