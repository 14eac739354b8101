"""Reads shared by pages, API, services and tasks: set-wise, a constant number of queries per call."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db.models import Q, Sum

from creditportal.core import clock
from creditportal.core.money import MissingRate, RateTable

from . import providers, rules
from .models import (
    ApproverAuthority,
    AuthorityLevel,
    CreditApplication,
    CreditPolicy,
    CustomerHold,
    Decision,
    Delegation,
    Facility,
    GroupLimit,
    Order,
)

ZERO = Decimal("0")
OPEN_FACILITY_STATES = [Facility.Status.ACTIVE, Facility.Status.SUSPENDED]


# --- Ratings (owned by the ratings app, read through its selectors) ---------------------------

def current_rating(customer):
    """The customer's approved current rating (``.grade``, ``.is_expired``…), or None."""
    from ratings import selectors as rating_selectors

    return rating_selectors.current_rating(customer)


def current_ratings(customer_ids) -> dict:
    from ratings import selectors as rating_selectors

    return rating_selectors.current_ratings(list(customer_ids))


def grade_rank(grade: str) -> int:
    try:
        from ratings.selectors import grade_rank as ratings_grade_rank
    except ImportError:  # the ratings app without the helper: the default master scale
        return rules.default_grade_rank(grade)
    return ratings_grade_rank(grade)


def rating_is_expired(rating, on_date=None) -> bool:
    if rating is None:
        return True
    expired = getattr(rating, "is_expired", None)
    if callable(expired):
        expired = expired()
    if expired is None:
        due = getattr(rating, "review_due", None)
        expired = due is not None and due < (on_date or clock.today())
    return bool(expired)


# --- Policy and matrix ------------------------------------------------------------------------

def policy_in_force(on_date: dt.date | None = None):
    """The policy that governs ``on_date``: the latest activated one whose effective date has come."""
    on_date = on_date or clock.today()
    return (
        CreditPolicy.objects.filter(status__in=[CreditPolicy.Status.IN_FORCE, CreditPolicy.Status.SUPERSEDED],
                                    effective_from__lte=on_date)
        .prefetch_related("rules").order_by("-effective_from", "-version").first()
    )


def matrix_levels() -> list[rules.Level]:
    return [lv.as_level() for lv in AuthorityLevel.objects.order_by("number")]


def own_level(user) -> int | None:
    row = (ApproverAuthority.objects.filter(user=user, active=True).select_related("level").first()
           if user and user.pk else None)
    return row.level.number if row else None


def _authority(user, on_date):
    """(``rules.Authority``, {delegator id: delegator}) of ``user`` on ``on_date`` (3 queries)."""
    if not (user and user.pk):
        return rules.NO_AUTHORITY, {}
    own = ApproverAuthority.objects.filter(user=user, active=True).select_related("level").first()
    delegations = list(
        Delegation.objects.active_on(on_date).filter(delegate=user).select_related("level", "delegator")
    )
    delegator_levels = {}
    if delegations:
        delegator_levels = {
            row.user_id: row.level.as_level()
            for row in ApproverAuthority.objects.filter(user_id__in=[d.delegator_id for d in delegations],
                                                        active=True).select_related("level")
        }
    result = rules.authority(own.level.as_level() if own else None,
                             [(d.level.as_level(), delegator_levels.get(d.delegator_id), d.delegator_id)
                              for d in delegations])
    return result, {d.delegator_id: d.delegator for d in delegations}


def authority_of(user, on_date: dt.date | None = None) -> rules.Authority:
    """The one authority rule (``rules.authority``) for ``user`` on ``on_date``: the matrix entry or a
    delegation capped at the delegator's own authority; no entry → no authority. Every amount-based
    decision reads it: application approvals (its level), write-offs (the amount it covers)."""
    return _authority(user, on_date or clock.today())[0]


