"""The dunning run: levels reached, actions created and closed, cases opened, actions carried out."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Min, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.system import system_user
from audit.models import AuditEvent
from audit.services import audit_record
from creditportal.core import access, clock
from creditportal.core.errors import Conflict
from creditportal.core.money import RateTable
from creditportal.core.tasks import enqueue_many

from .. import rules
from ..models import (
    ESCALATION_KINDS,
    CollectionCase,
    DunningAction,
    DunningActionKind,
    DunningPolicy,
    Invoice,
    InvoiceStatus,
)
from ._common import ZERO, _transition_case, _RoundRobin
from .dunning_grades import customer_letters, dunning_policy_for, policies_by_letter


# --- dunning run ------------------------------------------------------------------------------

def active_policy():
    return DunningPolicy.objects.filter(is_active=True).prefetch_related("levels").first()


def _advisory_lock(key: int):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


DUNNING_LOCK_KEY = 0x0D0111


@dataclass
class DunningRunResult:
    created: int = 0
    closed: int = 0
    cases_opened: int = 0
    action_ids: list = field(default_factory=list)


def _overdue_by_customer(as_of, min_days, customer_ids=None):
    """One GROUP BY: per customer, the oldest due date of open invoices at or past the first threshold,
    and the overdue total in the reporting currency."""
    from ..selectors import reporting_amount

    table = RateTable(as_of)
    outstanding = reporting_amount(table)
    threshold = as_of - dt.timedelta(days=min_days)
    qs = Invoice.objects.filter(status=InvoiceStatus.OPEN, due_date__lte=threshold)
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=customer_ids)
    rows = qs.values("customer_id").annotate(
        oldest_due=Min("due_date"),
        overdue=Sum(outstanding, filter=Q(due_date__lt=as_of)),
    )
    return {r["customer_id"]: (r["oldest_due"], r["overdue"] or ZERO) for r in rows}


@transaction.atomic
def dunning_run(*, actor=None, as_of=None) -> DunningRunResult:
    """Raise each customer to the highest dunning level its open invoices reach (set-wise, idempotent), by the
    dunning policy of its rating letter (``dunning_grades``), else the active (default) policy.

    One action per customer and level; a customer already at (or above) the level reached gets nothing
    new; a customer with nothing left to dun (paid) has its open actions closed; a customer whose reached
    level fell (an old invoice was paid) has the higher actions closed. Reaching the policy's case level
    opens a collection case assigned to the least-loaded collector; escalation levels escalate the case.
    The audit trail gets one ``run`` event listing every action and case it created (set-wise: the number
    of queries does not grow with the number of customers, except one transition per escalated case).
    """
    actor = actor or system_user()
    access.require(actor, "collection.run_dunning")
    as_of = as_of or clock.today()
    result = DunningRunResult()
    # The policy of each customer: its rating letter's (dunning by grade), else the active one (the default).
    default = active_policy()
    by_letter = policies_by_letter()
    plans = {}
    for policy in [default, *by_letter.values()]:
        if policy is not None and policy.pk not in plans:
            levels = sorted(policy.levels.all(), key=lambda lv: lv.order)
            if levels:
                plans[policy.pk] = (policy, levels, [rules.LevelRule(lv.pk, lv.order, lv.days_past_due)
                                                     for lv in levels])
    if not plans:
        return result
    _advisory_lock(DUNNING_LOCK_KEY)
    by_id = {lv.pk: lv for _p, levels, _r in plans.values() for lv in levels}
    min_days = min(lv.days_past_due for lv in by_id.values())
    state = _overdue_by_customer(as_of, min_days)
    letters = customer_letters(state) if by_letter else {}
    plan_of = {}
    for customer_id in state:
        policy = dunning_policy_for(letters.get(customer_id), by_letter, default)
        if policy is not None and policy.pk in plans:
            plan_of[customer_id] = plans[policy.pk]
    state = {cid: row for cid, row in state.items() if cid in plan_of}
    current = dict(DunningAction.objects.open().values("customer_id").annotate(top=Max("level_order"))
                   .values_list("customer_id", "top"))

    # Close what is no longer due: customers with nothing to dun, and levels above the one reached now.
    reached_order = {}
    for customer_id, (oldest_due, overdue) in state.items():
        policy, _levels, level_rules = plan_of[customer_id]
        days = rules.days_past_due(oldest_due, as_of)
        top = rules.level_to_raise(max_days_past_due=days, overdue_amount=overdue,
                                   tolerance=policy.small_amount_tolerance, levels=level_rules, current_order=None)
        reached_order[customer_id] = top.order if top else -1
    to_close = defaultdict(list)
    for customer_id, top in current.items():
        if customer_id not in reached_order:
            to_close[-1].append(customer_id)
        elif top > reached_order[customer_id]:
            to_close[reached_order[customer_id]].append(customer_id)
    for order, ids in to_close.items():
        result.closed += DunningAction.objects.open().filter(customer_id__in=ids, level_order__gt=order) \
            .update(closed_on=as_of)
        for customer_id in ids:
            current.pop(customer_id, None)
            remaining = order if order >= 0 else None
            if remaining is not None:
                current[customer_id] = remaining

    targets = {}
    for customer_id, (oldest_due, overdue) in state.items():
        policy, _levels, level_rules = plan_of[customer_id]
        days = rules.days_past_due(oldest_due, as_of)
        target = rules.level_to_raise(max_days_past_due=days, overdue_amount=overdue,
                                      tolerance=policy.small_amount_tolerance, levels=level_rules,
                                      current_order=current.get(customer_id))
        if target is not None:
            targets[customer_id] = (by_id[target.id], days, overdue)
    if not targets:
        if result.closed:
            audit_record(actor=actor, action=AuditEvent.Action.RUN, verb="dunning_run",
                         object_type="collection.dunningaction", object_repr=_("dunning run"),
                         after={"as_of": as_of, "created": 0, "closed": result.closed})
        return result

    # The invoices each action is about (one query), and existing active cases (one query).
    invoice_ids = defaultdict(list)
    threshold = as_of - dt.timedelta(days=min_days)
    customer_thresholds = {cid: as_of - dt.timedelta(days=min(lv.days_past_due for lv in plan_of[cid][1]))
                           for cid in targets}
    for customer_id, invoice_id, due in Invoice.objects.filter(
            status=InvoiceStatus.OPEN, customer_id__in=list(targets), due_date__lte=threshold
    ).order_by("due_date", "pk").values_list("customer_id", "pk", "due_date"):
        if due <= customer_thresholds[customer_id]:
            invoice_ids[customer_id].append(invoice_id)
    cases = {c.customer_id: c for c in CollectionCase.objects.active().filter(customer_id__in=list(targets))
             .select_related("assigned_to")}
    robin = _RoundRobin()
    reporting = settings.REPORTING_CURRENCY
    new_actions = []
    for customer_id, (level, days, overdue) in sorted(targets.items()):
        assigned = None
        if level.action == DunningActionKind.PHONE_CALL:
            case = cases.get(customer_id)
            assigned = case.assigned_to if case and case.assigned_to else robin.next()
        new_actions.append(DunningAction(
            customer_id=customer_id, level=level, level_order=level.order, action=level.action, business_date=as_of,
            max_days_past_due=days, overdue_amount=overdue.quantize(Decimal("0.01")), currency=reporting,
            invoice_ids=invoice_ids[customer_id], assigned_to=assigned,
        ))
    try:
        with transaction.atomic():
            created = DunningAction.objects.bulk_create(new_actions, batch_size=1000)
    except IntegrityError as exc:
        raise Conflict(_("Another dunning run is under way; try again later.")) from exc
    if created and created[0].pk is None:  # backends that do not return keys
        created = list(DunningAction.objects.filter(business_date=as_of, closed_on__isnull=True,
                                                    customer_id__in=list(targets)))
    result.created = len(created)
    result.action_ids = [a.pk for a in created]

    # Cases: open at the configured level (or an escalation level), escalate at escalation levels.
    opened = []
    for action in created:
        policy = plan_of[action.customer_id][0]
        opens = (policy.case_open_order is not None and action.level_order >= policy.case_open_order) \
            or action.action in ESCALATION_KINDS
        if opens and action.customer_id not in cases:
            case = CollectionCase(customer_id=action.customer_id, assigned_to=robin.next(), opened_on=as_of,
                                  opened_by=actor, dunning_action=action, next_action_on=as_of)
            opened.append((case, action))
    if opened:
        CollectionCase.objects.bulk_create([c for c, _a in opened], batch_size=500)
        if opened[0][0].pk is None:
            fresh = {c.customer_id: c for c in CollectionCase.objects.active().filter(
                customer_id__in=[c.customer_id for c, _a in opened])}
            opened = [(fresh[c.customer_id], a) for c, a in opened]
        through = CollectionCase.invoices.through
        through.objects.bulk_create([through(collectioncase_id=c.pk, invoice_id=i)
                                     for c, a in opened for i in a.invoice_ids], batch_size=2000)
        for case, _action in opened:
            cases[case.customer_id] = case
        result.cases_opened = len(opened)
    for action in created:
        if action.action in ESCALATION_KINDS:
            case = cases[action.customer_id]
            if case.escalation_channel != action.action:
                _transition_case(actor=actor, case=case, name="escalate", verb=f"escalate_{action.action}",
                                 escalation_channel=action.action)
    audit_record(actor=actor, action=AuditEvent.Action.RUN, verb="dunning_run",
                 object_type="collection.dunningaction", object_repr=_("dunning run"),
                 after={"as_of": as_of, "created": result.created, "closed": result.closed,
                        "cases_opened": result.cases_opened, "action_ids": result.action_ids,
                        "cases": [[c.pk, c.customer_id, getattr(c.assigned_to, "username", None)]
                                  for c, _a in opened]})
    from .. import tasks

    enqueue_many(tasks.execute_dunning_action, [((action.pk,), {}) for action in created  # one outbox INSERT
                                                if action.action not in (DunningActionKind.PHONE_CALL,
                                                                         *ESCALATION_KINDS)])
    return result


@transaction.atomic
def dunning_close_settled(*, customer_ids, as_of) -> int:
    """Close the open dunning actions of customers with no overdue open invoice left (a payment stopped it)."""
    still_overdue = Invoice.objects.filter(customer_id__in=customer_ids, status=InvoiceStatus.OPEN,
                                           due_date__lt=as_of).values("customer_id")
    return DunningAction.objects.open().filter(customer_id__in=customer_ids, level__days_past_due__gte=0) \
        .exclude(customer_id__in=still_overdue).update(closed_on=as_of)


def _customer_emails(customer) -> list[str]:
    emails = [c.email for c in customer.contacts.all() if c.email]
    return emails[:3]


def dunning_action_execute(*, action_id) -> DunningAction | None:
    """Carry out a dunning action's side effect once (mail with the letter, suspend deliveries)."""
    from django.core.mail import EmailMessage

    from ..letters import letter_pdf, letter_subject

    with transaction.atomic():
        action = DunningAction.objects.select_for_update().select_related("customer", "level__policy") \
            .filter(pk=action_id).first()
        if action is None or action.outcome != DunningAction.Outcome.PENDING or action.closed_on:
            return action
        actor = system_user()
        customer = action.customer
        if action.action == DunningActionKind.SUSPEND_DELIVERIES:
            note = _suspend_deliveries(actor=actor, customer=customer, action=action)
            outcome = DunningAction.Outcome.DONE
        else:
            recipients = _customer_emails(customer)
            if not recipients:
                outcome, note = DunningAction.Outcome.SKIPPED, _system_note(gettext_lazy("no e-mail address"))
            else:
                language = action.level.policy.letter_language
                message = EmailMessage(subject=letter_subject(action, language=language),
                                       body=letter_subject(action, language=language),
                                       from_email=settings.DEFAULT_FROM_EMAIL, to=recipients)
                message.attach(f"dunning-{action.pk}.pdf", letter_pdf(action, language=language), "application/pdf")
                transaction.on_commit(message.send)
                outcome, note = DunningAction.Outcome.DONE, _system_note(gettext_lazy("mailed to %(to)s"),
                                                                         to=", ".join(recipients))
        action.outcome, action.outcome_note = outcome, note[:300]
        action.save(update_fields=["outcome", "outcome_note"])
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=action, verb="dunning_executed",
                     after={"outcome": outcome, "note": note})
    return action


