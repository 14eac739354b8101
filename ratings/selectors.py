"""Reads shared by pages, API, tasks and other apps (set-wise, a constant number of queries).

For other apps (credit and above):
    current_rating(customer) -> Rating | None          the approved, not superseded rating
    current_ratings(customer_ids) -> {customer_id: Rating}   one query
    Rating.is_expired / .grade / .letter / .pd
    grade_rank(grade) -> int (0 = best), notches_between(a, b) -> int (> 0 when b is better than a)
    work_queue_for(user) -> dict of lists (see the function)
"""
from __future__ import annotations

import calendar
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import pgettext_lazy

from audit.models import AuditEvent
from creditportal.core import clock
from creditportal.core.canonical import sha256_of
from creditportal.core.money import to_decimal
from customers import selectors as customer_selectors
from customers.models import Customer

from .engine.behaviour import DEFAULT_GRACE_DAYS, DEFAULT_WINDOW_MONTHS, Window, evaluate_behaviour
from .engine.behaviour import behaviour_window as engine_window
from .engine.scale import DEFAULT_GRADES
from .models import (EDITABLE_STATES, BehaviourInput, FactorKind, Rating, RatingModel, RatingModelState,
                     RatingScale, RatingsPolicy, RatingState)
from .providers import behaviour_facts_for, extra_inputs_for

# customers per pass of ``gather_inputs`` (a batch task of 2,000 in one pass instead of four was measured at 1M
# customers: 205 s instead of 201 s, no gain; bench/FINDINGS.md, session 12)
CHUNK = 500
SNAPSHOT_FIELDS = ("model_definition", "inputs", "result")  # a rating's JSON snapshots, not shown in its rows
BATCH_CHUNK = 2000  # customers per task of the re-rating batch
_DEFAULT_ORDER = {code: i for i, (code, *_rest) in enumerate(DEFAULT_GRADES)}


# --- Grades -----------------------------------------------------------------------------------

def grade_order() -> dict[str, int]:
    """Grade → rank (0 = best) of the master scale (the shipped order when no master scale exists)."""
    scale = RatingScale.objects.filter(is_master=True).prefetch_related("grades").first()
    if scale is None:
        return dict(_DEFAULT_ORDER)
    return {g.code: i for i, g in enumerate(sorted(scale.grades.all(), key=lambda g: g.position))}


def grade_rank(grade: str) -> int:
    """0 for the best grade of the master scale, growing as grades get worse (no query for shipped grades)."""
    if grade in _DEFAULT_ORDER:
        return _DEFAULT_ORDER[grade]
    order = grade_order()
    if grade not in order:
        raise ValueError(f"unknown grade {grade!r}")
    return order[grade]


def notches_between(from_grade: str, to_grade: str) -> int:
    """How many notches ``to_grade`` is better than ``from_grade`` (negative: worse)."""
    return grade_rank(from_grade) - grade_rank(to_grade)


# --- Current ratings --------------------------------------------------------------------------

def current_ratings(customer_ids) -> dict[int, Rating]:
    """``{customer_id: approved rating}`` (one query)."""
    ids = [getattr(c, "pk", c) for c in customer_ids]
    return {r.customer_id: r for r in Rating.objects.filter(customer_id__in=ids, state=RatingState.APPROVED)}


@dataclass(frozen=True, slots=True)
class BatchRating:
    """What the re-rating compares of a customer's approved rating (a plain row: building 85k ``Rating``
    instances, whose django-fsm ``__init__`` records the initial state, cost more than the comparison)."""
    id: int
    customer_id: int
    model_id: int
    model_grade: str
    grade: str
    quantitative_sha256: str
    expert_scores_snapshot: dict | None


def current_ratings_for_batch(customer_ids) -> dict[int, BatchRating]:
    """``{customer_id: BatchRating}`` of the approved ratings (one query): grades, model, quantitative
    hash and the experts' scores of the snapshot, not the JSON snapshots themselves."""
    from django.db.models.fields.json import KeyTransform

    rows = (Rating.objects.filter(customer_id__any=list(customer_ids), state=RatingState.APPROVED)
            .annotate(expert_scores_snapshot=KeyTransform("expert_scores", "inputs"))
            .values_list("id", "customer_id", "model_id", "model_grade", "grade", "quantitative_sha256",
                         "expert_scores_snapshot"))
    result = {}
    for *fields, experts in rows:
        # A key of a JSON column comes back as JSON text from a values() query (psycopg 3 leaves it to Django).
        result[fields[1]] = BatchRating(*fields, json.loads(experts) if isinstance(experts, str) else experts)
    return result


