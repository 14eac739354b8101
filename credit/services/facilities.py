"""Facilities (suspend, resume, close, reduce, expire), limit control (orders) and covenant tests."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record, snapshot
from creditportal.core import access, clock
from creditportal.core.errors import Conflict, NotAllowed, ValidationFailed
from creditportal.core.events import publish_on_commit
from creditportal.core.money import to_decimal

from .. import rules, selectors
from ..models import Covenant, CovenantBreach, CustomerHold, Facility, GroupLimit, Order
from ._common import S, _currency, _locked, _positive, _require_visible, _save, _transition


# --- Facilities -------------------------------------------------------------------------------

def _facility_transition(*, actor, facility, method, reason, permission, verb):
    access.require(actor, permission)
    _require_visible(actor, Facility.objects, facility)
    if not (reason or "").strip():
        raise ValidationFailed(_("Give a reason."), field_errors={"reason": _("Required.")})
    locked = _locked(Facility, facility.pk)
    before = locked.status
    _transition(locked, method)
    locked.status_reason = reason[:300]
    _save(locked)
    audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=locked, verb=verb,
                 before={"status": before}, after={"status": locked.status, "reason": reason})
    publish_on_commit("credit.facility_changed", facility_id=locked.pk)
    return locked


@transaction.atomic
def facility_suspend(*, actor, facility, reason) -> Facility:
    """Suspend deliveries (暂停交货): no new orders until resumed."""
    return _facility_transition(actor=actor, facility=facility, method="suspend", reason=reason,
                                permission="credit.suspend_facility", verb="suspend")


@transaction.atomic
def facility_resume(*, actor, facility, reason) -> Facility:
    """Lift a suspension: only the roles with ``credit.resume_facility`` (approvers), whoever imposed it;
    the reason is required and audited with the actor."""
    return _facility_transition(actor=actor, facility=facility, method="resume", reason=reason,
                                permission="credit.resume_facility", verb="resume")


@transaction.atomic
def facility_close(*, actor, facility, reason) -> Facility:
    return _facility_transition(actor=actor, facility=facility, method="close", reason=reason,
                                permission="credit.change_facility", verb="close")


@transaction.atomic
def facility_reduce_limit(*, actor, facility, new_limit, reason) -> Facility:
    access.require(actor, "credit.change_facility")
    _require_visible(actor, Facility.objects, facility)
    locked = _locked(Facility, facility.pk)
    new_limit = to_decimal(new_limit)
    if new_limit < 0 or new_limit >= locked.limit:
        raise ValidationFailed(_("The new limit must be lower than the current one and not negative."),
                               field_errors={"new_limit": _("Lower than %(limit)s.") % {"limit": locked.limit}})
    if locked.status not in (Facility.Status.ACTIVE, Facility.Status.SUSPENDED):
        raise Conflict(_("Only an active or suspended facility can be changed."))
    if not (reason or "").strip():
        raise ValidationFailed(_("Give a reason."), field_errors={"reason": _("Required.")})
    before = locked.limit
    locked.limit = new_limit
    locked.status_reason = reason[:300]
    _save(locked)
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=locked, verb="reduce_limit",
                 before={"limit": before}, after={"limit": new_limit, "reason": reason})
    publish_on_commit("credit.facility_changed", facility_id=locked.pk)
    return locked


def facilities_expire_due(*, actor, on_date=None) -> int:
    """Expire every open facility whose expiry date has passed (nightly; idempotent; chunks of 200)."""
    access.require(actor, "credit.change_facility")
    on_date = on_date or clock.today()
    count = 0
    while True:
        ids = list(Facility.objects.filter(status__in=selectors.OPEN_FACILITY_STATES, expiry_date__lt=on_date)
                   .order_by("pk").values_list("pk", flat=True)[:200])
        if not ids:
            return count
        with transaction.atomic():
            for facility in Facility.objects.select_for_update().filter(pk__in=ids):
                if facility.status not in selectors.OPEN_FACILITY_STATES:
                    continue
                before = facility.status
                facility.expire()
                facility.status_reason = _("expired on %(date)s") % {"date": facility.expiry_date}
                _save(facility)
                audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=facility, verb="expire",
                             before={"status": before}, after={"status": facility.status})
                publish_on_commit("credit.facility_changed", facility_id=facility.pk)
                count += 1


# --- Limit control ----------------------------------------------------------------------------

def limit_check(*, actor, facility, amount, currency) -> rules.LimitCheck:
    """May an order or drawdown of ``amount`` ``currency`` go on ``facility`` now, and if not, why not."""
    access.require(actor, "credit.view_facility")
    _require_visible(actor, Facility.objects, facility)
    amount = to_decimal(amount)
    return selectors.limit_check(facility, amount, _currency(currency))


@transaction.atomic
def order_record(*, actor, facility, amount, currency, reference, payment_term_days=None,
                 term_exception_reason="") -> Order:
    """Record an order: reserves the limit. Refused while the customer's deliveries are held (``holds``) or the
    limit check fails, with every reason. Locks the facility row (and the group limit row and the active hold) so
    that concurrent orders never take the facility or the group above its limit. An order asking for a payment
    term beyond the customer's (``_order_term_check``) is refused, or is a policy exception with a reason and the
    top level of the authority matrix."""
    access.require(actor, "credit.add_order")
    _require_visible(actor, Facility.objects, facility)
    amount = _positive(amount, "amount")
    currency = _currency(currency)
    if not (reference or "").strip():
        raise ValidationFailed(_("Give the order reference."), field_errors={"reference": _("Required.")})
    locked = Facility.objects.select_for_update().select_related("customer").get(pk=facility.pk)
    if locked.customer.group_id:
        list(GroupLimit.objects.select_for_update().filter(group_id=locked.customer.group_id))
    list(CustomerHold.objects.select_for_update().filter(customer_id=locked.customer_id, status="held"))
    term_exception_reason = _order_term_check(actor, locked, payment_term_days, term_exception_reason)
    check = selectors.order_check(locked, amount, currency)
    if not check.allowed:  # a hold on the customer's deliveries, or the limit (issue 23: every refusal says why)
        from .holds import order_refusal

        raise order_refusal(check)
    if Order.objects.filter(facility=locked, reference=reference).exists():
        raise ValidationFailed(_("This order reference is recorded already."),
                               field_errors={"reference": _("Already recorded.")})
    order = Order.objects.create(facility=locked, reference=reference, amount=amount, currency=currency,
                                 payment_term_days=payment_term_days, term_exception_reason=term_exception_reason,
                                 created_by=actor)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=order, after=snapshot(order))
    publish_on_commit("credit.facility_changed", facility_id=locked.pk)
    return order


def _order_term_check(actor, facility, term_days, reason) -> str:
    """The order's payment term against the customer's: the term approved on the facility's application, else the
    policy's for the customer's grade (``selectors.allowed_payment_terms``, the one read, as for invoices).
    Beyond a hard rule: refused. Beyond a soft one: a policy exception — a reason, and the actor's authority
    (``selectors.authority_of``) must reach the matrix's top level, which decides exceptions. Returns the reason
    kept with the order ("" within terms)."""
    if term_days is None:
        return ""
    term_days = int(term_days)
    if term_days < 1 or term_days > 3650:
        raise ValidationFailed(_("A payment term is 1 to 3,650 days."),
                               field_errors={"payment_term_days": _("1 to 3,650 days.")})
    by_customer, by_facility = selectors.allowed_payment_terms([facility.customer_id], [facility.pk])
    allowed, hard = by_facility.get(facility.pk), False
    if allowed is None:
        allowed, hard = by_customer[facility.customer_id]["days"], by_customer[facility.customer_id]["hard"]
    verdict = rules.order_term_exception(term_days, allowed, hard=hard)
    if not verdict:
        return ""
    words = {"term": term_days, "allowed": allowed}
    if verdict == rules.HARD:
        message = _("A payment term of %(term)s days is beyond the %(allowed)s days the credit policy allows for "
                    "this customer's grade (a hard rule): the order is refused.") % words
        raise ValidationFailed(message, field_errors={"payment_term_days": message}, code="term_beyond_policy")
    reason = (reason or "").strip()
    if not reason:
        message = _("A payment term of %(term)s days is beyond the customer's %(allowed)s days: a policy exception. "
                    "Give the reason.") % words
        raise ValidationFailed(message, field_errors={"term_exception_reason": message}, code="term_exception")
    levels = selectors.matrix_levels()
    top = max((level.number for level in levels), default=None)
    own = selectors.authority_of(actor).number
    if top is None or own is None or own < top:
        raise NotAllowed(_("A payment term of %(term)s days is beyond the customer's %(allowed)s days: a policy "
                           "exception, which the top level of the authority matrix decides. Ask for the longer term "
                           "on an application, or record the order on the customer's term.") % words)
    return reason


@transaction.atomic
def order_release(*, actor, order, reason="", cancel=False) -> Order:
    """Release an order's reservation (invoiced: the invoice now counts) or cancel it."""
    access.require(actor, "credit.change_order")
    _require_visible(actor, Order.objects, order)
    locked = _locked(Order, order.pk)
    if locked.status != Order.Status.RESERVED:
        raise Conflict(_("The order is no longer reserved."))
    locked.status = Order.Status.CANCELLED if cancel else Order.Status.RELEASED
    locked.released_at = timezone.now()
    locked.save(update_fields=["status", "released_at"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=locked, verb="cancel" if cancel else "release",
                 before={"status": "reserved"}, after={"status": locked.status, "reason": reason})
    publish_on_commit("credit.facility_changed", facility_id=locked.facility_id)
    return locked


# --- Covenants --------------------------------------------------------------------------------

def covenants_test_statement(*, actor, statement_id) -> list[CovenantBreach]:
    """Test the covenants of the customer's opened facilities against a newly saved statement.

    ``each_statement``, ``quarterly`` and ``half_yearly`` covenants are tested on every statement,
    ``yearly`` ones on annual statements only. A breach is recorded once per covenant and statement
    (idempotent) and published as ``credit.covenant_breached``.
    """
    from customers.models import FinancialStatement

    access.require(actor, "credit.view_covenant")
    statement = FinancialStatement.objects.filter(pk=statement_id).first()
    if statement is None:
        return []
    from customers import rules as customer_rules
    from customers.selectors import ratios_for_statements

    values = statement.values_in_yuan()
    analysed = ratios_for_statements([statement.pk]).get(statement.pk) or {"ratios": {}}
    ratios = customer_rules.covenant_figures(values, analysed["ratios"])
    depleted = customer_rules.equity_depleted(values)
    covenants = Covenant.objects.filter(application__customer_id=statement.customer_id,
                                        application__status=S.FACILITY_OPENED).select_related("application")
    breaches = []
    today = clock.today()
    with transaction.atomic():
        for covenant in covenants.select_for_update(of=("self",)):
            if covenant.frequency == Covenant.Frequency.YEARLY and statement.period_type != "annual":
                continue
            value = ratios.get(covenant.ratio)
            holds = rules.covenant_holds(value, covenant.comparison, covenant.threshold, ratio=covenant.ratio,
                                         equity_depleted=depleted)
            covenant.last_tested_on = today
            covenant.save(update_fields=["last_tested_on"])
            if holds is not False:
                continue
            breach, created = CovenantBreach.objects.get_or_create(
                covenant=covenant, statement_id=statement.pk,
                defaults={"customer_id": statement.customer_id, "value": value, "tested_on": today})
            if created:
                audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=breach, after=snapshot(breach))
                publish_on_commit("credit.covenant_breached", breach_id=breach.pk, covenant_id=covenant.pk,
                                  customer_id=statement.customer_id, application_id=covenant.application_id)
                breaches.append(breach)
    return breaches
