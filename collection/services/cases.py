"""Collection cases, their activities and promises to pay."""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from accounts.system import system_user
from audit.models import AuditEvent
from audit.services import audit_record, audit_record_many, snapshot
from creditportal.core import access, clock, dates, events
from creditportal.core.errors import Conflict, ValidationFailed

from ..models import (
    ACTIVE_CASE_STATES,
    CaseState,
    CollectionActivity,
    CollectionCase,
    EscalationChannel,
    Invoice,
    InvoiceStatus,
    Payment,
    PromiseState,
    PromiseToPay,
)
from ._common import (
    ZERO,
    _amount,
    _currency,
    _visible_customer,
    _require_on_case,
    _locked_case,
    _case_state,
    _transition_case,
    _RoundRobin,
    _check_collector,
)


# --- collection cases -------------------------------------------------------------------------


@transaction.atomic
def case_open(*, actor, customer, assigned_to=None, note="", invoices=None) -> CollectionCase:
    """Open a case by hand for the customer's overdue invoices (or ``invoices``); least-loaded collector by default."""
    access.require(actor, "collection.add_collectioncase")
    customer = _visible_customer(actor, customer)
    if CollectionCase.objects.active().filter(customer=customer).exists():
        raise Conflict(_("This customer already has an active collection case."))
    today = clock.today()
    open_invoices = Invoice.objects.filter(customer=customer, status=InvoiceStatus.OPEN)
    if invoices is not None:
        chosen = list(open_invoices.filter(pk__in=[getattr(i, "pk", i) for i in invoices]))
        if len(chosen) != len(invoices):
            raise ValidationFailed(_("Choose open invoices of this customer."),
                                   field_errors={"invoices": _("Only open invoices of this customer.")})
    else:
        chosen = list(open_invoices.filter(due_date__lt=today))
    if not chosen:
        raise ValidationFailed(_("The customer has no overdue open invoice to collect."))
    assigned_to = _check_collector(assigned_to) if assigned_to else _RoundRobin().next()
    case = CollectionCase(customer=customer, assigned_to=assigned_to, opened_on=today, opened_by=actor, note=note,
                          next_action_on=today)
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError as exc:
        raise Conflict(_("This customer already has an active collection case.")) from exc
    case.invoices.set(chosen)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=case,
                 after={**_case_state(case), "invoices": [i.pk for i in chosen]})
    return case