def require_amount_authority(user, amount_reporting, *, decision: str, on_date: dt.date | None = None):
    """Refuse (``NotAllowed``) an amount-based decision beyond ``user``'s authority (``authority_of``): no matrix
    entry nor delegation → no authority; otherwise the level's amount must cover ``amount_reporting`` (in the
    reporting currency). ``decision`` names it for the message ("a write-off", "an overridden grade")."""
    from django.conf import settings
    from django.utils.translation import gettext as _

    from creditportal.core.errors import NotAllowed

    authority = authority_of(user, on_date)
    if authority.level is None:
        raise NotAllowed(_("You have no entry in the authority matrix (nor a delegation): you cannot approve "
                           "%(decision)s.") % {"decision": decision})
    if not authority.covers(amount_reporting):
        raise NotAllowed(_("%(decision)s over %(amount)s exceeds your approval authority.")
                         % {"decision": decision[:1].upper() + decision[1:],
                            "amount": f"{settings.REPORTING_CURRENCY} {amount_reporting:,.2f}"})
    return authority


class OverrideAuthority:
    """Ratings' decision-authority provider (``ratings.providers``): an overridden grade decides how much
    credit the customer can get, so approving it is an amount-based decision over the customer's exposure."""

    def require_override_authority(self, user, customer_id):
        from django.utils.translation import gettext as _

        exposure = customer_exposures([customer_id]).get(customer_id, Decimal(0))
        require_amount_authority(user, exposure, decision=_("an overridden grade"))


def effective_authority(user, on_date: dt.date | None = None):
    """``(level number, delegator)``: ``authority_of`` as the approval workflow uses it. ``delegator`` is the
    person whose authority is used when it is a delegated level that exceeds the user's own."""
    result, delegators = _authority(user, on_date or clock.today())
    return result.number, delegators.get(result.delegator_id)


def approvers_for_level(level: int, on_date=None) -> set[int]:
    """Ids of users whose authority (``rules.authority``) on ``on_date`` reaches ``level``."""
    on_date = on_date or clock.today()
    levels = {lv.number: lv for lv in matrix_levels()}
    own = {user_id: levels.get(number) for user_id, number in
           ApproverAuthority.objects.filter(active=True).values_list("user_id", "level__number")}
    ids = {user_id for user_id, lv in own.items() if lv is not None and lv.number >= level}
    for delegate_id, delegator_id, number in Delegation.objects.active_on(on_date).values_list(
            "delegate_id", "delegator_id", "level__number"):
        capped = rules.capped_level(levels[number], own.get(delegator_id))
        if capped is not None and capped.number >= level:
            ids.add(delegate_id)
    return ids


# --- Exposure ----------------------------------------------------------------------------------

def group_member_ids(customer) -> list[int]:
    from customers.models import Customer

    if customer.group_id:
        return list(Customer.objects.filter(group_id=customer.group_id).values_list("id", flat=True))
    return [customer.pk]


PENDING_APPLICATION_STATES = [CreditApplication.Status.SUBMITTED, CreditApplication.Status.UNDER_REVIEW,
                              CreditApplication.Status.RECOMMENDED, CreditApplication.Status.PENDING_APPROVAL]


class _FacilityRow(NamedTuple):
    """What exposure and usage read of a facility (``utilisation`` takes these or ``Facility`` objects)."""

    pk: int
    customer_id: int
    limit: Decimal
    currency: str


def customer_exposures(customer_ids, *, table: RateTable | None = None, exclude_facility_ids=(),
                       exclude_application_ids=()) -> dict[int, Decimal]:
    """``{customer_id: exposure}`` in the reporting currency (``rules.customer_exposure``): each open
    facility's max(limit, usage) plus what pending applications would add (4 queries). Raises
    ``MissingRate`` when an FX rate is missing."""
    ids = list(customer_ids)
    table = table or RateTable(clock.today())
    # ``__any``: one array parameter however many customers (a relationship manager's book runs to thousands)
    facilities = [_FacilityRow(*row) for row in
                  Facility.objects.filter(customer_id__any=ids, status__in=OPEN_FACILITY_STATES)
                  .exclude(pk__in=list(exclude_facility_ids))
                  .values_list("id", "customer_id", "limit", "currency")]  # rows, not models: a book has thousands
    used = utilisation(facilities, table=table)
    by_customer = defaultdict(list)
    for f in facilities:
        by_customer[f.customer_id].append((table.convert(f.limit, f.currency),
                                           table.convert(used.get(f.pk, ZERO), f.currency)))
    pending = defaultdict(list)
    rows = (CreditApplication.objects.filter(customer_id__any=ids, status__in=PENDING_APPLICATION_STATES)
            .exclude(pk__in=list(exclude_application_ids))
            .values("customer_id", "application_type", "amount", "currency", "facility_id", "facility__limit",
                    "facility__currency"))
    T = CreditApplication.Type
    for row in rows:
        replaced = None
        if row["facility_id"] and row["application_type"] in (T.INCREASE, T.RENEWAL):
            replaced = table.convert(row["facility__limit"], row["facility__currency"])
        pending[row["customer_id"]].append(rules.pending_addition(
            amount=table.convert(row["amount"], row["currency"]), decrease=row["application_type"] == T.DECREASE,
            replaced_limit=replaced))
    return {cid: rules.customer_exposure(by_customer.get(cid, []), pending.get(cid, [])) for cid in ids}


