"""Every write of the insurance app: policies and uninsured caps (configuration: four-eyes through
``proposals``), buyer limits, notifications to the insurer and claims (facts, recorded and audited)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import AuditEvent
from audit.services import audit_record, audited_transition, snapshot
from creditportal.core import access, clock
from creditportal.core.dates import require_plausible
from creditportal.core.errors import Conflict, NotAllowed, ValidationFailed
from creditportal.core.events import publish_on_commit
from creditportal.core.money import CURRENCIES, to_decimal
from proposals import registry as proposals_registry
from proposals import services as proposals
from proposals.models import Proposal

from . import events, rules
from .models import (
    GRADES,
    BuyerLimit,
    BuyerLimitState,
    ClaimState,
    InsuranceClaim,
    InsurancePolicy,
    InsurerNotification,
    UninsuredCap,
)

POLICY_KIND = "insurance.policy"
CAPS_KIND = "insurance.uninsured_caps"
CURRENCY_CODES = {code for code, _label in CURRENCIES}
ZERO = Decimal("0")


def _fail(field, message):
    raise ValidationFailed(message, field_errors={field: message})


def _amount(value, field, *, positive=True) -> Decimal:
    try:
        amount = to_decimal(value)
    except (TypeError, ValueError):
        _fail(field, _("Enter an amount."))
    if amount < 0 or (positive and amount == 0):
        _fail(field, _("The amount must be positive."))
    return amount


def _currency(value, field="currency") -> str:
    if value not in CURRENCY_CODES:
        _fail(field, _("Unknown currency."))
    return value


def _date(value, field, *, required=True):
    if value in (None, ""):
        if required:
            _fail(field, _("Enter a date."))
        return None
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            _fail(field, _("Enter a date."))
    return require_plausible(value, field)


def _visible(actor, queryset, obj):
    if not queryset.visible_to(actor).filter(pk=obj.pk).exists():
        raise NotAllowed(_("You cannot see this record."))


# --- Policies (four-eyes) ---------------------------------------------------------------------------

POLICY_FIELDS = ["insurer", "insured_share", "max_credit_days", "notification_days", "claim_days", "valid_from",
                 "valid_to", "currency", "notes"]


def _policy_values(policy) -> dict:
    return {"insurer": policy.insurer, "insured_share": format(policy.insured_share, "f"),
            "max_credit_days": policy.max_credit_days, "notification_days": policy.notification_days,
            "claim_days": policy.claim_days, "valid_from": policy.valid_from.isoformat(),
            "valid_to": policy.valid_to.isoformat(), "currency": policy.currency, "notes": policy.notes}


def _days(value, field, *, minimum=0) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        _fail(field, _("Enter a whole number of days."))
    if number < minimum or number > 3650:
        _fail(field, _("Enter a whole number of days between %(min)s and 3650.") % {"min": minimum})
    return number


@transaction.atomic
def policy_propose(*, actor, policy_number, insurer, insured_share, max_credit_days, notification_days, claim_days,
                   valid_from, valid_to, currency="CNY", notes="") -> Proposal:
    """Propose a new insurance policy or a change of one (keyed by its number). Nothing applies until another
    risk administrator approves it (four-eyes)."""
    number = (policy_number or "").strip()
    existing = InsurancePolicy.objects.select_for_update().filter(policy_number=number).first()
    access.require(actor, "insurance.change_insurancepolicy" if existing else "insurance.add_insurancepolicy")
    if not number:
        _fail("policy_number", _("Enter the policy number."))
    if not (insurer or "").strip():
        _fail("insurer", _("Name the insurer."))
    share = _amount(insured_share, "insured_share")
    if share > 100:
        _fail("insured_share", _("The insured share is a percentage up to 100."))
    start, end = _date(valid_from, "valid_from"), _date(valid_to, "valid_to")
    if end < start:
        _fail("valid_to", _("The policy ends before it starts."))
    values = {"insurer": insurer.strip()[:200], "insured_share": format(rules.q2(share), "f"),
              "max_credit_days": _days(max_credit_days, "max_credit_days", minimum=1),
              "notification_days": _days(notification_days, "notification_days"),
              "claim_days": _days(claim_days, "claim_days"), "valid_from": start.isoformat(),
              "valid_to": end.isoformat(), "currency": _currency(currency), "notes": (notes or "").strip()}
    if values["claim_days"] < values["notification_days"]:
        _fail("claim_days", _("The claim deadline cannot come before the notification deadline."))
    previous = _policy_values(existing) if existing else {}
    if existing is not None:
        changed = {k: v for k, v in values.items() if v != previous[k]}
        if not changed:
            raise ValidationFailed(_("This is the insurance policy in force; nothing to change."))
        values, previous = changed, {k: previous[k] for k in changed}
    return proposals.proposal_propose(actor=actor, kind=POLICY_KIND, key=number, values={"policy_number": number,
                                      **values}, previous=previous, object_id=existing.pk if existing else None,
                                      summary=f"{values.get('insurer', existing.insurer if existing else '')} {number}")


def _apply_policy(actor, change) -> InsurancePolicy:
    number = change.values["policy_number"]
    existing = InsurancePolicy.objects.select_for_update().filter(policy_number=number).first()
    if (existing is None) != (not change.previous) or (
            existing is not None and any(_policy_values(existing)[k] != v for k, v in change.previous.items())):
        raise Conflict(_("The policy was changed after this proposal; reject it and propose again."))
    before = snapshot(existing) if existing else None
    values = {**(_policy_values(existing) if existing else {}),
              **{k: v for k, v in change.values.items() if k != "policy_number"}}
    policy = existing or InsurancePolicy(policy_number=number)
    policy.insurer, policy.currency, policy.notes = values["insurer"], values["currency"], values["notes"]
    policy.insured_share = to_decimal(values["insured_share"])
    policy.max_credit_days, policy.notification_days = values["max_credit_days"], values["notification_days"]
    policy.claim_days = values["claim_days"]
    policy.valid_from = dt.date.fromisoformat(values["valid_from"])
    policy.valid_to = dt.date.fromisoformat(values["valid_to"])
    policy.updated_by = actor
    policy.save()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE if existing else AuditEvent.Action.CREATE,
                 obj=policy, before=before, after=snapshot(policy))
    change.object_id = policy.pk
    return policy


def _policy_rows(change) -> list[dict]:
    rows = []
    for field in dict.fromkeys([*change.previous, *change.values]):
        if field == "policy_number":
            continue
        label = str(InsurancePolicy._meta.get_field(field).verbose_name)
        rows.append({"field": field, "label": label, "before": change.previous.get(field),
                     "after": change.values.get(field)})
    return rows


proposals_registry.register(proposals_registry.ChangeKind(
    slug=POLICY_KIND, model=Proposal, apply=_apply_policy,
    permission=lambda change: "insurance.change_insurancepolicy" if change.previous else "insurance.add_insurancepolicy",
    title=lambda change: _("Insurance policy %(number)s") % {"number": change.values.get("policy_number", "")},
    rows=_policy_rows, list_url="insurance:policy_list",
    messages={"open": gettext_lazy("A change of this insurance policy is already waiting for approval.")}))


# --- Uninsured exposure caps by grade (four-eyes) ---------------------------------------------------------

def _caps_values() -> dict:
    return {grade: format(amount, "f") for grade, amount in
            UninsuredCap.objects.order_by("grade").values_list("grade", "max_uninsured")}


@transaction.atomic
def uninsured_caps_propose(*, actor, caps: dict) -> Proposal:
    """Propose the caps on the uninsured exposure by grade (reporting currency): ``{grade: amount or None}``
    for every grade to set (``None`` or empty: no cap). The whole table is replaced when another risk
    administrator approves it (four-eyes)."""
    access.require(actor, "insurance.change_uninsuredcap")
    values = {}
    for grade, amount in (caps or {}).items():
        if grade not in GRADES:
            _fail("caps", _("Unknown grade: %(grade)s") % {"grade": grade})
        if amount in (None, ""):
            continue
        values[grade] = format(rules.q2(_amount(amount, f"cap_{grade}", positive=False)), "f")
    previous = _caps_values()
    if values == previous:
        raise ValidationFailed(_("These are the caps in force; nothing to change."))
    return proposals.proposal_propose(actor=actor, kind=CAPS_KIND, key="caps", values={"caps": values},
                                      previous={"caps": previous}, summary=_("Uninsured exposure caps"))


def _apply_caps(actor, change) -> dict:
    list(UninsuredCap.objects.select_for_update())  # lock the table rows in force
    if _caps_values() != change.previous.get("caps", {}):
        raise Conflict(_("The caps were changed after this proposal; reject it and propose again."))
    before = _caps_values()
    wanted = change.values.get("caps", {})
    UninsuredCap.objects.exclude(grade__in=list(wanted)).delete()
    for grade, amount in wanted.items():
        UninsuredCap.objects.update_or_create(grade=grade, defaults={"max_uninsured": to_decimal(amount),
                                                                     "updated_by": actor})
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, object_type="insurance.uninsuredcap",
                 object_id="caps", object_repr="uninsured caps", before=before, after=_caps_values())
    return wanted


def _caps_rows(change) -> list[dict]:
    before, after = change.previous.get("caps", {}), change.values.get("caps", {})
    return [{"field": grade, "label": grade, "before": before.get(grade), "after": after.get(grade)}
            for grade in GRADES if grade in before or grade in after]


proposals_registry.register(proposals_registry.ChangeKind(
    slug=CAPS_KIND, model=Proposal, apply=_apply_caps, permission="insurance.change_uninsuredcap",
    title=lambda change: _("Uninsured exposure caps by grade"), rows=_caps_rows, list_url="insurance:policy_list",
    messages={"open": gettext_lazy("A change of the uninsured caps is already waiting for approval.")}))


# --- Buyer limits (facts from the insurer) ----------------------------------------------------------------

def _locked_limit(actor, limit) -> BuyerLimit:
    _visible(actor, BuyerLimit.objects, limit)
    return BuyerLimit.objects.select_for_update().select_related("policy").get(pk=limit.pk)


def _validity(valid_from, valid_to):
    start, end = _date(valid_from, "valid_from"), _date(valid_to, "valid_to", required=False)
    if end is not None and end < start:
        _fail("valid_to", _("The buyer limit ends before it starts."))
    return start, end


@transaction.atomic
def buyer_limit_request(*, actor, policy, customer, amount, currency=None, conditions="") -> BuyerLimit:
    """Record a buyer limit asked of the insurer for a customer (state requested: it covers nothing yet)."""
    access.require(actor, "insurance.add_buyerlimit")
    from customers.models import Customer

    if not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
        raise NotAllowed(_("You cannot see this customer."))
    if not policy.in_force(clock.today()):
        _fail("policy", _("The policy is not in force."))
    if BuyerLimit.objects.filter(policy=policy, customer=customer, state__in=[
            BuyerLimitState.REQUESTED, BuyerLimitState.GRANTED, BuyerLimitState.REDUCED]).exists():
        raise Conflict(_("This customer already has a buyer limit under this policy: change that one."))
    limit = BuyerLimit.objects.create(policy=policy, customer=customer, amount=_amount(amount, "amount"),
                                      currency=_currency(currency or policy.currency),
                                      conditions=(conditions or "").strip(), created_by=actor)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=limit, after=snapshot(limit))
    return limit


@transaction.atomic
def buyer_limit_grant(*, actor, limit, amount, valid_from, valid_to=None, decided_on=None, conditions=None,
                      insurer_reference="") -> BuyerLimit:
    """The insurer granted the limit (perhaps for less than asked), valid from/to, with its conditions."""
    access.require(actor, "insurance.change_buyerlimit")
    limit = _locked_limit(actor, limit)
    if limit.state != BuyerLimitState.REQUESTED:
        raise Conflict(_("Only a requested buyer limit can be granted."))
    start, end = _validity(valid_from, valid_to)
    return audited_transition(actor, limit, "grant", verb="buyerlimit_grant", amount=_amount(amount, "amount"),
                       valid_from=start, valid_to=end,
                       decided_on=_date(decided_on, "decided_on", required=False) or clock.today(),
                       conditions=limit.conditions if conditions is None else conditions.strip(),
                       insurer_reference=(insurer_reference or limit.insurer_reference).strip()[:100])


@transaction.atomic
def buyer_limit_reduce(*, actor, limit, amount, decided_on=None, conditions=None) -> BuyerLimit:
    """The insurer reduced a granted limit (to zero is a withdrawal)."""
    access.require(actor, "insurance.change_buyerlimit")
    limit = _locked_limit(actor, limit)
    if limit.state not in (BuyerLimitState.GRANTED, BuyerLimitState.REDUCED):
        raise Conflict(_("Only a granted buyer limit can be reduced."))
    new = _amount(amount, "amount")
    if new >= limit.amount:
        _fail("amount", _("A reduction is below the current amount (%(amount)s).") % {"amount": limit.amount})
    return audited_transition(actor, limit, "reduce", verb="buyerlimit_reduce", amount=new,
                       decided_on=_date(decided_on, "decided_on", required=False) or clock.today(),
                       conditions=limit.conditions if conditions is None else conditions.strip())


@transaction.atomic
def buyer_limit_withdraw(*, actor, limit, decided_on=None, note="") -> BuyerLimit:
    """The insurer withdrew the limit (or refused the request): invoices issued from that day are not insured."""
    access.require(actor, "insurance.change_buyerlimit")
    limit = _locked_limit(actor, limit)
    if limit.state not in (BuyerLimitState.REQUESTED, BuyerLimitState.GRANTED, BuyerLimitState.REDUCED):
        raise Conflict(_("This buyer limit is no longer live."))
    conditions = limit.conditions + (("\n" if limit.conditions else "") + note.strip() if note.strip() else "")
    return audited_transition(actor, limit, "withdraw", verb="buyerlimit_withdraw",
                       decided_on=_date(decided_on, "decided_on", required=False) or clock.today(),
                       conditions=conditions)


@transaction.atomic
def buyer_limits_expire(*, actor, on_date=None) -> int:
    """Mark the granted limits whose validity ended before ``on_date`` expired (idempotent; the split already
    ignores them by date)."""
    access.require(actor, "insurance.change_buyerlimit")
    on_date = on_date or clock.today()
    count = 0
    for limit in BuyerLimit.objects.select_for_update().filter(
            state__in=[BuyerLimitState.GRANTED, BuyerLimitState.REDUCED], valid_to__lt=on_date):
        audited_transition(actor, limit, "expire", verb="buyerlimit_expire")
        count += 1
    return count


# --- Notifications and claims -----------------------------------------------------------------------------

def _insured_invoice_row(invoice, on_date):
    from .selectors import insured_overdue_invoices

    return next((r for r in insured_overdue_invoices([invoice.customer_id], on_date)
                 if r["invoice_id"] == invoice.pk), None)


@transaction.atomic
def notification_record(*, actor, invoice, notified_on, reference, note="") -> InsurerNotification:
    """Record that an insured overdue invoice was notified to the insurer: it clears the "notify the insurer"
    alert (the customer's rules are evaluated again)."""
    access.require(actor, "insurance.add_insurernotification")
    from collection.models import Invoice

    _visible(actor, Invoice.objects, invoice)
    notified_on = _date(notified_on, "notified_on")
    if notified_on > clock.today():
        _fail("notified_on", _("The date is in the future."))
    if not (reference or "").strip():
        _fail("reference", _("Enter the reference of the notification."))
    row = _insured_invoice_row(invoice, max(notified_on, invoice.due_date + dt.timedelta(days=1)))
    if row is None:
        _fail("invoice", _("This invoice is not an insured overdue invoice."))
    if InsurerNotification.objects.filter(invoice=invoice).exists():
        raise Conflict(_("This invoice was already notified to the insurer."))
    item = InsurerNotification.objects.create(policy=row["policy"], customer_id=invoice.customer_id, invoice=invoice,
                                              notified_on=notified_on, reference=reference.strip()[:100],
                                              note=(note or "").strip(), created_by=actor)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=item, after=snapshot(item))
    publish_on_commit(events.INSURER_NOTIFIED, notification_id=item.pk, customer_id=invoice.customer_id)
    return item


