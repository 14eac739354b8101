"""Simulations: a dry run of a draft rating model or credit policy over the portfolio."""
from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from creditportal.core import access, clock
from creditportal.core.canonical import jsonable
from creditportal.core.errors import Conflict, ValidationFailed
from creditportal.core.money import MissingRate, RateTable
from creditportal.core.tasks import enqueue
from credit.models import CreditPolicy
from customers.models import Customer
from collection import selectors as collection_selectors
from monitoring import rules as monitoring_rules
from ratings import selectors as rating_selectors
from ratings.engine import validation as metrics
from ratings.engine.scale import Scale, ScaleError
from ratings.engine.evaluation import evaluate
from ratings.engine.scorecard import EngineError, ModelDefinition
from ratings.models import RatingModel, RatingModelState

from .. import selectors
from ..models import RunStatus, Simulation

ZERO = Decimal("0")
MAX_LISTED = 500

# Loss given default for the expected-loss view of provisions (exposure × PD × LGD).
DEFAULT_LGD = Decimal("0.45")


@transaction.atomic
def simulation_start(*, actor, rating_model=None, credit_policy=None, in_worker=True) -> Simulation:
    """Record a dry run of a DRAFT rating model version or a DRAFT credit policy and run it in the worker."""
    access.require(actor, "validation.run_simulation")
    if (rating_model is None) == (credit_policy is None):
        raise ValidationFailed(_("Choose either a draft rating model version or a draft credit policy."),
                               field_errors={"rating_model": _("Choose one of the two.")})
    if rating_model is not None:
        rating_model = RatingModel.objects.get(pk=rating_model.pk)
        if rating_model.state != RatingModelState.DRAFT:
            raise Conflict(_("Only a draft rating model version can be simulated."))
        try:
            ModelDefinition(rating_selectors.definition_of(rating_model))
        except (EngineError, ScaleError, KeyError, ValueError) as exc:
            raise ValidationFailed(_("The draft model is not complete: %(error)s") % {"error": exc},
                                   field_errors={"rating_model": str(exc)}) from exc
        kind = Simulation.Kind.RATING_MODEL
    else:
        credit_policy = CreditPolicy.objects.get(pk=credit_policy.pk)
        if credit_policy.status != CreditPolicy.Status.DRAFT:
            raise Conflict(_("Only a draft credit policy can be simulated."))
        kind = Simulation.Kind.CREDIT_POLICY
    sim = Simulation.objects.create(kind=kind, rating_model=rating_model, credit_policy=credit_policy,
                                    business_date=clock.today(), created_by=actor)
    audit_record(actor=actor, action=AuditEvent.Action.RUN, obj=sim, verb="simulation_start",
                 after={"kind": kind, "rating_model": getattr(rating_model, "pk", None),
                        "credit_policy": getattr(credit_policy, "pk", None)})
    if in_worker:
        from ..tasks import run_simulation

        enqueue(run_simulation, sim.pk)
    return sim


def _progress(sim: Simulation, processed: int):
    Simulation.objects.filter(pk=sim.pk).update(processed=processed)


def simulation_execute(*, simulation_id: int, chunk_size: int | None = None) -> Simulation:
    """Run a recorded simulation in chunks (progress saved after each chunk). Re-running a failed or
    interrupted simulation starts again from the beginning; a finished one is left as it is."""
    with transaction.atomic():
        sim = Simulation.objects.select_for_update().get(pk=simulation_id)
        if sim.status == RunStatus.FINISHED:
            return sim
        sim.status, sim.started_at, sim.processed, sim.error = RunStatus.RUNNING, timezone.now(), 0, ""
        sim.save(update_fields=["status", "started_at", "processed", "error"])
    try:
        if sim.kind == Simulation.Kind.RATING_MODEL:
            results = _simulate_model(sim, chunk_size or selectors.CHUNK)
        else:
            results = _simulate_policy(sim, chunk_size or selectors.CHUNK)
    except Exception as exc:  # noqa: BLE001 - recorded, then re-raised for the worker's log
        Simulation.objects.filter(pk=sim.pk).update(status=RunStatus.FAILED, error=str(exc)[:2000],
                                                    finished_at=timezone.now())
        raise
    with transaction.atomic():
        sim = Simulation.objects.select_for_update().get(pk=sim.pk)
        sim.results = jsonable(results)
        sim.processed = sim.total
        sim.status, sim.finished_at = RunStatus.FINISHED, timezone.now()
        sim.save()
        audit_record(actor=sim.created_by, action=AuditEvent.Action.RUN, obj=sim, verb="simulation_finished",
                     after={k: v for k, v in sim.results.items() if not isinstance(v, (list, dict))})
    return sim