@transaction.atomic
def case_assign(*, actor, case, collector) -> CollectionCase:
    _require_on_case(actor, case)
    _check_collector(collector)
    locked = _locked_case(case)
    if locked.state not in ACTIVE_CASE_STATES:
        raise Conflict(_("Only an active case can be reassigned."))
    before = _case_state(locked)
    locked.assigned_to = collector
    locked.save(update_fields=["assigned_to"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=locked, verb="reassign", before=before,
                 after=_case_state(locked))
    return locked


@transaction.atomic
def case_start(*, actor, case) -> CollectionCase:
    _require_on_case(actor, case)
    return _transition_case(actor=actor, case=case, name="start")


@transaction.atomic
def case_escalate(*, actor, case, channel) -> CollectionCase:
    _require_on_case(actor, case)
    if channel not in EscalationChannel.values:
        raise ValidationFailed(_("Choose agency, arbitration or litigation."),
                               field_errors={"channel": _("Choose a listed channel.")})
    return _transition_case(actor=actor, case=case, name="escalate", verb=f"escalate_{channel}",
                            escalation_channel=channel)


@transaction.atomic
def case_close(*, actor, case, note="") -> CollectionCase:
    _require_on_case(actor, case)
    locked = _locked_case(case)
    if locked.state in ACTIVE_CASE_STATES and locked.invoices.filter(status=InvoiceStatus.OPEN).exists():
        if not note.strip():
            raise ValidationFailed(_("Give a reason to close a case whose invoices are still open."),
                                   field_errors={"note": _("Required while invoices are open.")})
    return _transition_case(actor=actor, case=locked, name="close", closed_on=clock.today(),
                            note=(locked.note + "\n" + note).strip() if note else locked.note)


@transaction.atomic
def case_mark_paid(*, actor, case) -> CollectionCase:
    _require_on_case(actor, case)
    if case.invoices.filter(status=InvoiceStatus.OPEN).exists():
        raise Conflict(_("The case still has open invoices."))
    return _transition_case(actor=actor, case=case, name="mark_paid", closed_on=clock.today())


def cases_settle_paid(*, customer_ids) -> int:
    """Move active cases whose invoices are all settled to paid (a consequence of the payment, no extra right)."""
    open_case_ids = Invoice.objects.filter(status=InvoiceStatus.OPEN, cases__isnull=False).values("cases")
    done = list(CollectionCase.objects.active().filter(customer_id__in=customer_ids)
                .exclude(pk__in=open_case_ids).filter(invoices__isnull=False).distinct())
    actor = system_user()
    for case in done:
        _transition_case(actor=actor, case=case, name="mark_paid", closed_on=clock.today())
    if done:
        _promises_resolve(actor=actor, promises=PromiseToPay.objects.filter(case__in=done), name="keep",
                          resolved_on=clock.today(), verb="promise_kept")
    return len(done)


@transaction.atomic
def activity_add(*, actor, case, kind, outcome, occurred_on=None, next_step="", next_action_on=None
                 ) -> CollectionActivity:
    _require_on_case(actor, case, "collection.add_collectionactivity")
    occurred_on = occurred_on or clock.today()
    if occurred_on > clock.today():
        raise ValidationFailed(_("An activity cannot be in the future."),
                               field_errors={"occurred_on": _("Not after today.")})
    if next_action_on and next_action_on < occurred_on:
        raise ValidationFailed(_("The next action date cannot be before the activity."),
                               field_errors={"next_action_on": _("On or after the activity date.")})
    if not outcome or not outcome.strip():
        raise ValidationFailed(_("Describe the outcome."), field_errors={"outcome": _("Required.")})
    activity = CollectionActivity.objects.create(case=case, kind=kind, occurred_on=occurred_on, outcome=outcome,
                                                 next_step=next_step, next_action_on=next_action_on, created_by=actor)
    locked = _locked_case(case)
    locked.next_action_on = next_action_on
    locked.save(update_fields=["next_action_on"])
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=activity, after=snapshot(activity))
    if locked.state == CaseState.OPEN and access.has(actor, "collection.change_collectioncase"):
        _transition_case(actor=actor, case=locked, name="start")
    return activity


def _promises_resolve(*, actor, promises, name, resolved_on, verb) -> list[PromiseToPay]:
    """Keep or cancel the pending ones of ``promises`` set-wise: lock them, run the django-fsm transition
    ``name`` on each, save the states in one UPDATE and write one audit event per promise in one INSERT.
    The caller holds the transaction (and the rights: a consequence of its own action)."""
    locked = list(promises.filter(state=PromiseState.PENDING).select_for_update().order_by("pk"))
    for promise in locked:
        getattr(promise, name)()
        promise.resolved_on = resolved_on
    if locked:
        PromiseToPay.objects.bulk_update(locked, ["state", "resolved_on"])
        audit_record_many(actor=actor, action=AuditEvent.Action.TRANSITION, objs=locked, verb=verb,
                          after=lambda p: {"state": p.state, "resolved_on": p.resolved_on})
    return locked


@transaction.atomic
def promise_add(*, actor, case, promised_date, amount, currency="CNY", note="") -> PromiseToPay:
    _require_on_case(actor, case, "collection.add_promisetopay")
    amount, currency = _amount(amount), _currency(currency)
    today = clock.today()
    if promised_date is None or promised_date < today:
        raise ValidationFailed(_("The promised date cannot be in the past."),
                               field_errors={"promised_date": _("Today or later.")})
    dates.require_plausible(promised_date, "promised_date")
    locked = _locked_case(case)
    _promises_resolve(actor=actor, promises=PromiseToPay.objects.filter(case=locked), name="cancel",
                      resolved_on=today, verb="promise_replaced")
    promise = PromiseToPay.objects.create(case=locked, made_on=today, promised_date=promised_date, amount=amount,
                                          currency=currency, note=note, created_by=actor)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=promise, after=snapshot(promise))
    _transition_case(actor=actor, case=locked, name="promise", next_action_on=promised_date)
    return promise