@transaction.atomic
def claim_file(*, actor, invoice, amount, filed_on, reference="", note="") -> InsuranceClaim:
    """File a claim with the insurer for an insured invoice, before the policy's claim deadline (due date +
    the policy's claim days); a late claim is refused, since the insurer would refuse it."""
    access.require(actor, "insurance.add_insuranceclaim")
    from collection.models import Invoice

    _visible(actor, Invoice.objects, invoice)
    filed_on = _date(filed_on, "filed_on")
    if filed_on > clock.today():
        _fail("filed_on", _("The date is in the future."))
    row = _insured_invoice_row(invoice, max(filed_on, invoice.due_date + dt.timedelta(days=1)))
    if row is None:
        _fail("invoice", _("This invoice is not an insured overdue invoice."))
    policy = row["policy"]
    last_day = rules.deadline(invoice.due_date, policy.claim_days)
    if filed_on > last_day:
        _fail("filed_on", _("The claim deadline of the policy passed on %(date)s.") % {"date": last_day.isoformat()})
    amount = _amount(amount, "amount")
    if amount > invoice.outstanding:
        _fail("amount", _("The claim exceeds what the invoice still owes (%(amount)s).") % {"amount": invoice.outstanding})
    if InsuranceClaim.objects.filter(invoice=invoice).exclude(state=ClaimState.REJECTED).exists():
        raise Conflict(_("A claim on this invoice is already open or paid."))
    claim = InsuranceClaim.objects.create(policy=policy, customer_id=invoice.customer_id, invoice=invoice,
                                          filed_on=filed_on, amount=amount, currency=invoice.currency,
                                          reference=(reference or "").strip()[:100], note=(note or "").strip(),
                                          created_by=actor)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=claim, after=snapshot(claim))
    return claim