def current_rating(customer) -> Rating | None:
    return Rating.objects.filter(customer_id=getattr(customer, "pk", customer), state=RatingState.APPROVED).first()


def history_of(customer, user):
    return (Rating.objects.visible_to(user).filter(customer=customer)
            .select_related("model", "created_by", "approved_by").order_by("-created_at", "-id"))


def grade_history(customer) -> list[dict]:
    """Approved (current and superseded) ratings, oldest first, for the grade-over-time chart."""
    rows = (Rating.objects.filter(customer=customer, state__in=[RatingState.APPROVED, RatingState.SUPERSEDED])
            .order_by("approved_at", "id").values("id", "approved_on", "grade", "score"))
    return [{"id": r["id"], "date": r["approved_on"].isoformat() if r["approved_on"] else "", "grade": r["grade"],
             "rank": grade_rank(r["grade"]), "score": str(r["score"])} for r in rows]


# --- Models -----------------------------------------------------------------------------------

def active_models() -> list[RatingModel]:
    return list(RatingModel.objects.filter(state=RatingModelState.ACTIVE).select_related("scale")
                .prefetch_related("factors", "scale__grades"))


def model_for(customer, models=None) -> RatingModel | None:
    """The most specific active model that applies to the customer (industry and size)."""
    candidates = [m for m in (models if models is not None else active_models()) if m.applies_to(customer)]
    if not candidates:
        return None
    return max(candidates, key=lambda m: (m.specificity, bool(m.industries), m.version, m.pk))


def definition_of(model: RatingModel) -> dict:
    return model.definition(list(model.factors.all()), list(model.scale.grades.all()))


# --- Inputs -----------------------------------------------------------------------------------