def _total_in_reporting(items, table: RateTable) -> Decimal:
    total = ZERO
    for amount, currency in items:
        total += table.convert(amount or ZERO, currency)
    return total


def _customer_exposures(ids, table: RateTable) -> dict:
    """{customer_id: exposure in the reporting currency (or the ``MissingRate`` met)} through credit's one
    exposure rule (``credit.selectors.customer_exposures``): grade caps apply to exposure, not to limits."""
    from credit.selectors import customer_exposures

    try:
        return customer_exposures(ids, table=table)
    except MissingRate:
        result = {}
        for cid in ids:  # a missing rate: find whom it concerns, one customer at a time
            try:
                result.update(customer_exposures([cid], table=table))
            except MissingRate as exc:
                result[cid] = exc
        return result


def _policy_caps(policy) -> dict[str, Decimal | None]:
    """{grade: cap} of a policy's grade rules: ``None`` = no cap; ZERO = not eligible."""
    caps = {}
    if policy is None:
        return caps
    for rule in policy.rules.all():
        caps[rule.grade] = ZERO if not rule.eligible else rule.max_limit
    return caps


def _cap_for(caps: dict, grade: str | None, has_policy: bool):
    """(cap, reason): the policy's cap for the grade; no rule for a grade = the policy does not lend to it."""
    if not has_policy:
        return None, ""
    if grade is None:
        return ZERO, "not_rated"
    if grade not in caps:
        return ZERO, "not_eligible"
    cap = caps[grade]
    if cap is None:
        return None, ""
    return cap, "not_eligible" if cap == ZERO else "max_limit"


def _customers_for(model: RatingModel) -> list[int]:
    qs = Customer.objects.exclude(status="closed")
    if model.industries:
        qs = qs.filter(industry_section__in=model.industries)
    if model.sizes:
        qs = qs.filter(size__in=model.sizes)
    return list(qs.order_by("pk").values_list("pk", flat=True))