@transaction.atomic
def promises_evaluate(*, as_of=None, customer_ids=None, detect_broken=True) -> dict:
    """Decide pending promises from payments (set-wise): kept when the customer's payments received from the
    day the promise was made until the promised date reach its amount; broken when the promised date has
    passed without that. A broken promise moves its case back to work (a second one escalates it to an
    agency), publishes ``collection.promise_broken`` and mails the collector.
    """
    from django.db.models import DecimalField, OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    as_of = as_of or clock.today()
    paid = (Payment.objects.filter(customer_id=OuterRef("case__customer_id"), currency=OuterRef("currency"),
                                   received_on__gte=OuterRef("made_on"), received_on__lte=OuterRef("promised_date"),
                                   is_recovery=False)
            .values("customer_id").annotate(total=Sum("amount")).values("total"))
    pending = PromiseToPay.objects.filter(state=PromiseState.PENDING)
    if customer_ids is not None:
        pending = pending.filter(case__customer_id__in=customer_ids)
    pending = pending.annotate(paid=Coalesce(Subquery(paid), Value(ZERO),
                                             output_field=DecimalField(max_digits=18, decimal_places=2)))
    kept_ids = list(pending.filter(paid__gte=F("amount")).values_list("pk", flat=True))
    broken = []
    if detect_broken:
        broken = list(pending.filter(paid__lt=F("amount"), promised_date__lt=as_of)
                      .select_related("case", "case__assigned_to", "case__customer"))
    actor = system_user()
    if kept_ids:
        _promises_resolve(actor=actor, promises=PromiseToPay.objects.filter(pk__in=kept_ids), name="keep",
                          resolved_on=as_of, verb="promise_kept")
    for promise in broken:
        locked = PromiseToPay.objects.select_for_update().get(pk=promise.pk)
        if locked.state != PromiseState.PENDING:
            continue
        locked.break_()
        locked.resolved_on = as_of
        locked.save()
        audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=locked, verb="promise_broken",
                     after={"state": locked.state, "paid": promise.paid})
        case = _locked_case(promise.case)
        case.broken_promises += 1
        case.save(update_fields=["broken_promises"])
        if case.state == CaseState.PROMISE_TO_PAY:
            if case.broken_promises >= 2:
                _transition_case(actor=actor, case=case, name="escalate", verb="escalate_after_broken_promises",
                                 escalation_channel=EscalationChannel.AGENCY, next_action_on=as_of)
            else:
                _transition_case(actor=actor, case=case, name="promise_broken", next_action_on=as_of)
        events.publish_on_commit("collection.promise_broken", promise_id=locked.pk, case_id=case.pk)
        _notify_collector_broken(promise, case)
    return {"kept": len(kept_ids), "broken": len([p for p in broken])}


def _notify_collector_broken(promise, case):
    """The case's collector finds the broken promise in the inbox (and by e-mail, on commit)."""
    collector = case.assigned_to
    if not collector:
        return
    from django.urls import reverse

    from accounts.services import notification_send

    from django.utils.translation import gettext_lazy

    from creditportal.core.formatting import LazyMoney
    from creditportal.core.i18n import Message

    subject = Message(gettext_lazy("Broken promise to pay: %(customer)s"), customer=promise.case.customer)
    body = Message(gettext_lazy("The promise to pay %(currency)s %(amount)s by %(date)s on case %(case)s was not "
                                "kept."), currency=promise.currency, amount=LazyMoney(promise.amount),
                   date=promise.promised_date, case=case.pk)
    notification_send(recipient=collector, title=subject, body=body,
                      url=reverse("collection:case_detail", args=[case.pk]))


