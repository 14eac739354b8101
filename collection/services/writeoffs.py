"""Write-offs (four-eyes, within the approver's authority) and recoveries after a write-off."""
from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from audit.models import AuditEvent
from audit.services import audit_record, audited_transition, snapshot
from creditportal.core import access, clock, events
from creditportal.core.errors import Conflict, ValidationFailed
from creditportal.core.money import MissingRate, RateTable

from ..models import (
    CaseState,
    Invoice,
    InvoiceStatus,
    Payment,
    PromiseToPay,
    WriteOff,
    WriteOffItem,
    WriteOffState,
)
from .aging import aging_summary_refresh
from ._common import (
    ZERO,
    _amount,
    _check_received_on,
    _currency,
    _locked_case,
    _require_on_case,
    _transition_case,
    _visible_case,
)
from .cases import _promises_resolve
from .dunning import dunning_close_settled


# --- write-offs -------------------------------------------------------------------------------

@transaction.atomic
def writeoff_propose(*, actor, case, reason) -> WriteOff:
    """A collector proposes to write off what the case's invoices still owe."""
    _require_on_case(actor, case, "collection.propose_writeoff")
    if not reason or not reason.strip():
        raise ValidationFailed(_("Give the reason for the write-off."), field_errors={"reason": _("Required.")})
    locked = _locked_case(case)
    if not can_proceed(locked.write_off):  # the case's own state machine says when it can be written off
        raise Conflict(_("A write-off can be proposed only for a case in progress or escalated."))
    if locked.write_offs.filter(state=WriteOffState.PROPOSED).exists():
        raise Conflict(_("A write-off of this case is already waiting for approval."))
    invoices = list(locked.invoices.filter(status=InvoiceStatus.OPEN).order_by("pk"))
    currencies = {i.currency for i in invoices}
    if not invoices:
        raise ValidationFailed(_("The case has no open invoice to write off."))
    today = clock.today()
    if len(currencies) > 1:
        # One write-off per case: invoices in several currencies are totalled in the reporting currency at
        # today's rates (each item keeps its invoice's own amount and currency).
        currency = settings.REPORTING_CURRENCY
        table = RateTable(today)
        try:
            total = sum((table.convert(i.outstanding, i.currency) for i in invoices), ZERO)
        except MissingRate:
            raise ValidationFailed(_("The case's invoices are in several currencies and an FX rate into %(currency)s "
                                     "is missing for today; ask the risk administrator to enter it.")
                                   % {"currency": currency})
    else:
        currency = invoices[0].currency
        total = sum((i.outstanding for i in invoices), ZERO)
    writeoff = WriteOff.objects.create(case=locked, amount=total, currency=currency, reason=reason,
                                       proposed_by=actor, proposed_on=today)
    WriteOffItem.objects.bulk_create([WriteOffItem(write_off=writeoff, invoice=i, amount=i.outstanding)
                                      for i in invoices])
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=writeoff,
                 after={**snapshot(writeoff), "invoices": [i.pk for i in invoices]})
    return writeoff


def _writeoff_to_decide(actor, writeoff) -> WriteOff:
    """The proposed write-off ``actor`` decides, locked: their right, the case in their portfolio, another
    person than the proposer (four-eyes), not decided yet."""
    access.require(actor, "collection.approve_writeoff")
    locked = WriteOff.objects.select_for_update().select_related("case").get(pk=writeoff.pk)
    _visible_case(actor, locked.case)
    access.require_other_person(actor, locked.proposed_by)
    if locked.state != WriteOffState.PROPOSED:
        raise Conflict(_("This write-off was already decided."))
    return locked


def _decide(*, actor, writeoff, transition, note, today):
    """Run the decision's transition (``approve`` or ``reject``), record who decided when and why, audit."""
    audited_transition(actor, writeoff, transition, decided_by=actor, decided_on=today, decision_note=note)


@transaction.atomic
def writeoff_approve(*, actor, writeoff, note="") -> WriteOff:
    """Four-eyes approval by an approver whose authority covers the amount; closes the invoices and the case."""
    locked = _writeoff_to_decide(actor, writeoff)
    today = clock.today()
    from credit.selectors import require_amount_authority  # the one authority rule: matrix, capped delegations

    require_amount_authority(actor, RateTable(today).convert(locked.amount, locked.currency),
                             decision=_("a write-off"), on_date=today)
    items = list(locked.items.all())
    invoices = {i.pk: i for i in Invoice.objects.select_for_update().filter(pk__in=[it.invoice_id for it in items])}
    for item in items:
        invoice = invoices[item.invoice_id]
        if invoice.status != InvoiceStatus.OPEN or invoice.outstanding != item.amount:
            raise Conflict(_("Invoice %(n)s changed since the proposal (a payment arrived); propose again.")
                           % {"n": invoice.number})
    for item in items:
        invoice = invoices[item.invoice_id]
        invoice.written_off_amount += item.amount
        invoice.write_off()
        invoice.save(update_fields=["written_off_amount", "status"])
    _decide(actor=actor, writeoff=locked, transition="approve", note=note, today=today)
    _transition_case(actor=actor, case=locked.case, name="write_off", closed_on=today)
    _promises_resolve(actor=actor, promises=PromiseToPay.objects.filter(case=locked.case), name="cancel",
                      resolved_on=today, verb="promise_cancelled_by_write_off")
    dunning_close_settled(customer_ids=[locked.case.customer_id], as_of=today)
    aging_summary_refresh(customer_ids=[locked.case.customer_id])
    # the exposure is gone: the warning rules (overdue days, utilisation) are evaluated again
    events.publish_on_commit("collection.writeoff_approved", writeoff_id=locked.pk,
                             customer_id=locked.case.customer_id)
    return locked


@transaction.atomic
def writeoff_reject(*, actor, writeoff, note="") -> WriteOff:
    locked = _writeoff_to_decide(actor, writeoff)
    if not note.strip():
        raise ValidationFailed(_("Give the reason for the rejection."), field_errors={"note": _("Required.")})
    _decide(actor=actor, writeoff=locked, transition="reject", note=note, today=clock.today())
    return locked


@transaction.atomic
def recovery_record(*, actor, case, amount, received_on, currency="CNY", reference="") -> Payment:
    """Money recovered after a write-off (账销案存): recorded against the written-off case, not on invoices."""
    _require_on_case(actor, case, "collection.add_payment")
    amount, currency = _amount(amount), _currency(currency)
    if case.state != CaseState.WRITTEN_OFF:
        raise Conflict(_("Recoveries are recorded on written-off cases; post an ordinary payment instead."))
    _check_received_on(received_on)
    payment = Payment.objects.create(customer_id=case.customer_id, received_on=received_on, amount=amount,
                                     currency=currency, reference=reference, case=case, is_recovery=True,
                                     created_by=actor)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=payment, verb="recovery", after=snapshot(payment))
    aging_summary_refresh(customer_ids=[case.customer_id])  # not on invoices: kept in step all the same
    events.publish_on_commit("collection.payment_posted", payment_id=payment.pk, customer_id=case.customer_id)
    return payment


