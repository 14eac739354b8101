"""Every write and rule of model validation and policy simulation.

* ``default_definition_update``   what counts as a default (grades, days past due, horizon)
* ``outcomes_import``             historical outcomes from CSV: every row valid, or nothing imported
* ``validation_run_start`` / ``validation_run_execute``   a backtest of a model version over a period
* ``simulation_start`` / ``simulation_execute``           a dry run of a draft rating model or credit policy
* ``simulation_activate``         after looking at a finished simulation, activate the version through
                                  ``ratings.services.model_activate`` / ``credit.services.policy_activate``
                                  (their four-eyes rules apply; nothing is duplicated here)

Runs and simulations execute in Celery (``validation.tasks``), in chunks, as their own rows: they write
nothing but their results. A simulation never writes a rating, a model, a policy or a facility.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import logging
from collections import Counter, defaultdict
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_changes, audit_record, snapshot
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
from ratings.engine.scorecard import EngineError, ModelDefinition, evaluate
from ratings.models import RatingModel, RatingModelState

from . import selectors
from .models import (DefaultDefinition, HistoricalOutcome, OutcomeImport, RunStatus, Simulation,
                     ValidationRun)

log = logging.getLogger(__name__)
ZERO = Decimal("0")
MAX_LISTED = 500
MAX_IMPORT_ROWS = 200_000
# Loss given default for the expected-loss view of provisions (exposure × PD × LGD).
DEFAULT_LGD = Decimal("0.45")


# --- Default definition ----------------------------------------------------------------------

@transaction.atomic
def default_definition_update(*, actor, default_grades, days_past_due, horizon_months) -> DefaultDefinition:
    access.require(actor, "validation.change_defaultdefinition")
    known = set(rating_selectors.grade_order())
    grades = [g.strip() for g in (default_grades or []) if str(g).strip()]
    errors = {}
    unknown = [g for g in grades if g not in known]
    if unknown:
        errors["default_grades"] = _("Unknown grades: %(grades)s.") % {"grades": ", ".join(unknown)}
    try:
        days_past_due = int(days_past_due)
        if days_past_due < 1:
            raise ValueError
    except (TypeError, ValueError):
        errors["days_past_due"] = _("Enter a whole number of days, at least 1.")
    try:
        horizon_months = int(horizon_months)
        if not 1 <= horizon_months <= 60:
            raise ValueError
    except (TypeError, ValueError):
        errors["horizon_months"] = _("Enter a number of months from 1 to 60.")
    if errors:
        raise ValidationFailed(_("Please correct the default definition."), field_errors=errors)
    row = DefaultDefinition.objects.select_for_update().order_by("pk").first()
    before = snapshot(row) if row else None
    row = row or DefaultDefinition()
    row.default_grades, row.days_past_due, row.horizon_months, row.updated_by = (
        grades, days_past_due, horizon_months, actor)
    row.save()
    if before is None:
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=row, after=snapshot(row))
    else:
        audit_changes(actor=actor, obj=row, before=before)
    return row


# --- Import of historical outcomes -----------------------------------------------------------

TRUE_WORDS = {"1", "true", "yes", "y", "default", "defaulted", "是"}
FALSE_WORDS = {"0", "false", "no", "n", "performing", "否"}
COLUMNS = ["customer", "external_id", "rating_date", "score", "grade", "inputs", "outcome"]


def _parse_outcome_row(line, row, customers_by_key, grades) -> tuple[dict | None, list[str]]:
    problems = []
    key = (row.get("customer") or "").strip()
    external = (row.get("external_id") or "").strip()
    customer = None
    if key:
        customer = customers_by_key.get(key)
        if customer is None:
            problems.append(_("customer %(key)s is not known (give the portal id or the credit code)") % {"key": key})
    elif not external:
        problems.append(_("give a customer or an external id"))
    if len(external) > 100:
        problems.append(_("the external id is longer than 100 characters"))
    rating_date = None
    try:
        rating_date = dt.date.fromisoformat((row.get("rating_date") or "").strip())
    except ValueError:
        problems.append(_("rating_date must be a date as YYYY-MM-DD"))
    score = None
    raw_score = (row.get("score") or "").strip()
    if raw_score:
        try:
            score = Decimal(raw_score)
            if not score.is_finite() or not Decimal("-99999") < score < Decimal("99999"):
                raise InvalidOperation
            score = score.quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            problems.append(_("score %(value)s is not a number") % {"value": raw_score})
            score = None
    inputs = None
    raw_inputs = (row.get("inputs") or "").strip()
    if raw_inputs:
        try:
            inputs = json.loads(raw_inputs)
            if not isinstance(inputs, dict):
                raise ValueError
        except ValueError:
            problems.append(_("inputs must be a JSON object"))
            inputs = None
    if not raw_score and not raw_inputs:
        problems.append(_("give a score or the inputs"))
    grade = (row.get("grade") or "").strip()
    if grade and grade not in grades:
        problems.append(_("grade %(grade)s is not on the scale") % {"grade": grade})
    outcome = (row.get("outcome") or "").strip().lower()
    if outcome in TRUE_WORDS:
        defaulted = True
    elif outcome in FALSE_WORDS:
        defaulted = False
    else:
        defaulted = None
        problems.append(_("outcome must be 1/0 (yes/no, default/performing)"))
    if problems:
        return None, [_("line %(line)s: %(problems)s") % {"line": line, "problems": "; ".join(problems)}]
    return {"customer": customer, "external_id": external, "rating_date": rating_date, "score": score,
            "grade": grade, "inputs": inputs, "defaulted": defaulted}, []


@transaction.atomic
def outcomes_import(*, actor, uploaded_file, label: str = "") -> OutcomeImport:
    """Import historical outcomes from a CSV file (UTF-8, a header row with the columns
    ``customer, external_id, rating_date, score, grade, inputs, outcome``; ``customer`` is the portal id
    or the unified social credit code, ``inputs`` a JSON object, ``outcome`` 1/0).

    Any bad row → nothing is imported and every bad row is listed.
    """
    access.require(actor, "validation.add_outcomeimport")
    raw = uploaded_file.read()
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    name = getattr(uploaded_file, "name", "outcomes.csv") or "outcomes.csv"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(_("The file is not UTF-8 text."), field_errors={"file": _("Save the file as UTF-8 CSV.")}) from exc
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in ("rating_date", "outcome") if c not in header]
    if not header or missing or not ({"customer", "external_id"} & set(header)) or not ({"score", "inputs"} & set(header)):
        raise ValidationFailed(
            _("The file needs a header row with the columns: %(columns)s.") % {"columns": ", ".join(COLUMNS)},
            field_errors={"file": _("Missing or wrong header row.")})
    reader.fieldnames = header
    rows = list(reader)
    if not rows:
        raise ValidationFailed(_("The file has no rows."), field_errors={"file": _("The file has no rows.")})
    if len(rows) > MAX_IMPORT_ROWS:
        raise ValidationFailed(_("At most %(count)s rows per file.") % {"count": MAX_IMPORT_ROWS},
                               field_errors={"file": _("Too many rows.")})
    keys = {(r.get("customer") or "").strip() for r in rows} - {""}
    ids = [int(k) for k in keys if k.isdigit()]
    customers = {}
    for c in Customer.objects.visible_to(actor).filter(pk__in=ids).only("id", "credit_code"):
        customers[str(c.pk)] = c
    for c in Customer.objects.visible_to(actor).filter(credit_code__in=[k for k in keys if not k.isdigit()]).only(
            "id", "credit_code"):
        customers[c.credit_code] = c
    grades = set(rating_selectors.grade_order())
    parsed, errors = [], []
    for number, row in enumerate(rows, start=2):
        item, problems = _parse_outcome_row(number, row, customers, grades)
        errors.extend(problems)
        if item:
            parsed.append(item)
    if errors:
        raise ValidationFailed(
            _("Nothing was imported: %(count)s row(s) have errors.") % {"count": len(errors)},
            field_errors={"file": errors})
    source = OutcomeImport.objects.create(file_name=name[:200], label=(label or "").strip()[:200],
                                          row_count=len(parsed), default_count=sum(1 for p in parsed if p["defaulted"]),
                                          sha256=hashlib.sha256(raw).hexdigest(), created_by=actor)
    HistoricalOutcome.objects.bulk_create([HistoricalOutcome(source=source, **p) for p in parsed], batch_size=2000)
    audit_record(actor=actor, action=AuditEvent.Action.UPLOAD, obj=source, verb="outcomes_import",
                 after={"file": source.file_name, "rows": source.row_count, "defaults": source.default_count,
                        "sha256": source.sha256})
    return source


# --- Backtest ---------------------------------------------------------------------------------

def _date(value, field):
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError as exc:
        raise ValidationFailed(_("Enter a date as YYYY-MM-DD."), field_errors={field: _("Enter a valid date.")}) from exc


@transaction.atomic
def validation_run_start(*, actor, model, period_start, period_end, source="portal", outcome_import=None,
                         psi_base_date=None, psi_compare_date=None, in_worker=True) -> ValidationRun:
    """Record a backtest of ``model`` (a version) over ratings from ``period_start`` to ``period_end`` and run it
    in the worker (``in_worker=False``: the caller runs it with ``validation_run_execute``)."""
    access.require(actor, "validation.run_validation")
    if model is None or not isinstance(model, RatingModel):
        raise ValidationFailed(_("Choose a rating model version."), field_errors={"model": _("This field is required.")})
    period_start, period_end = _date(period_start, "period_start"), _date(period_end, "period_end")
    if period_end < period_start:
        raise ValidationFailed(_("The period ends before it starts."),
                               field_errors={"period_end": _("Must not be before the start.")})
    if source not in ValidationRun.Source.values:
        raise ValidationFailed(_("Unknown data source."), field_errors={"source": _("Choose a listed source.")})
    if source == ValidationRun.Source.IMPORT and outcome_import is None:
        raise ValidationFailed(_("Choose the imported outcomes to use."),
                               field_errors={"outcome_import": _("This field is required.")})
    base = _date(psi_base_date, "psi_base_date") if psi_base_date else period_start
    compare = _date(psi_compare_date, "psi_compare_date") if psi_compare_date else period_end
    run = ValidationRun.objects.create(
        model=model, source=source, outcome_import=outcome_import if source == ValidationRun.Source.IMPORT else None,
        period_start=period_start, period_end=period_end, psi_base_date=base, psi_compare_date=compare,
        definition=DefaultDefinition.current().as_dict(), created_by=actor)
    audit_record(actor=actor, action=AuditEvent.Action.RUN, obj=run, verb="validation_start",
                 after=snapshot(run, fields=["model", "source", "period_start", "period_end", "psi_base_date",
                                             "psi_compare_date", "definition"]))
    if in_worker:
        from .tasks import run_validation

        enqueue(run_validation, run.pk)
    return run


def months_after(day: dt.date, months: int) -> dt.date:
    return rating_selectors.months_after(day, months)


def defaulted_after(rating_date: dt.date, end: dt.date, history, invoices, definition) -> bool:
    """The default event: a rating in a default grade, or an invoice more than N days past due, from the
    rating date to ``end`` (both inclusive)."""
    grades = set(definition["default_grades"])
    if any(rating_date <= day <= end and grade in grades for day, grade in history):
        return True
    threshold = definition["days_past_due"]
    for due, paid in invoices:
        first_day = max(rating_date, due + dt.timedelta(days=threshold + 1))
        if first_day <= end and (paid is None or paid > first_day):
            return True
    return False


def grade_on(history, day: dt.date) -> str | None:
    grade = None
    for approved_on, g in history:
        if approved_on <= day:
            grade = g
        else:
            break
    return grade


def _portal_sample(run: ValidationRun, definition: dict, today: dt.date,
                   model_def: ModelDefinition) -> tuple[list[dict], list, list[str]]:
    """The portal's ratings of the model's code in the period with their outcomes. Ratings made with
    another version of the model are scored again, in memory, from their stored inputs with the version
    under test (so a draft can be backtested on history before it goes live)."""
    horizon = definition["horizon_months"]
    ratings = selectors.sample_ratings(run.model, run.period_start, run.period_end)
    customer_ids = sorted({r["customer_id"] for r in ratings})
    latest_end = min(months_after(run.period_end, horizon), today)
    history = selectors.rated_history(customer_ids, until=latest_end)
    invoices = selectors.overdue_invoices(customer_ids, days_past_due=definition["days_past_due"], until=latest_end)
    sample, migration, problems = [], [], []
    for r in ratings:
        score, grade, rescored = r["score"], r["grade"], r["model_id"] != run.model_id
        if rescored:
            try:
                result = evaluate(model_def, r["inputs"] or {}, explain=False)
            except (EngineError, ScaleError, ArithmeticError, TypeError, ValueError) as exc:
                problems.append(f"rating {r['id']}: {exc}")
                continue
            score, grade = result.score, result.grade
        window_end = months_after(r["approved_on"], horizon)
        end = min(window_end, today)
        cid = r["customer_id"]
        bad = defaulted_after(r["approved_on"], end, history.get(cid, []), invoices.get(cid, []), definition)
        sample.append({"score": score, "grade": grade, "defaulted": bad, "complete": window_end <= today,
                       "rescored": rescored})
        migration.append((grade, grade_on(history.get(cid, []), end)))
    return sample, migration, problems


def _import_sample(run: ValidationRun, model_def: ModelDefinition) -> tuple[list[dict], list[str]]:
    rows = (HistoricalOutcome.objects.filter(source=run.outcome_import, rating_date__gte=run.period_start,
                                             rating_date__lte=run.period_end)
            .order_by("id").values("id", "score", "grade", "inputs", "defaulted"))
    scale = model_def.scale
    sample, problems = [], []
    for row in rows:
        score, grade = row["score"], row["grade"]
        try:
            if row["inputs"]:
                result = evaluate(model_def, row["inputs"], explain=False)
                score, grade = result.score, result.grade
            elif not grade:
                grade = scale.grade_for(score).code
        except (EngineError, ScaleError) as exc:
            problems.append(f"{row['id']}: {exc}")
            continue
        sample.append({"score": score, "grade": grade, "defaulted": row["defaulted"], "complete": True})
    return sample, problems


def _psi_block(run: ValidationRun, model_def: ModelDefinition) -> dict:
    base = selectors.scores_as_of(run.model.code, run.psi_base_date)
    compare = selectors.scores_as_of(run.model.code, run.psi_compare_date)
    out = {"base_date": run.psi_base_date.isoformat(), "compare_date": run.psi_compare_date.isoformat(),
           "base_count": len(base), "compare_count": len(compare), "score": None, "factors": []}
    if not base or not compare:
        return out
    edges = metrics.equal_edges(model_def.scale.score_min, model_def.scale.score_max, 10)
    score = metrics.psi([r["score"] for r in base], [r["score"] for r in compare], edges)
    out["score"] = {**score, "label": metrics.psi_label(score["psi"])}
    point_edges = metrics.equal_edges(0, 100, 10)

    def points(rows):
        by_factor = defaultdict(list)
        for r in rows:
            for f in (r["result"] or {}).get("factors", []):
                by_factor[f["code"]].append(Decimal(str(f.get("points") or "0")))
        return by_factor

    base_points, compare_points = points(base), points(compare)
    for factor in model_def.factors:
        a, b = base_points.get(factor.code), compare_points.get(factor.code)
        if not a or not b:
            out["factors"].append({"code": factor.code, "name": factor.name, "psi": None, "label": ""})
            continue
        value = metrics.psi(a, b, point_edges)["psi"]
        out["factors"].append({"code": factor.code, "name": factor.name, "psi": value,
                               "label": metrics.psi_label(value)})
    return out


def compute_backtest(run: ValidationRun, *, today: dt.date | None = None) -> dict:
    """All the metrics of a run (nothing saved)."""
    today = today or clock.today()
    definition = run.definition or DefaultDefinition.current().as_dict()
    model_def = ModelDefinition(rating_selectors.definition_of(run.model))
    grades = [(g.code, g.pd) for g in model_def.scale.grades]
    codes = [g for g, _pd in grades]
    problems = []
    if run.source == ValidationRun.Source.IMPORT:
        sample, problems = _import_sample(run, model_def)
        migration_pairs = []
    else:
        sample, migration_pairs, problems = _portal_sample(run, definition, today, model_def)
    scores = [s["score"] for s in sample]
    flags = [s["defaulted"] for s in sample]
    results = {"count": len(sample), "defaults": sum(flags), "incomplete_windows": sum(1 for s in sample if not s["complete"]),
               "rescored": sum(1 for s in sample if s.get("rescored")),
               "default_rate": (sum(flags) / len(sample)) if sample else None, "auc": None, "gini": None, "ks": None,
               "ks_at_score": None, "problems": problems[:100], "definition": definition}
    if sample and 0 < sum(flags) < len(flags):
        results["auc"] = metrics.auc(scores, flags)
        results["gini"] = 2 * results["auc"] - 1
        ks = metrics.ks(scores, flags)
        results["ks"], results["ks_at_score"] = ks["statistic"], ks["at_score"]
    results["calibration"] = metrics.calibration(((s["grade"], s["defaulted"]) for s in sample), grades)
    results["concentration"] = metrics.concentration(Counter(s["grade"] for s in sample), codes)
    results["migration"] = metrics.migration_matrix(
        [(a, b if b in codes else None) for a, b in migration_pairs if a in codes], codes) if migration_pairs else None
    results["stability"] = _psi_block(run, model_def)
    return jsonable(results)


def validation_run_execute(*, run_id: int) -> ValidationRun:
    """Compute and store a run's results (idempotent: a finished run is left as it is)."""
    with transaction.atomic():
        run = ValidationRun.objects.select_for_update().select_related("model").get(pk=run_id)
        if run.is_done:
            return run
        run.status = RunStatus.RUNNING
        run.save(update_fields=["status"])
    try:
        results = compute_backtest(run)
    except Exception as exc:  # noqa: BLE001 - recorded on the run, then re-raised for the worker's log
        ValidationRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, error=str(exc)[:2000],
                                                       finished_at=timezone.now())
        raise
    with transaction.atomic():
        run = ValidationRun.objects.select_for_update().get(pk=run.pk)
        run.results = results
        run.sample_size, run.default_count = results["count"], results["defaults"]
        run.auc, run.gini, run.ks = results["auc"], results["gini"], results["ks"]
        run.psi = (results["stability"].get("score") or {}).get("psi")
        run.status, run.finished_at = RunStatus.FINISHED, timezone.now()
        run.save()
        audit_record(actor=run.created_by, action=AuditEvent.Action.RUN, obj=run, verb="validation_finished",
                     after={"count": run.sample_size, "defaults": run.default_count, "auc": run.auc, "gini": run.gini,
                            "ks": run.ks, "psi": run.psi})
    return run


def report_downloaded(*, actor, run: ValidationRun) -> None:
    access.require(actor, "validation.view_validationrun")
    audit_record(actor=actor, action=AuditEvent.Action.DOWNLOAD, obj=run, verb="validation_report_pdf")


# --- Simulations ------------------------------------------------------------------------------

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
        from .tasks import run_simulation

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


# --- Activation after a simulation -------------------------------------------------------------

def simulation_activate(*, actor, simulation: Simulation, kind: str | None = None):
    """Activate the simulated version through its own app's service (four-eyes there).

    Only a finished simulation of a version that is still a draft leads to activation."""
    sim = Simulation.objects.select_related("rating_model", "credit_policy").get(pk=simulation.pk)
    if kind is not None and sim.kind != kind:
        raise ValidationFailed(_("This simulation is of another kind of version."))
    if sim.status != RunStatus.FINISHED:
        raise Conflict(_("Wait for the simulation to finish before activating the version."))
    if sim.kind == Simulation.Kind.RATING_MODEL:
        from ratings.services import model_activate

        return model_activate(actor=actor, model=sim.rating_model)
    from credit.services import policy_activate

    return policy_activate(actor=actor, policy=sim.credit_policy)