def _simulate_model(sim: Simulation, chunk_size: int) -> dict:
    draft = (RatingModel.objects.select_related("scale").prefetch_related("factors", "scale__grades")
             .get(pk=sim.rating_model_id))
    active = selectors.active_version_of(draft)
    draft_def = ModelDefinition(rating_selectors.definition_of(draft))
    active_def = ModelDefinition(rating_selectors.definition_of(active)) if active else None
    scale: Scale = draft_def.scale
    codes = [g.code for g in scale.grades]
    pd_of = {g.code: g.pd for g in scale.grades}
    letter_of = {g.code: g.letter for g in scale.grades}
    if active_def is not None:
        pd_of.update({g.code: pd_of.get(g.code, g.pd) for g in active_def.scale.grades})
        letter_of.update({g.code: letter_of.get(g.code, g.letter) for g in active_def.scale.grades})
    on_date = sim.business_date
    table = RateTable(on_date)
    policy = _policy_in_force(on_date)
    caps = _policy_caps(policy)
    rates = _provision_rates()
    floors = _grade_floors()
    customer_ids = _customers_for(draft)
    Simulation.objects.filter(pk=sim.pk).update(total=len(customer_ids))
    pairs = Counter()
    errors, breaches = [], []
    breach_count = new_breach_count = evaluated = 0
    breach_excess = ZERO
    prov = {"current": ZERO, "draft": ZERO, "el_current": ZERO, "el_draft": ZERO, "exposure": ZERO}
    draft_settings = draft.settings()  # the behaviour window the draft version would rate with
    processed = 0
    for ids in selectors.chunks(customer_ids, chunk_size):
        customers = rating_selectors.customers_by_id(ids)
        inputs_by = rating_selectors.gather_inputs(customers, on_date=on_date,
                                                   settings_by_customer={c.pk: draft_settings for c in customers})
        current = rating_selectors.current_ratings(ids)
        limits = _customer_exposures(ids, table)
        exposures = selectors.open_exposure(ids)
        manual = selectors.manual_tiers(ids)
        overdue_days = collection_selectors.days_past_due(ids, on_date)
        for customer in customers:
            cid = customer.pk
            rating = current.get(cid)
            expert = (rating.inputs.get("expert_scores") or {}) if rating is not None else {}
            inputs = {**inputs_by[cid], "as_of": on_date.isoformat(), "expert_scores": expert}
            try:
                new_grade = evaluate(draft_def, inputs, explain=False).grade
                old_grade = evaluate(active_def, inputs, explain=False).grade if active_def else None
            except (EngineError, ScaleError, ArithmeticError, TypeError, ValueError) as exc:
                if len(errors) < 200:
                    errors.append({"customer_id": cid, "error": str(exc)[:300]})
                continue
            evaluated += 1
            pairs[(old_grade, new_grade)] += 1
            try:
                limit_total = limits[cid]        # credit's exposure: max(limit, usage) + pending applications
                if isinstance(limit_total, MissingRate):
                    raise limit_total
                exposure = _total_in_reporting(exposures.get(cid, []), table)
            except MissingRate as exc:
                if len(errors) < 200:
                    errors.append({"customer_id": cid, "error": str(exc)[:300]})
                continue
            if limit_total > 0:
                new_cap, reason = _cap_for(caps, new_grade, policy is not None)
                if new_cap is not None and limit_total > new_cap:
                    breach_count += 1
                    breach_excess += limit_total - new_cap
                    old_cap, _old_reason = _cap_for(caps, old_grade, policy is not None)
                    is_new = old_cap is None or limit_total <= old_cap
                    new_breach_count += 1 if is_new else 0
                    breaches.append({"customer_id": cid, "customer": customer.name, "old_grade": old_grade,
                                     "new_grade": new_grade, "limit": limit_total, "cap": new_cap,
                                     "excess": limit_total - new_cap, "reason": reason, "new": is_new})
                    if len(breaches) > 2 * MAX_LISTED:
                        breaches.sort(key=lambda b: -b["excess"])
                        del breaches[MAX_LISTED:]
            if exposure > 0:
                # the month-end run's rule, with the grade of each model in place of the rating in force
                facts = {"days_past_due": overdue_days.get(cid, 0), "manual_tier": manual.get(cid)}
                old_tier = monitoring_rules.classify(**facts, letter=letter_of.get(old_grade), floors=floors).tier
                new_tier = monitoring_rules.classify(**facts, letter=letter_of.get(new_grade), floors=floors).tier
                prov["exposure"] += exposure
                prov["current"] += monitoring_rules.provision(exposure, old_tier, rates)
                prov["draft"] += monitoring_rules.provision(exposure, new_tier, rates)
                if old_grade:
                    prov["el_current"] += monitoring_rules.cents(exposure * pd_of.get(old_grade, ZERO) * DEFAULT_LGD)
                prov["el_draft"] += monitoring_rules.cents(exposure * pd_of.get(new_grade, ZERO) * DEFAULT_LGD)
        processed += len(ids)
        _progress(sim, processed)
    breaches.sort(key=lambda b: -b["excess"])
    # Fill an empty matrix from the counted pairs (not one tuple per customer: 100k customers stay cheap).
    matrix = metrics.migration_matrix([], codes)
    keys = matrix["grades"]
    index = {g: i for i, g in enumerate(keys)}
    rank = {g: i for i, g in enumerate(codes)}
    ups = downs = same = 0
    for (a, b), n in pairs.items():
        a_key, b_key = a if a in index else metrics.NOT_RATED, b if b in index else metrics.NOT_RATED
        matrix["rows"][index[a_key]]["counts"][index[b_key]] += n
        if a in rank and b in rank:
            if rank[b] < rank[a]:
                ups += n
            elif rank[b] > rank[a]:
                downs += n
            else:
                same += n
    for row in matrix["rows"]:
        row["total"] = sum(row["counts"])
        row["shares"] = [c / row["total"] for c in row["counts"]] if row["total"] else [None] * len(row["counts"])
    matrix.update(upgrades=ups, downgrades=downs, unchanged=same, total=sum(pairs.values()))
    return {
        "customers": len(customer_ids), "evaluated": evaluated, "errors": errors, "error_count": len(customer_ids) - evaluated,
        "active_model": {"id": active.pk, "name": str(active)} if active else None,
        "policy": {"id": policy.pk, "name": str(policy)} if policy else None,
        "matrix": matrix, "upgrades": ups, "downgrades": downs, "unchanged": same,
        "breach_count": breach_count, "new_breach_count": new_breach_count,
        "breach_excess": breach_excess,
        "breaches": breaches[:MAX_LISTED],
        "provisions": {**prov, "change": prov["draft"] - prov["current"], "el_change": prov["el_draft"] - prov["el_current"],
                       "lgd": DEFAULT_LGD, "currency": settings.REPORTING_CURRENCY},
    }


