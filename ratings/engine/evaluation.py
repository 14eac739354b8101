"""Evaluation of a scorecard: the score, the grade (caps and vetoes applied), data completeness and, per factor,
the change that would move the grade one notch up (the rules are in :mod:`.scorecard`'s docstring).

Versioned: ``evaluate(..., engine_version=...)`` reproduces a stored rating under the engine version that made it.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from .scorecard import (CENT, ENGINE_VERSION, ENGINE_VERSIONS, HUNDRED, ZERO, ZERO_DENOMINATOR, EngineError, Factor,
                        ModelDefinition, _q, _set)

@dataclass(frozen=True)
class RatingResult:
    score: Decimal
    score_grade: str
    grade: str
    letter: str
    pd: Decimal
    factors: list
    caps: list
    notch_up_grade: str | None
    model: dict
    engine_version: str = ENGINE_VERSION
    completeness: dict | None = None

    def as_dict(self) -> dict:
        data = {"engine_version": self.engine_version, "score": str(self.score), "score_grade": self.score_grade,
                "grade": self.grade, "letter": self.letter, "pd": str(self.pd), "factors": self.factors,
                "caps": self.caps, "notch_up_grade": self.notch_up_grade, "model": self.model}
        if self.completeness is not None:
            data["completeness"] = self.completeness
        return data


DATA_STATUSES = ("data", "zero_best", "zero_worst")


@dataclass
class _Row:
    factor: Factor
    value: object
    extra: dict
    points: Decimal | None
    status: str
    contribution: Decimal = Decimal("0.00")
    weight: Decimal = Decimal("0.00")  # the weight the factor counted with (effective weight under engine 2)


def _version(engine_version) -> str:
    version = str(engine_version or ENGINE_VERSION)
    if version not in ENGINE_VERSIONS:
        raise EngineError(f"unknown engine version {version}")
    return version


def _read_rows(model: ModelDefinition, inputs: dict, version: str) -> list[_Row]:
    rows = []
    zero = set() if version == "1" else set(inputs.get("ratios_zero_denominator") or ())
    for f in model.factors:
        value, extra = f.read(inputs)
        if version == "1":
            rows.append(_Row(f, value, extra, f.points_for(value), "data" if value is not None else "missing"))
            continue
        if f.knows(value):
            rows.append(_Row(f, value, extra, f.points_for(value), "data"))
            continue
        ratio = f.source[len("ratios."):] if f.source.startswith("ratios.") else None
        meaning = ZERO_DENOMINATOR.get(ratio) if value is None and ratio in zero else None
        if meaning == "best":
            rows.append(_Row(f, value, extra, _q(f.best_points), "zero_best"))
        elif meaning == "worst":
            rows.append(_Row(f, value, extra, _q(f.worst_points), "zero_worst"))
        elif f.missing_points is not None:
            rows.append(_Row(f, value, extra, _q(f.missing_points), "missing_points"))
        else:
            rows.append(_Row(f, value, extra, None, "no_weight"))
    return rows


def _score(model: ModelDefinition, inputs: dict, version: str = ENGINE_VERSION):
    rows = _read_rows(model, inputs, version)
    if version == "1":
        total = ZERO
        for r in rows:
            r.weight = r.factor.weight
            r.contribution = r.factor.contribution(r.points)
            total += r.contribution
        return total, rows
    scored = [r for r in rows if r.status != "no_weight"]
    weights = sum((r.factor.weight for r in scored), ZERO)
    if weights <= 0:
        raise EngineError("no factor of the model has data")
    total = _q(sum((r.points * r.factor.weight for r in scored), ZERO) / weights)
    for r in scored:
        r.weight = _q(r.factor.weight * HUNDRED / weights)
        r.contribution = _q(r.points * r.factor.weight / weights)
    remainder = total - sum((r.contribution for r in scored), ZERO)
    if remainder:
        largest = max(scored, key=lambda r: r.contribution)
        largest.contribution += remainder
    return total, rows


def _completeness(model: ModelDefinition, rows) -> dict:
    total = sum((f.weight for f in model.factors), ZERO)
    with_data = sum((r.factor.weight for r in rows if r.status in DATA_STATUSES), ZERO)
    percent = _q(with_data * HUNDRED / total) if total else ZERO
    return {"percent": str(percent), "minimum": str(model.min_completeness),
            "sufficient": percent >= model.min_completeness}


def _final_grade(model: ModelDefinition, score: Decimal, inputs: dict):
    scale = model.scale
    score_grade = scale.grade_for(score).code
    grade = score_grade
    triggered = [c for c in model.caps if c.triggered(inputs)]
    for cap in triggered:
        grade = scale.worse_of(grade, cap.max_grade)
    return score_grade, grade, triggered


def grade_of(model: ModelDefinition, inputs: dict, engine_version: str | None = None) -> str:
    score, _rows = _score(model, inputs, _version(engine_version))
    return _final_grade(model, score, inputs)[1]


def evaluate(definition, inputs: dict, *, explain: bool = True, engine_version: str | None = None) -> RatingResult:
    """Score, grade and explanation of ``inputs`` under ``definition`` (a dict or ModelDefinition), by the
    rules of ``engine_version`` (the current one by default; a stored rating passes the version that made it)."""
    version = _version(engine_version)
    model = definition if isinstance(definition, ModelDefinition) else ModelDefinition(definition)
    score, rows = _score(model, inputs, version)
    scale = model.scale
    score_grade, grade, triggered = _final_grade(model, score, inputs)
    target = scale.one_notch_up(grade)
    blocked = target is not None and any(scale.rank(c.max_grade) > scale.rank(target.code) for c in triggered)
    factors = []
    for r in rows:
        f = r.factor
        row = {
            "code": f.code, "name": f.name, "kind": f.kind, "source": f.source, "weight": str(f.weight),
            "value": None if r.value is None else str(r.value),
            "available": r.value is not None if version == "1" else r.status in DATA_STATUSES,
            "points": None if r.points is None else str(r.points), "contribution": str(r.contribution),
            "notch_up": None,
        }
        if version != "1":
            row["weight_used"] = str(r.weight)
            row["status"] = r.status
        if f.kind == "qualitative":
            row["experts"] = r.extra
        if explain and target is not None and not blocked and (version == "1" or r.status == "data"):
            row["notch_up"] = _notch_up(model, inputs, r, score, target, version)
        factors.append(row)
    caps = [{"code": c.code, "label": c.label, "max_grade": c.max_grade, "triggered": c in triggered,
             "binding": c in triggered and scale.rank(c.max_grade) > scale.rank(score_grade)}
            for c in model.caps]
    g = scale.get(grade)
    return RatingResult(score=score, score_grade=score_grade, grade=grade, letter=g.letter, pd=g.pd,
                        factors=factors, caps=caps, notch_up_grade=target.code if target and not blocked else None,
                        model={"code": model.code, "version": model.version}, engine_version=version,
                        completeness=None if version == "1" else _completeness(model, rows))


def _notch_up(model, inputs, r: _Row, score, target, version):
    """The input change that alone lifts the final grade to ``target``; None when impossible."""
    f, value, contribution = r.factor, r.value, r.contribution
    needed = target.min_score - score
    if needed <= 0:
        return None
    weight = f.weight if version == "1" else r.weight
    if weight <= 0:
        return None
    points_needed = (contribution + needed) * HUNDRED / weight
    if points_needed > HUNDRED:
        return None
    candidate = None
    if f.kind == "categorical":
        fitting = [(k, p) for k, p in f.categories if p >= points_needed]
        if fitting:
            candidate = min(fitting, key=lambda kp: kp[1])[0]
    elif f.kind == "qualitative":
        mean = 1 + points_needed * 4 / HUNDRED
        candidate = _q(mean, rounding=ROUND_CEILING)
        if candidate > 5:
            return None
    elif f.method == "thresholds":
        if f.direction == "higher":
            fitting = [b for b, p in f.thresholds if p >= points_needed and (value is None or b > value)]
            candidate = min(fitting) if fitting else None
        else:
            fitting = [b for b, p in f.thresholds if p >= points_needed and (value is None or b < value)]
            candidate = max(fitting) if fitting else None
    else:
        span = f.high - f.low
        step = Decimal("0.0001")
        if f.direction == "higher":
            candidate = _q(f.low + points_needed / HUNDRED * span, step, ROUND_CEILING)
        else:
            candidate = _q(f.high - points_needed / HUNDRED * span, step, ROUND_FLOOR)
    if candidate is None:
        return None
    # Verify by re-running the model with the changed input (and nudge linear bands past rounding).
    for _attempt in range(3):
        changed = _set(inputs, f.source, [str(candidate)] if f.kind == "qualitative" else str(candidate))
        if version == "1" and model.alone.get(f.code):
            # the same grade as grade_of(model, changed), re-scoring only this factor
            new_score = score - contribution + f.contribution(f.points_for(f.read(changed)[0]))
            new_grade = _final_grade(model, new_score, changed)[1]
        else:
            new_grade = grade_of(model, changed, version)
        if model.scale.rank(new_grade) <= model.scale.rank(target.code):
            break
        if f.kind == "quantitative" and f.method == "linear":
            candidate += Decimal("0.0001") * (f.high - f.low) * (1 if f.direction == "higher" else -1)
        elif f.kind == "qualitative" and candidate < 5:
            candidate = min(candidate + CENT, Decimal(5))
        else:
            return None
    else:
        return None
    change = None
    if f.kind != "categorical" and value is not None:
        change = str(candidate - value)
    return {"grade": target.code, "target": str(candidate), "change": change}
