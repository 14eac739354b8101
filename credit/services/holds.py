"""Order holds (暂停交货, issue 23): evaluated set-wise (the nightly monitoring run, and after a payment is posted or
a facility changes), released automatically when the cause clears or by an authorised person with a reason; the
order check that says whether a new order may ship and why not."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import AuditEvent
from audit.services import audit_record, snapshot
from creditportal.core import access, clock
from creditportal.core.errors import Conflict, ValidationFailed
from creditportal.core.money import RateTable, to_decimal

from .. import rules, selectors
from ..models import CustomerHold, Facility
from ._common import _currency, _locked, _require_visible, _save, _transition, limit_reason_text

CHUNK = 500

HOLD_REASON_LABELS = {
    "held": gettext_lazy("Deliveries to the customer are held."),
    rules.HOLD_OVERDUE: gettext_lazy("The customer is past due beyond the policy's tolerance."),
    rules.HOLD_OVER_LIMIT: gettext_lazy("A facility of the customer is used beyond its limit."),
}


def hold_reason_text(code: str, detail: dict | None = None, hold: CustomerHold | None = None) -> str:
    """One reason of a hold or an order check, for people, with its figures when known."""
    detail = detail or {}
    if code == "held" and hold is not None:
        return _("Deliveries to the customer are held since %(date)s.") % {"date": hold.since.isoformat()}
    if code == rules.HOLD_OVERDUE and "days_past_due" in detail:
        return _("Overdue %(days)d days, beyond the policy's tolerance of %(tolerance)d days.") % {
            "days": int(detail["days_past_due"]), "tolerance": int(detail["tolerance_days"])}
    if code == rules.HOLD_OVER_LIMIT and detail.get("over_limit"):
        return " ".join(_("Facility #%(id)s is used beyond its limit: %(used)s of %(limit)s %(currency)s.") % {
            "id": row["facility_id"], "used": row["used"], "limit": row["limit"], "currency": row["currency"]}
            for row in detail["over_limit"])
    if code in HOLD_REASON_LABELS:
        return str(HOLD_REASON_LABELS[code])
    return limit_reason_text(code)


def hold_reason_texts(hold: CustomerHold) -> list[str]:
    return [hold_reason_text(code, hold.detail) for code in hold.reasons]


def order_check_texts(check: selectors.OrderCheck) -> list[str]:
    """Every reason an order is refused, in the reader's language (the hold's first)."""
    return [hold_reason_text(code, check.hold.detail, check.hold.hold) for code in check.reasons]


def order_check(*, actor, facility, amount, currency) -> selectors.OrderCheck:
    """May a new order of ``amount`` ``currency`` ship on ``facility`` now, and if not, why not: a hold on the
    customer's deliveries (days past due beyond the tolerance, a facility over its limit) and the facility's own
    limit check."""
    access.require(actor, "credit.check_facility")
    _require_visible(actor, Facility.objects, facility)
    try:
        amount = to_decimal(amount)
    except ValueError as exc:
        raise ValidationFailed(_("Enter a number."), field_errors={"amount": _("Enter a number.")}) from exc
    return selectors.order_check(facility, amount, _currency(currency))


def order_refusal(check: selectors.OrderCheck) -> ValidationFailed:
    texts = order_check_texts(check)
    return ValidationFailed(_("The order is refused: %(reasons)s") % {"reasons": " ".join(texts)},
                            code="held" if check.hold.held else "limit_refused", field_errors={"amount": texts})


# --- Evaluation -------------------------------------------------------------------------------

def _candidate_ids(customer_ids):
    """Customers to evaluate: those asked for, or every customer with an open facility, an active hold or a standing
    release (one query each)."""
    if customer_ids is not None:
        return sorted({int(i) for i in customer_ids})
    ids = set(Facility.objects.filter(status__in=selectors.OPEN_FACILITY_STATES).values_list("customer_id", flat=True))
    ids |= set(CustomerHold.objects.filter(status=CustomerHold.Status.HELD).values_list("customer_id", flat=True))
    ids |= set(CustomerHold.objects.filter(override=True).values_list("customer_id", flat=True))
    return sorted(ids)


def holds_evaluate(*, actor, customer_ids=None, on_date=None) -> dict:
    """Place, update and release holds for the customers (all with an open facility by default), set-wise in
    chunks: a cause not covered by a standing release places a hold; a hold whose causes all cleared is released
    automatically; a standing release whose causes all cleared is spent. Idempotent. Returns counts."""
    access.require(actor, "credit.release_customerhold")
    on_date = on_date or clock.today()
    table = RateTable(on_date)
    tolerance = selectors.overdue_tolerance_days(on_date)
    summary = {"placed": 0, "changed": 0, "released": 0, "spent": 0}
    ids = _candidate_ids(customer_ids)
    for start in range(0, len(ids), CHUNK):
        with transaction.atomic():
            counts = _evaluate_chunk(actor, ids[start:start + CHUNK], on_date, table, tolerance)
        for key in summary:
            summary[key] += counts[key]
    return summary


def _evaluate_chunk(actor, chunk, on_date, table, tolerance) -> dict:
    counts = {"placed": 0, "changed": 0, "released": 0, "spent": 0}
    held = {h.customer_id: h for h in CustomerHold.objects.select_for_update().filter(
        customer_id__in=chunk, status=CustomerHold.Status.HELD)}
    standing = {}  # every manual release that still stands, per customer
    for hold in CustomerHold.objects.select_for_update().filter(
            customer_id__in=chunk, status=CustomerHold.Status.RELEASED, override=True).order_by("-released_at", "-id"):
        standing.setdefault(hold.customer_id, []).append(hold)
    causes = selectors.hold_causes(chunk, on_date, table=table, tolerance=tolerance)
    now = timezone.now()
    for cid in chunk:
        live, detail = causes.get(cid, ((), {}))
        hold = held.get(cid)
        covered = set()
        for released in standing.get(cid, []):
            if not set(released.reasons) & set(live):
                released.override = False  # its causes cleared: the release is spent
                released.save(update_fields=["override", "updated_at"])
                audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=released, verb="hold_release_spent",
                             before={"override": True}, after={"override": False})
                counts["spent"] += 1
            else:
                covered |= set(released.reasons)
        needed = rules.hold_needed(live, covered)
        if hold is not None:
            if not needed:
                _release(actor, hold, kind=CustomerHold.ReleaseKind.AUTOMATIC,
                         reason=_("The cause cleared."), now=now)
                counts["released"] += 1
            elif list(needed) != list(hold.reasons):
                before = {"reasons": hold.reasons}
                hold.reasons, hold.detail = list(needed), detail
                _save(hold, update_fields=["reasons", "detail", "updated_at"])
                audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=hold, verb="hold_reasons",
                             before=before, after={"reasons": hold.reasons, "detail": detail})
                counts["changed"] += 1
        elif needed:
            hold = CustomerHold.objects.create(customer_id=cid, reasons=list(needed), detail=detail, since=on_date)
            audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=hold, verb="hold_place",
                         after=snapshot(hold))
            counts["placed"] += 1
    return counts


def _release(actor, hold, *, kind, reason, now=None):
    before = hold.status
    _transition(hold, "release")
    hold.released_at = now or timezone.now()
    hold.released_by = actor
    hold.release_kind = kind
    hold.release_reason = reason
    hold.override = kind == CustomerHold.ReleaseKind.MANUAL
    _save(hold)
    audit_record(actor=actor, action=AuditEvent.Action.TRANSITION, obj=hold, verb="release",
                 before={"status": before},
                 after={"status": hold.status, "kind": kind, "reason": reason, "reasons": hold.reasons})
    return hold


@transaction.atomic
def hold_release(*, actor, hold, reason) -> CustomerHold:
    """An authorised person (``credit.release_customerhold``: approvers) lets deliveries resume while the causes
    last, with a reason; the release stands for the hold's causes until they clear (a new cause holds again)."""
    access.require(actor, "credit.release_customerhold")
    _require_visible(actor, CustomerHold.objects, hold)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason."), field_errors={"reason": _("Required.")})
    locked = _locked(CustomerHold, hold.pk)
    if not locked.is_active:
        raise Conflict(_("This hold is released already."))
    return _release(actor, locked, kind=CustomerHold.ReleaseKind.MANUAL, reason=reason[:2000])
