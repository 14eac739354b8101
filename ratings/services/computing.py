"""Computing a rating: the engine on a rating's inputs, the result applied to the rating, and the reproduction of a
stored rating."""
from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from creditportal.core.canonical import jsonable, sha256_of
from creditportal.core.errors import ValidationFailed

from .. import selectors
from ..engine import evaluate
from ..engine.scale import Scale, ScaleError
from ..engine.scorecard import EngineError
from ..models import Rating


def _evaluate(definition: dict, inputs: dict) -> dict:
    try:
        return evaluate(definition, inputs).as_dict()
    except (EngineError, ScaleError) as exc:
        raise ValidationFailed(_("The rating model cannot rate these inputs: %(error)s") % {"error": exc}) from exc


def _apply_result(rating: Rating, result: dict, scale: Scale):
    rating.result = result
    rating.score = Decimal(result["score"])
    rating.model_grade = result["grade"]
    final = rating.override_grade or result["grade"]
    grade = scale.get(final)
    rating.grade, rating.letter, rating.pd = grade.code, grade.letter, grade.pd


def _recompute(rating: Rating, *, expert_scores: dict | None = None):
    inputs = dict(rating.inputs)
    if expert_scores is not None:
        inputs["expert_scores"] = {k: [str(s) for s in v] for k, v in sorted(expert_scores.items())}
    rating.inputs = jsonable(inputs)
    rating.inputs_sha256 = sha256_of(rating.inputs)
    rating.quantitative_sha256 = selectors.quantitative_hash(rating.inputs)
    _apply_result(rating, _evaluate(rating.model_definition, rating.inputs),
                  Scale.from_dict(rating.model_definition["scale"]))


def reproduce(rating: Rating) -> dict:
    """Re-run the engine on the rating's stored snapshot under the engine version that made it (identical to
    ``rating.result``; a rating stored before versions were recorded is version 1)."""
    version = (rating.result or {}).get("engine_version") or "1"
    return evaluate(rating.model_definition, rating.inputs, engine_version=version).as_dict()


def _require_behaviour_readable(inputs: dict):
    error = (inputs.get("behaviour") or {}).get("error")
    if error:
        raise ValidationFailed(_("The payment behaviour cannot be computed: %(error)s") % {"error": error})