def group_exposure(customer, *, exclude_facility_ids=(), exclude_application_ids=(),
                   table: RateTable | None = None) -> Decimal:
    """The exposure of the customer's group (its members' sum; the customer alone outside a group) in the
    reporting currency; the facility an application replaces and the application itself are left out."""
    return sum(customer_exposures(group_member_ids(customer), table=table, exclude_facility_ids=exclude_facility_ids,
                                  exclude_application_ids=exclude_application_ids).values(), ZERO)


def group_limit_in_force(customer, on_date: dt.date):
    """The customer's group limit that binds on ``on_date`` (active, not expired), or None."""
    row = group_limit_for(customer)
    if row is None or (row.expiry_date is not None and row.expiry_date < on_date):
        return None
    return row


def group_limit_for(customer):
    if not customer.group_id:
        return None
    return GroupLimit.objects.filter(group_id=customer.group_id, active=True).first()


# --- Utilisation ------------------------------------------------------------------------------

def utilisation(facilities, *, table: RateTable | None = None) -> dict[int, Decimal]:
    """``{facility_id: open invoices + reserved orders}`` in each facility's currency (3 queries at most)."""
    facilities = list(facilities)
    if not facilities:
        return {}
    table = table or RateTable(clock.today())
    currency_of = {f.pk: f.currency for f in facilities}
    result = {pk: ZERO for pk in currency_of}
    for pk, amount in providers.open_amounts_by_facility(currency_of).items():
        if pk in result:
            result[pk] += amount
    rows = (Order.objects.filter(facility_id__any=list(currency_of), status=Order.Status.RESERVED)
            .values("facility_id", "currency").annotate(total=Sum("amount")))
    for row in rows:
        pk = row["facility_id"]
        result[pk] += table.convert(row["total"], row["currency"], currency_of[pk])
    return result


def group_utilisation(group_id: int, currency: str, *, table: RateTable | None = None) -> Decimal:
    """What the group's facilities use, in ``currency`` (the group limit's)."""
    table = table or RateTable(clock.today())
    facilities = [_FacilityRow(*row) for row in
                  Facility.objects.filter(customer__group_id=group_id).exclude(status=Facility.Status.CLOSED)
                  .values_list("id", "customer_id", "limit", "currency")]
    used = utilisation(facilities, table=table)
    currency_of = {f.pk: f.currency for f in facilities}
    return sum((table.convert(amount, currency_of[pk], currency) for pk, amount in used.items()), ZERO)


def status_reasons(facility, rating, on_date) -> list[str]:
    reasons = []
    if facility.status == Facility.Status.SUSPENDED:
        reasons.append("suspended")
    elif facility.status == Facility.Status.CLOSED:
        reasons.append("closed")
    if facility.status == Facility.Status.EXPIRED or facility.expiry_date < on_date:
        reasons.append("expired")
    if facility.start_date > on_date:
        reasons.append("not_started")
    if getattr(facility.customer, "status", None) in ("suspended", "closed"):
        reasons.append("customer_suspended")
    if rating_is_expired(rating, on_date):
        reasons.append("rating_expired")
    return reasons


