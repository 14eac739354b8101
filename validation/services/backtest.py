"""The backtest of a model version over a period (a validation run)."""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record, snapshot
from creditportal.core import access, clock
from creditportal.core.canonical import jsonable
from creditportal.core.errors import ValidationFailed
from creditportal.core.money import to_decimal
from creditportal.core.tasks import enqueue
from ratings import selectors as rating_selectors
from ratings.engine import validation as metrics
from ratings.engine.scale import ScaleError
from ratings.engine.evaluation import evaluate
from ratings.engine.scorecard import EngineError, ModelDefinition
from ratings.models import RatingModel

from .. import selectors
from ..models import DefaultDefinition, HistoricalOutcome, RunStatus, ValidationRun


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
        from ..tasks import run_validation

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
                by_factor[f["code"]].append(to_decimal(f.get("points") or "0"))
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