def _locked_claim(actor, claim) -> InsuranceClaim:
    access.require(actor, "insurance.change_insuranceclaim")
    _visible(actor, InsuranceClaim.objects, claim)
    return InsuranceClaim.objects.select_for_update().get(pk=claim.pk)


@transaction.atomic
def claim_accept(*, actor, claim, reference="") -> InsuranceClaim:
    claim = _locked_claim(actor, claim)
    if claim.state != ClaimState.FILED:
        raise Conflict(_("Only a filed claim can be accepted."))
    return audited_transition(actor, claim, "accept", verb="claim_accept",
                             reference=(reference or claim.reference).strip()[:100])


@transaction.atomic
def claim_reject(*, actor, claim, note) -> InsuranceClaim:
    claim = _locked_claim(actor, claim)
    if claim.state not in (ClaimState.FILED, ClaimState.ACCEPTED):
        raise Conflict(_("Only a filed or accepted claim can be rejected."))
    if not (note or "").strip():
        _fail("note", _("Give the insurer's reason."))
    return audited_transition(actor, claim, "reject", verb="claim_reject", note=note.strip())


@transaction.atomic
def claim_pay(*, actor, claim, paid_amount, paid_on) -> InsuranceClaim:
    """The insurer paid the claim (at most the amount claimed)."""
    claim = _locked_claim(actor, claim)
    if claim.state not in (ClaimState.FILED, ClaimState.ACCEPTED):
        raise Conflict(_("Only a filed or accepted claim can be paid."))
    paid = _amount(paid_amount, "paid_amount")
    if paid > claim.amount:
        _fail("paid_amount", _("The insurer cannot pay more than the amount claimed."))
    paid_on = _date(paid_on, "paid_on")
    if paid_on < claim.filed_on or paid_on > clock.today():
        _fail("paid_on", _("The payment date is between the filing and today."))
    return audited_transition(actor, claim, "pay", verb="claim_pay", paid_amount=paid, paid_on=paid_on)