def limit_check(facility, amount: Decimal, currency: str, *, on_date=None) -> rules.LimitCheck:
    """Would an order of ``amount`` ``currency`` on ``facility`` be allowed now? (see ``rules.limit_decision``)"""
    on_date = on_date or clock.today()
    table = RateTable(on_date)
    try:
        amount_fc = table.convert(amount, currency, facility.currency)
    except MissingRate:
        return rules.LimitCheck(False, ("missing_fx_rate",))
    used = utilisation([facility], table=table)[facility.pk]
    group_limit = group_limit_for(facility.customer)
    extra = {}
    if group_limit is not None and (group_limit.expiry_date is None or group_limit.expiry_date >= on_date):
        extra = {
            "group_limit": group_limit.limit,
            "group_utilised": group_utilisation(facility.customer.group_id, group_limit.currency, table=table),
            "group_amount": table.convert(amount, currency, group_limit.currency),
        }
    reasons = status_reasons(facility, current_rating(facility.customer), on_date)
    result = rules.limit_decision(amount=amount_fc, limit=facility.limit, utilised=used, status_reasons=reasons,
                                  **extra)
    return result


# --- Work queue -------------------------------------------------------------------------------

def work_queue(user, *, on_date=None):
    """Applications awaiting an action of ``user``, oldest first (by the time they entered their state)."""
    from creditportal.core import access

    S = CreditApplication.Status
    if not (user and user.is_authenticated):
        return CreditApplication.objects.none()
    base = CreditApplication.objects.visible_to(user).select_related("customer")
    condition = Q(pk__in=[])
    if access.has(user, "credit.submit_creditapplication"):
        condition |= Q(status__in=[S.DRAFT, S.RETURNED], created_by=user)
    if access.has(user, "credit.review_creditapplication"):
        condition |= Q(status=S.SUBMITTED) & ~Q(created_by=user)
        condition |= Q(status=S.UNDER_REVIEW, reviewer=user)
    if access.has(user, "credit.approve_creditapplication"):
        level, _delegator = effective_authority(user, on_date)
        if level:
            condition |= (Q(status=S.PENDING_APPROVAL, current_level__lte=level) & ~Q(created_by=user)
                          & ~Q(reviewer=user)
                          & ~Q(pk__in=Decision.objects.filter(action=Decision.Action.APPROVE, voided=False, actor=user)
                               .values("application_id")))
    return base.filter(condition).distinct().order_by("status_changed_at", "id")


def age_days(application, today=None) -> int:
    since = application.status_changed_at or application.created_at
    from django.utils import timezone

    return max(((today or clock.today()) - timezone.localtime(since).date()).days, 0)


def reporting_currency() -> str:
    return settings.REPORTING_CURRENCY


# --- What a user may do now (the pages' buttons) ----------------------------------------------

EDITABLE_APPLICATION_STATES = (CreditApplication.Status.DRAFT, CreditApplication.Status.RETURNED)


def application_editable(user, application) -> bool:
    """May ``user`` change the terms and items of ``application`` now (a draft or a returned one)?"""
    from creditportal.core import access

    return application.status in EDITABLE_APPLICATION_STATES and access.has(user, "credit.change_creditapplication")


def policy_actions(user, policy) -> set[str]:
    """What ``user`` may do with ``policy`` now: ``edit`` a draft, ``supersede`` the policy in force with a new
    version, ``activate`` a draft somebody else made (four-eyes)."""
    from creditportal.core import access

    S = CreditPolicy.Status
    actions = set()
    if policy.status == S.DRAFT and access.has(user, "credit.change_creditpolicy"):
        actions.add("edit")
    if policy.status == S.IN_FORCE and access.has(user, "credit.add_creditpolicy"):
        actions.add("supersede")
    if (policy.status == S.DRAFT and policy.created_by_id != user.pk
            and access.has(user, "credit.approve_creditpolicy")):
        actions.add("activate")
    return actions


def facility_actions(user, facility) -> set[str]:
    """The facility page's actions open to ``user`` now: ``order``, ``suspend`` (an active facility),
    ``resume`` (a suspended one), ``change`` (reduce the limit, close), ``reason_form`` (any of these three
    permissions: the form with the reason), ``cancel_order`` (a reserved order: :func:`order_cancellable`)."""
    from creditportal.core import access

    S = Facility.Status
    actions = set()
    if access.has(user, "credit.add_order") and facility.status == S.ACTIVE:
        actions.add("order")
    if access.has(user, "credit.suspend_facility") and facility.status == S.ACTIVE:
        actions.add("suspend")
    if access.has(user, "credit.resume_facility") and facility.status == S.SUSPENDED:
        actions.add("resume")
    if access.has(user, "credit.change_facility") and facility.status in (S.ACTIVE, S.SUSPENDED):
        actions.add("change")
    if actions & {"suspend", "resume", "change"}:
        actions.add("reason_form")  # the form that suspends, resumes, reduces or closes (only what applies now)
    if access.has(user, "credit.change_order"):
        actions.add("cancel_order")
    return actions