def months_before(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_after(day: dt.date, months: int) -> dt.date:
    return months_before(day, -months)


def _text(value):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def behaviour_window(on_date: dt.date, settings: dict | None = None) -> Window:
    """The payment-behaviour window of a rating on ``on_date`` under a model's ``settings`` (its definition's
    ``"settings"``; the defaults without): invoices due in ``(E − months, E]``, ``E = on_date − grace``."""
    settings = settings or {}
    return engine_window(on_date, int(settings.get("behaviour_window_months", DEFAULT_WINDOW_MONTHS)),
                         int(settings.get("behaviour_grace_days", DEFAULT_GRACE_DAYS)))


def window_key(window: Window) -> str:
    return f"{window.due_after.isoformat()}/{window.due_until.isoformat()}"


def behaviour_for_windows(windows: dict[int, Window], *, everyone: bool = False) -> dict[str, dict]:
    """``{window key: {customer_id: facts}}`` for the customers' windows: one provider pass per distinct
    window (``everyone``: each pass over the whole portfolio, for the nightly batch)."""
    groups: dict[str, tuple[Window, list[int]]] = {}
    for customer_id, window in windows.items():
        groups.setdefault(window_key(window), (window, []))[1].append(customer_id)
    return {key: behaviour_facts_for(None if everyone else ids, window) for key, (window, ids) in groups.items()}


def gather_inputs(customers, *, on_date: dt.date | None = None, models=None, settings_by_customer=None,
                  behaviour: dict | None = None) -> dict[int, dict]:
    """The quantitative inputs of each customer (set-wise: a fixed number of queries per chunk).

    ``{customer_id: {"customer", "statement", "ratios", "ratios_zero_denominator", "financials", "behaviour",
    "negative", and one key per registered ``providers.INPUT_SOURCES`` namespace}}``; the snapshot a rating stores adds ``"expert_scores"`` and ``"as_of"``. Each customer's
    behaviour window follows its model's settings (``settings_by_customer`` {customer_id: settings}, else the
    active model that applies, from ``models``). ``behaviour``: the payment facts already read
    (``{window key: {customer_id: facts}}``, e.g. by the batch for the whole portfolio at once); a window not
    in it is read here.
    """
    on_date = on_date or clock.today()
    customers = list(customers)
    settings_by_customer = settings_by_customer or {}
    if models is None and any(c.pk not in settings_by_customer for c in customers):
        models = active_models()
    result = {}
    for start in range(0, len(customers), CHUNK):
        chunk = customers[start:start + CHUNK]
        ids = [c.pk for c in chunk]
        ratios = customer_selectors.latest_ratios_for(ids)
        negative = customer_selectors.negative_records_for(ids, since=months_before(on_date, 36))
        windows = {}
        for customer in chunk:
            settings = settings_by_customer.get(customer.pk)
            if settings is None:
                model = model_for(customer, models)
                settings = model.settings() if model is not None else None
            windows[customer.pk] = behaviour_window(on_date, settings)
        known = behaviour or {}
        missing = {cid: w for cid, w in windows.items() if window_key(w) not in known}
        facts_by_window = {**known, **(behaviour_for_windows(missing) if missing else {})}
        answers = dict(BehaviourInput.objects.filter(customer_id__any=ids).values_list("customer_id", "competitor_share"))
        extra = extra_inputs_for(ids, on_date)
        for customer in chunk:
            latest = ratios.get(customer.pk)
            records = negative.get(customer.pk, [])
            window = windows[customer.pk]
            facts = facts_by_window.get(window_key(window), {}).get(customer.pk)
            if isinstance(facts, dict) and "error" in facts:
                payment = {"error": facts["error"], "result": None}
            else:
                payment = evaluate_behaviour(facts, answers.get(customer.pk)).as_dict()
            payment["window"] = window.as_dict()
            # Built from JSON types directly (dates as ISO text, numbers as text): what ``jsonable`` would
            # return, without a JSON round trip per customer.
            result[customer.pk] = {
                "customer": {"id": customer.pk, "industry_section": customer.industry_section,
                             "size": customer.size},
                "statement": None if latest is None else {
                    "id": latest["statement_id"], "period_end": latest["period_end"].isoformat(),
                    "period_type": latest["period_type"], "consolidated": latest["consolidated"],
                    "currency": latest["currency"]},
                "ratios": {} if latest is None else {k: _text(v) for k, v in latest["ratios"].items()},
                "ratios_zero_denominator": [] if latest is None else list(latest.get("zero_denominators") or []),
                "financials": {} if latest is None else {
                    "negative_equity": "yes" if latest.get("negative_equity") else "no",
                    "loss_after_profit": "yes" if latest.get("loss_after_profit") else "no"},
                "behaviour": payment,
                "negative": {"count_3y": len(records),
                             "records": [{"id": r["id"], "kind": r["kind"], "occurred_on": r["occurred_on"].isoformat(),
                                          "source": r["source"]} for r in records[:20]]},
            }
            for namespace, answers_by_customer in extra.items():
                result[customer.pk][namespace] = answers_by_customer.get(customer.pk, {})
    return result


def quantitative_hash(inputs: dict) -> str:
    """The hash of the inputs the nightly batch watches: everything but the expert scores and the dates
    (the rating date and the behaviour window move every day without the data changing)."""
    watched = {k: v for k, v in inputs.items() if k not in ("expert_scores", "as_of")}
    if isinstance(watched.get("behaviour"), dict):
        watched["behaviour"] = {k: v for k, v in watched["behaviour"].items() if k != "window"}
    return sha256_of(watched)


def stale_inputs_for(customer_ids, *, on_date: dt.date | None = None, policy: RatingsPolicy | None = None
                     ) -> dict[int, list[str]]:
    """Reasons that block a rating per customer: stale or missing statements, expired documents."""
    from django.utils.translation import gettext as _

    on_date = on_date or clock.today()
    policy = policy or RatingsPolicy.current()
    flags = customer_selectors.credit_file_flags_for(customer_ids, on_date)
    stale_before = months_before(on_date, policy.stale_statement_months)
    result = {}
    for customer_id, flag in flags.items():
        problems = []
        latest = flag.get("latest_period_end")
        if latest is None:
            problems.append(_("No financial statement is on file."))
        elif latest < stale_before:
            problems.append(_("The latest financial statement (%(date)s) is older than %(months)s months.")
                            % {"date": latest.isoformat(), "months": policy.stale_statement_months})
        if policy.block_on_expired_documents and flag.get("expired_document_ids"):
            problems.append(_("%(count)s document(s) of the credit file are past their expiry date.")
                            % {"count": len(flag["expired_document_ids"])})
        result[customer_id] = problems
    return result


def expert_scores_by_factor(rating: Rating) -> dict[str, list]:
    scores = {}
    for s in rating.expert_scores.all().order_by("factor_code", "expert_id"):
        scores.setdefault(s.factor_code, []).append(s.score)
    return scores


def min_experts(definition: dict) -> int:
    """The model's minimum number of experts per qualitative factor (Delphi; default 2)."""
    from .engine.scorecard import DEFAULT_MIN_EXPERTS

    return int((definition.get("settings") or {}).get("min_experts") or DEFAULT_MIN_EXPERTS)


def qualitative_codes(definition: dict) -> list[str]:
    return [f["code"] for f in definition.get("factors", []) if f.get("kind") == FactorKind.QUALITATIVE]


# --- Work queue -------------------------------------------------------------------------------

def work_queue_querysets(user) -> dict:
    """The work queue as querysets (see ``work_queue_for``); only the parts the user may act on."""
    # the rows show no snapshot: the model definition, inputs and result (~6 kB of JSON each) stay in the database
    base = (Rating.objects.visible_to(user).select_related("customer", "model", "created_by")
            .defer(*SNAPSHOT_FIELDS))
    queues = {}
    if not (user and user.is_authenticated):
        return queues
    if user.has_perm("ratings.approve_rating"):
        qs = (base.filter(state=RatingState.SUBMITTED).exclude(created_by=user).exclude(submitted_by=user)
              .exclude(overridden_by=user).exclude(expert_scores__expert=user))
        if not user.has_perm("ratings.approve_override"):
            qs = qs.filter(override_grade="").exclude(result__completeness__sufficient=False)
        queues["to_approve"] = qs.order_by("submitted_at", "id")
    if user.has_perm("ratings.add_rating"):
        queues["proposed"] = base.filter(state=RatingState.PROPOSED).order_by("created_at", "id")
        queues["my_drafts"] = (base.filter(state__in=EDITABLE_STATES, created_by=user)
                               .exclude(state=RatingState.PROPOSED).order_by("-updated_at"))
        policy = RatingsPolicy.current()
        horizon = clock.today() + dt.timedelta(days=policy.review_notice_days)
        queues["reviews_due"] = base.filter(state=RatingState.APPROVED, review_due__lte=horizon).order_by("review_due", "id")
    return queues


def work_queue_for(user, *, limit: int | None = None) -> dict[str, list[Rating]]:
    """What waits for ``user``:

    ``to_approve``   submitted ratings the user may approve (not their own; overrides only for approvers)
    ``proposed``     proposed ratings from the nightly batch (for analysts)
    ``my_drafts``    the user's drafts (returned ones included)
    ``reviews_due``  current ratings whose review falls due within the policy's notice period or is past
    """
    queue = {"to_approve": [], "proposed": [], "my_drafts": [], "reviews_due": []}
    for key, qs in work_queue_querysets(user).items():
        queue[key] = list(qs[:limit] if limit else qs)
    return queue


def customers_for_batch() -> list[int]:
    """Customers with a current rating: the nightly batch watches their inputs."""
    return list(Rating.objects.filter(state=RatingState.APPROVED).order_by("customer_id")
                .values_list("customer_id", flat=True))


def customers_by_id(ids) -> list[Customer]:
    return list(Customer.objects.filter(pk__any=list(ids)).only("id", "name", "industry_section", "size").order_by("pk"))


def allowed_actions(user, rating: Rating) -> dict[str, bool]:
    """Which buttons to show (the services enforce the same rules; this only hides what would be refused)."""
    state = rating.state
    maker = user.pk in rating.makers()
    checker = (state == RatingState.SUBMITTED and not maker and user.has_perm("ratings.approve_rating"))
    return {
        "score": state in EDITABLE_STATES and user.has_perm("ratings.add_expertscore"),
        "override": state in EDITABLE_STATES and user.has_perm("ratings.override_rating"),
        "refresh": state in EDITABLE_STATES and user.has_perm("ratings.change_rating"),
        "submit": state in EDITABLE_STATES and user.has_perm("ratings.submit_rating"),
        "approve": checker and (not (rating.is_overridden or rating.below_minimum_completeness)
                                or user.has_perm("ratings.approve_override")),
        "return": checker,
        "reject": checker or (state == RatingState.PROPOSED and user.has_perm("ratings.add_rating")),
    }



def start_options(user, customer) -> dict:
    """What the page that starts a rating offers: the model that applies, the rating in progress (to continue)
    and whether the user may start one now (the service checks the same)."""
    model = model_for(customer)
    open_rating = Rating.objects.filter(customer=customer).open().first()
    return {"model": model, "open_rating": open_rating,
            "may_start": open_rating is None and model is not None and user.has_perm("ratings.add_rating")}


def model_actions(user, model: RatingModel) -> dict[str, bool]:
    """Which buttons a rating model's page shows (the services enforce the same rules; this only hides what would
    be refused): a draft is edited and its factors changed; a second person in the approver group activates it
    (four-eyes: neither its maker nor its last editor); an active version is retired."""
    draft = model.is_editable
    return {
        "edit": draft and user.has_perm("ratings.change_ratingmodel"),
        "new_version": user.has_perm("ratings.add_ratingmodel"),
        "activate": (draft and user.has_perm("ratings.approve_ratingmodel")
                     and user.pk not in (model.created_by_id, model.changed_by_id)),
        "retire": model.state == RatingModelState.ACTIVE and user.has_perm("ratings.approve_ratingmodel"),
        "add_factor": draft and user.has_perm("ratings.add_ratingfactor"),
        "change_factor": draft and user.has_perm("ratings.change_ratingfactor"),
        "delete_factor": draft and user.has_perm("ratings.delete_ratingfactor"),
    }

# --- Inputs as pages show them ----------------------------------------------------------------

def ratio_rows(ratios: dict | None) -> list[dict]:
    """The ratios of an inputs snapshot as rows for pages, in the brief's groups: ``{"key", "label", "kind",
    "value", "percent"}`` (``value`` a ``Decimal`` or ``None``; ``percent`` for percentage ratios), so a page
    shows "Current ratio 2.00" or "Net margin 6.75%" and never the snapshot's keys."""
    from customers.labels import RATIO_LABELS
    from customers.rules import RATIO_GROUPS, RATIO_KINDS

    ratios = ratios or {}
    ordered = [key for _group, keys in RATIO_GROUPS for key in keys if key in ratios]
    ordered += sorted(set(ratios) - set(ordered))
    rows = []
    for key in ordered:
        raw = ratios[key]
        try:
            value = None if raw in (None, "") else to_decimal(raw)
        except (ArithmeticError, ValueError):
            value = None
        kind = RATIO_KINDS.get(key, "times")
        rows.append({"key": key, "label": RATIO_LABELS.get(key, key), "kind": kind, "value": value,
                     "percent": (value * 100).quantize(Decimal("0.01"))
                     if value is not None and kind == "percent" else None})
    return rows


def negative_record_rows(negative: dict | None) -> list[dict]:
    """The negative records of an inputs snapshot with their kind's label (the snapshot stores the code)."""
    from customers.models import NegativeRecordKind

    labels = dict(NegativeRecordKind.choices)
    return [{**record, "kind_label": labels.get(record.get("kind"), record.get("kind"))}
            for record in (negative or {}).get("records", [])]


def grade_meaning(rating) -> str:
    """What the rating's grade means (DESIGN §3 Grade meanings): the text the model's scale carried when the
    rating was made (its snapshot), else the scale's current text (one query). English as stored: pages and
    reports translate shipped texts with ``shipped``. An English reader reads the scale's English meaning of the
    grade when it has one (one query)."""
    from creditportal.core.naming import reader_reads_english

    if reader_reads_english():
        from .models import ScaleGrade

        english = (ScaleGrade.objects.filter(scale__models=rating.model_id, code=rating.grade)
                   .values_list("meaning_en", flat=True).first())
        if english:
            return english
    for grade in ((rating.model_definition or {}).get("scale") or {}).get("grades", []):
        if grade.get("code") == rating.grade and grade.get("meaning"):
            return grade["meaning"]
    from .models import ScaleGrade

    return (ScaleGrade.objects.filter(scale__models=rating.model_id, code=rating.grade)
            .values_list("meaning", flat=True).first() or "")


FACTOR_STATUS_NOTES = {
    "no_weight": pgettext_lazy("factor status", "no data: its weight is spread over the other factors"),
    "missing_points": pgettext_lazy("factor status", "no data: scored with the model's points for missing"),
    "zero_best": pgettext_lazy("factor status", "zero denominator: the best band"),
    "zero_worst": pgettext_lazy("factor status", "zero or negative denominator: the worst band"),
}


def factor_value_label(factor: dict):
    """A factor's value as a page shows it: the label of a customer's size instead of its code, a percentage
    ratio as a percentage ("52.00%", as the inputs and the report show it, never "0.5200")."""
    source = factor.get("source") or ""
    if source == "customer.size":
        from customers.models import CustomerSize

        return dict(CustomerSize.choices).get(factor.get("value"), factor.get("value"))
    if source.startswith("ratios."):
        from creditportal.core.formatting import percent
        from customers.rules import RATIO_KINDS

        if RATIO_KINDS.get(source.removeprefix("ratios.")) == "percent" and factor.get("value") not in (None, ""):
            return percent(factor.get("value"), 2)
    return factor.get("value")


def behaviour_display(behaviour: dict | None) -> dict:
    """The behaviour indicators of a snapshot as a page shows them: the net collection rate as a percentage and
    the competitors' share by its label (the snapshot keeps a fraction and a code)."""
    behaviour = behaviour or {}
    rate = behaviour.get("net_collection_rate")
    try:
        percent = None if rate in (None, "") else (to_decimal(rate) * 100).quantize(Decimal("0.01"))
    except (ArithmeticError, ValueError):
        percent = None
    share = behaviour.get("competitor_share")
    from .models import CompetitorShare

    return {"net_collection_percent": percent,
            "competitor_share_label": dict(CompetitorShare.choices).get(share, share) if share else None}


def factor_group_label(group: str):
    """A factor's group by its name when it is one of the brief's (the 6C and the financial groups); a group a
    risk admin typed otherwise stays as typed."""
    from django.utils.translation import pgettext_lazy

    labels = {
        "character": pgettext_lazy("factor group", "Character"),
        "capacity": pgettext_lazy("factor group", "Capacity"),
        "capital": pgettext_lazy("factor group", "Capital"),
        "collateral": pgettext_lazy("factor group", "Collateral"),
        "conditions": pgettext_lazy("factor group", "Conditions"),
        "coverage": pgettext_lazy("factor group", "Coverage (insurance)"),
        "solvency": pgettext_lazy("factor group", "Solvency"),
        "efficiency": pgettext_lazy("factor group", "Operating efficiency"),
        "profitability": pgettext_lazy("factor group", "Profitability"),
        "cash_flow": pgettext_lazy("factor group", "Cash flow"),
        "size": pgettext_lazy("factor group", "Size"),
    }
    return labels.get((group or "").strip().lower(), group)


WORKFLOW_STEPS = {
    "submit": pgettext_lazy("rating step", "Submitted for approval"),
    "return": pgettext_lazy("rating step", "Returned to the maker"),
    "reject": pgettext_lazy("rating step", "Rejected"),
    "approve": pgettext_lazy("rating step", "Approved"),
    "supersede": pgettext_lazy("rating step", "Superseded by a newer rating"),
}


def workflow_of(rating) -> list[dict]:
    """Every step of ``rating``'s approval workflow, oldest first, from the audit trail (two queries): who, when,
    and the note or reason given then. The rating keeps only the latest note; a return's reason would be lost
    on the page once the rating is approved."""
    events = (AuditEvent.objects.filter(object_type="ratings.rating", object_id=str(rating.pk),
                                        action=AuditEvent.Action.TRANSITION, verb__in=list(WORKFLOW_STEPS))
              .order_by("occurred_at", "id").values("verb", "actor_id", "actor_username", "occurred_at", "after"))
    events = list(events)
    from django.contrib.auth import get_user_model

    from creditportal.core.formatting import person

    people = get_user_model().objects.in_bulk({e["actor_id"] for e in events if e["actor_id"]})  # named by name
    steps = []
    for event in events:
        after = event["after"] or {}
        note = after.get("decision_note", "") if event["verb"] in ("return", "reject", "approve") else ""
        actor = people.get(event["actor_id"])
        steps.append({"verb": event["verb"], "label": WORKFLOW_STEPS[event["verb"]],
                      "actor": person(actor) if actor is not None else event["actor_username"],
                      "at": event["occurred_at"], "note": note, "grade": after.get("grade")})
    return steps