def _policy_in_force(on_date):
    from credit import selectors as credit_selectors

    return credit_selectors.policy_in_force(on_date)


def _provision_rates():
    from monitoring.services import current_rates

    return current_rates()


def _grade_floors():
    from monitoring.services import grade_floors

    return grade_floors()


def _simulate_policy(sim: Simulation, chunk_size: int) -> dict:
    from credit.models import Facility

    draft = CreditPolicy.objects.prefetch_related("rules").get(pk=sim.credit_policy_id)
    on_date = sim.business_date
    table = RateTable(on_date)
    in_force = _policy_in_force(on_date)
    new_caps, old_caps = _policy_caps(draft), _policy_caps(in_force)
    open_facilities = Facility.objects.filter(status__in=selectors.OPEN_FACILITY_STATES)
    facility_count = open_facilities.count()
    customer_ids = sorted(set(open_facilities.values_list("customer_id", flat=True)))
    Simulation.objects.filter(pk=sim.pk).update(total=len(customer_ids))
    by_grade = defaultdict(lambda: {"facilities": 0, "exceeding": 0, "excess": ZERO, "limit": ZERO})
    listed, errors = [], []
    exceeding = newly = 0
    excess_total = ZERO
    processed = 0
    for ids in selectors.chunks(customer_ids, chunk_size):
        facilities = defaultdict(list)
        for f in (open_facilities.filter(customer_id__in=ids).select_related("customer")
                  .only("id", "status", "limit", "currency", "customer__id", "customer__name")):
            facilities[f.customer_id].append(f)
        exposures = _customer_exposures(ids, table)   # credit's one rule: caps apply to exposure
        grades = {cid: r.grade for cid, r in rating_selectors.current_ratings(ids).items()}
        for cid in ids:
            grade, exposure, rows = grades.get(cid), exposures.get(cid, ZERO), facilities.get(cid, [])
            if isinstance(exposure, MissingRate):
                if len(errors) < 200:
                    errors.append({"customer_id": cid, "error": str(exposure)[:300]})
                continue
            key = grade or metrics.NOT_RATED
            by_grade[key]["facilities"] += len(rows)
            by_grade[key]["limit"] += exposure
            cap, reason = _cap_for(new_caps, grade, True)
            if cap is None or exposure <= cap:
                continue
            old_cap, _r = _cap_for(old_caps, grade, in_force is not None)
            is_new = old_cap is None or exposure <= old_cap
            exceeding += 1
            newly += 1 if is_new else 0
            excess_total += exposure - cap
            by_grade[key]["exceeding"] += 1
            by_grade[key]["excess"] += exposure - cap
            largest = max(rows, key=lambda f: (table.convert(f.limit, f.currency), -f.pk)) if rows else None
            listed.append({"facility_id": largest.pk if largest else None, "customer_id": cid,
                           "customer": largest.customer.name if largest else "", "grade": grade, "limit": exposure,
                           "cap": cap, "old_cap": old_cap, "excess": exposure - cap, "reason": reason, "new": is_new})
            if len(listed) > 2 * MAX_LISTED:
                listed.sort(key=lambda b: -b["excess"])
                del listed[MAX_LISTED:]
        processed += len(ids)
        _progress(sim, processed)
    listed.sort(key=lambda b: -b["excess"])
    order = list(rating_selectors.grade_order()) + [metrics.NOT_RATED]
    return {
        "facilities": facility_count, "customers": len(customer_ids), "exceeding": exceeding,
        "newly_exceeding": newly, "excess": excess_total,
        "currency": settings.REPORTING_CURRENCY, "errors": errors,
        "policy_in_force": {"id": in_force.pk, "name": str(in_force)} if in_force else None,
        "by_grade": [{"grade": g, **by_grade[g]} for g in order if g in by_grade],
        "listed": listed[:MAX_LISTED],
    }