def order_cancellable(actions: set[str], order) -> bool:
    """May the user whose facility actions are ``actions`` cancel ``order`` now (a reserved order)?"""
    return "cancel_order" in actions and order.status == Order.Status.RESERVED


# --- Payment terms (trade credit, issue 23) ---------------------------------------------------

def allowed_payment_terms(customer_ids, facility_ids=(), on_date: dt.date | None = None):
    """What payment term each customer may be invoiced on, set-wise (a constant number of queries):

    * ``by_customer``: ``{customer_id: {"grade", "days", "hard"}}``, the longest payment term the policy in force
      sets for the grade of the customer's current rating (``days`` ``None``: no term set or no rating);
    * ``by_facility``: ``{facility_id: days}``, the payment term approved on the application that opened the
      facility (a longer term than the grade's only with an approved policy exception).
    """
    from .models import Facility

    customer_ids = list({int(i) for i in customer_ids})
    policy = policy_in_force(on_date)
    by_grade = {r.grade: r for r in policy.rules.all()} if policy else {}
    ratings = current_ratings(customer_ids) if customer_ids else {}
    by_customer = {}
    for customer_id in customer_ids:
        grade = getattr(ratings.get(customer_id), "grade", None)
        rule = by_grade.get(grade)
        by_customer[customer_id] = {"grade": grade, "days": rule.max_payment_term_days if rule else None,
                                    "hard": bool(rule and rule.payment_term_hard)}
    facility_ids = [i for i in {*facility_ids} if i]
    by_facility = dict(Facility.objects.filter(pk__in=facility_ids, application__payment_term_days__isnull=False)
                       .values_list("pk", "application__payment_term_days")) if facility_ids else {}
    return by_customer, by_facility


# --- Order holds (暂停交货) -------------------------------------------------------------------------

def overdue_tolerance_days(on_date: dt.date | None = None, *, policy=None) -> int:
    """Days past due the credit policy in force tolerates (its ``overdue_tolerance_days``, or
    ``settings.APPROVAL_OVERDUE_TOLERANCE_DAYS``, 30 by default, when it sets none): beyond it deliveries are held
    and a decision is warned (the one definition, read by the holds and the customer header)."""
    policy = policy if policy is not None else policy_in_force(on_date)
    value = getattr(policy, "overdue_tolerance_days", None) if policy is not None else None
    if value is None:
        value = getattr(settings, "APPROVAL_OVERDUE_TOLERANCE_DAYS", rules.DEFAULT_OVERDUE_TOLERANCE_DAYS)
    return int(value)


def hold_causes(customer_ids, on_date: dt.date | None = None, *, table: RateTable | None = None,
                tolerance: int | None = None) -> dict[int, tuple[tuple[str, ...], dict]]:
    """``{customer_id: (reasons, detail)}``: why each customer's deliveries must be held now
    (``rules.hold_reasons``), with the figures (days past due, tolerance, facilities over their limit).
    Set-wise: a constant number of queries whatever the number of customers."""
    ids = sorted({int(i) for i in customer_ids})
    if not ids:
        return {}
    on_date = on_date or clock.today()
    table = table or RateTable(on_date)
    tolerance = overdue_tolerance_days(on_date) if tolerance is None else tolerance
    days = providers.days_past_due(ids, on_date)
    facilities = list(Facility.objects.filter(customer_id__in=ids, status__in=OPEN_FACILITY_STATES)
                      .only("id", "customer_id", "limit", "currency"))
    used = utilisation(facilities, table=table)
    by_customer = defaultdict(list)
    for facility in facilities:
        by_customer[facility.customer_id].append(facility)
    return {cid: hold_causes_of(by_customer[cid], used, days[cid], tolerance) for cid in ids}