@transaction.atomic
def claim_link(*, actor, claim, claim_payout=None, write_off=None) -> InsuranceClaim:
    """Link a claim to the claim payout and to the write-off recorded in collection for the same customer
    (and invoice, where they name one)."""
    from collection.models import ClaimPayout, WriteOff

    claim = _locked_claim(actor, claim)
    if claim_payout is None and write_off is None:
        raise ValidationFailed(_("Choose a claim payout or a write-off to link."))
    before = snapshot(claim)
    if claim_payout is not None:
        _visible(actor, ClaimPayout.objects, claim_payout)
        if claim_payout.customer_id != claim.customer_id or (
                claim_payout.invoice_id and claim.invoice_id and claim_payout.invoice_id != claim.invoice_id):
            _fail("claim_payout", _("The claim payout is about another customer or invoice."))
        claim.claim_payout = claim_payout
    if write_off is not None:
        _visible(actor, WriteOff.objects, write_off)
        if write_off.case.customer_id != claim.customer_id:
            _fail("write_off", _("The write-off is about another customer."))
        if claim.invoice_id and not write_off.items.filter(invoice_id=claim.invoice_id).exists():
            _fail("write_off", _("The write-off does not include the claim's invoice."))
        claim.write_off = write_off
    claim.save()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=claim, verb="claim_link", before=before,
                 after=snapshot(claim))
    return claim