def _suspend_deliveries(*, actor, customer, action) -> str:
    from credit.models import Facility
    from credit.services import facility_suspend

    suspended = []
    for facility in Facility.objects.filter(customer=customer, status=Facility.Status.ACTIVE):
        facility_suspend(actor=actor, facility=facility,
                         reason=_("Dunning level %(level)s: %(days)s days past due")
                         % {"level": action.level_order, "days": action.max_days_past_due})
        suspended.append(str(facility.pk))
    if suspended:
        return _system_note(gettext_lazy("suspended facilities %(ids)s"), ids=", ".join(suspended))
    return _system_note(gettext_lazy("no active facility"))


def _system_note(message, **values) -> str:
    """A note the nightly job stores for people to read: in the portal's language (it runs outside any
    request), not in hard-coded English."""
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        return str(message) % values if values else str(message)


@transaction.atomic
def dunning_task_complete(*, actor, action, note="") -> DunningAction:
    """A collector marks a phone-call task as done."""
    access.require(actor, "collection.change_collectioncase")
    action = DunningAction.objects.select_for_update().get(pk=action.pk)
    if action.outcome != DunningAction.Outcome.PENDING:
        raise Conflict(_("This task is already done."))
    action.outcome, action.outcome_note = DunningAction.Outcome.DONE, note[:300]
    action.save(update_fields=["outcome", "outcome_note"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=action, verb="task_done", after={"note": note})
    return action