def hold_causes_of(facilities, used: dict, days_past_due: int, tolerance: int) -> tuple[tuple[str, ...], dict]:
    """``(reasons, detail)`` of one customer from facts already loaded: its open facilities, their usage
    (``{facility_id: usage}``, see :func:`utilisation`), its days past due and the tolerance."""
    pairs = [(f.limit, used.get(f.pk, ZERO)) for f in facilities]
    reasons = rules.hold_reasons(max_days_past_due=days_past_due, tolerance_days=tolerance, facilities=pairs)
    detail = {"days_past_due": days_past_due, "tolerance_days": tolerance,
              "over_limit": [{"facility_id": f.pk, "limit": str(f.limit), "used": str(used.get(f.pk, ZERO)),
                              "currency": f.currency} for f in facilities if used.get(f.pk, ZERO) > f.limit]}
    return reasons, detail


@dataclass(frozen=True)
class HoldStatus:
    """Are the customer's deliveries held now, and why: the recorded hold (if any), plus any cause found now that
    no standing release covers (the next evaluation records it)."""

    reasons: tuple = ()
    hold: CustomerHold | None = None
    detail: dict = dc_field(default_factory=dict)

    @property
    def held(self) -> bool:
        return bool(self.reasons)


def hold_status(customer, on_date: dt.date | None = None, *, table: RateTable | None = None,
                causes: tuple | None = None) -> HoldStatus:
    """The customer's hold now (``causes``: its ``(reasons, detail)`` when the caller has them, see
    :func:`hold_causes_of`; one query more)."""
    cid = customer.pk
    live, detail = causes if causes is not None else hold_causes([cid], on_date, table=table)[cid]
    hold, covered = None, set()
    for row in (CustomerHold.objects.filter(customer_id=cid)
                .filter(Q(status=CustomerHold.Status.HELD) | Q(override=True)).order_by("-since", "-id")):
        if row.status == CustomerHold.Status.HELD:
            hold = hold or row
        else:  # a manual release that still stands covers its causes
            covered |= set(row.reasons)
    needed = rules.hold_needed(live, covered)
    recorded = tuple(hold.reasons) if hold else ()
    reasons = tuple(r for r in rules.HOLD_REASONS if r in recorded or r in needed)
    if hold and not reasons:
        reasons = tuple(hold.reasons) or (rules.HOLD_OVERDUE,)
    return HoldStatus(reasons, hold, {**(hold.detail if hold else {}), **detail})


@dataclass(frozen=True)
class OrderCheck:
    """May a new order of an amount ship on a facility now, and if not, why not (hold first, then the limit)."""

    allowed: bool
    reasons: tuple
    limit: rules.LimitCheck
    hold: HoldStatus


def order_check(facility, amount: Decimal, currency: str, *, on_date=None) -> OrderCheck:
    on_date = on_date or clock.today()
    limit = limit_check(facility, amount, currency, on_date=on_date)
    hold = hold_status(facility.customer, on_date)
    reasons = rules.order_refusals(limit.reasons, hold.reasons)
    return OrderCheck(not reasons, reasons, limit, hold)


# --- Coverage of a customer's exposure by collateral and guarantees ------------------------------------

def collateral_coverages(customer_ids, *, table: RateTable | None = None,
                         exposures: dict | None = None) -> dict[int, Decimal | None]:
    """``{customer_id: coverage}``: what the collateral and guarantees of the applications behind the customer's
    open facilities count for (``credit.security``: collateral after its haircut, a guarantee at face × the
    guarantor's recovery factor) over its exposure (``rules.coverage_ratio``, the one coverage definition), in
    the reporting currency; ``None`` without exposure. ``exposures`` (from ``customer_exposures``) saves their
    queries; otherwise a constant number of queries whatever the number of customers. An amount in a currency
    without an FX rate counts nothing."""
    from . import security

    ids = list(customer_ids)
    table = table or RateTable(clock.today())
    if exposures is None:
        exposures = customer_exposures(ids, table=table)
    customer_of = dict(Facility.objects.filter(customer_id__in=ids, status__in=OPEN_FACILITY_STATES,
                                               application__isnull=False).values_list("application_id", "customer_id"))
    collateral, guarantees = defaultdict(list), defaultdict(list)
    for application_id, items in security.security_by_application(list(customer_of)).items():
        for item in items:
            try:
                value = table.convert(item.counted, item.currency)
            except MissingRate:
                continue
            (collateral if item.kind == "collateral" else guarantees)[customer_of[application_id]].append(value)
    return {cid: rules.coverage_ratio(rules.secured_value(collateral[cid], guarantees[cid]),
                                      exposures.get(cid, ZERO)) for cid in ids}
