"""Helpers the service modules share: amounts and currencies, the actor's customer and case, the case
transition, the collectors to assign."""
from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from audit.models import AuditEvent
from audit.services import audit_record, snapshot
from creditportal.core import access, clock, dates
from creditportal.core.errors import Conflict, NotAllowed, ValidationFailed
from creditportal.core.money import CURRENCY_CODES, to_decimal
from customers.models import Customer

from ..models import ACTIVE_CASE_STATES, CollectionCase

User = get_user_model()
ZERO = Decimal("0")
COLLECTOR_GROUP = access.COLLECTOR


# --- helpers ----------------------------------------------------------------------------------

def _amount(value, field_name="amount") -> Decimal:
    try:
        amount = to_decimal(value)
    except ValueError as exc:
        raise ValidationFailed(_("Enter a valid amount."), field_errors={field_name: _("Enter a number.")}) from exc
    if amount <= ZERO:
        raise ValidationFailed(_("The amount must be greater than zero."),
                               field_errors={field_name: _("Must be greater than zero.")})
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed(_("Amounts have at most two decimals."),
                               field_errors={field_name: _("At most two decimals.")})
    return amount


def _currency(code, field_name="currency") -> str:
    if code not in CURRENCY_CODES:
        raise ValidationFailed(_("Unknown currency."), field_errors={field_name: _("Choose a listed currency.")})
    return code


def _check_received_on(received_on):
    """The date a payment was received: a plausible business date, not after today."""
    dates.require_plausible(received_on, "received_on")
    if received_on > clock.today():
        raise ValidationFailed(_("A payment cannot be received in the future."),
                               field_errors={"received_on": _("Not after today.")})


def _visible_customer(actor, customer) -> Customer:
    customer_id = getattr(customer, "pk", customer)
    found = Customer.objects.visible_to(actor).filter(pk=customer_id).first()
    if found is None:
        raise NotAllowed(_("This customer is not in your portfolio."))
    return found


def _visible_case(actor, case) -> CollectionCase:
    if not CollectionCase.objects.visible_to(actor).filter(pk=case.pk).exists():
        raise NotAllowed(_("This case is not in your portfolio."))
    return case


def _require_on_case(actor, case, permission="collection.change_collectioncase") -> CollectionCase:
    """``actor`` holds ``permission`` and ``case`` is in their portfolio."""
    access.require(actor, permission)
    return _visible_case(actor, case)


def _locked_case(case) -> CollectionCase:
    return CollectionCase.objects.select_for_update().get(pk=case.pk)


def _case_state(case) -> dict:
    return snapshot(case, fields=["state", "assigned_to", "escalation_channel", "closed_on", "next_action_on",
                                  "broken_promises"])


def _transition_case(*, actor, case, name, verb=None, **changes) -> CollectionCase:
    """Lock ``case``, run transition ``name`` (409 when not allowed from its current state), save, audit."""
    from django_fsm import can_proceed

    locked = _locked_case(case)
    method = getattr(locked, name)
    if not can_proceed(method):
        raise Conflict(_("This action is not allowed while the case is “%(state)s”.")
                       % {"state": locked.get_state_display()})
    before = _case_state(locked)
    method()
    for key, value in changes.items():
        setattr(locked, key, value)
    locked.save()
    audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=locked, verb=verb or name,
                 before=before, after=_case_state(locked))
    return locked


# --- collectors -------------------------------------------------------------------------------

def _least_loaded_collectors():
    """Active collectors ordered by their number of active cases (fewest first), in one query."""
    return list(
        User.objects.filter(groups__name=COLLECTOR_GROUP, is_active=True)
        .annotate(load=Count("collection_cases", filter=Q(collection_cases__state__in=ACTIVE_CASE_STATES)))
        .order_by("load", "pk")
    )


class _RoundRobin:
    """Hands out collectors least-loaded first, counting the cases handed out in this run."""

    def __init__(self):
        self.loads = [[u.load, u.pk, u] for u in _least_loaded_collectors()]

    def next(self):
        if not self.loads:
            return None
        self.loads.sort(key=lambda x: (x[0], x[1]))
        self.loads[0][0] += 1
        return self.loads[0][2]


def _check_collector(user):
    if user is None:
        return None
    if not (user.is_active and user.groups.filter(name=COLLECTOR_GROUP).exists()):
        raise ValidationFailed(_("Assign the case to an active collector."),
                               field_errors={"assigned_to": _("Choose a collector.")})
    return user

