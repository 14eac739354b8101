"""Scorecards: a versioned set of weighted factors, caps and vetoes; the result and its explanation.

A model definition is plain data (it is what the database stores and what a rating snapshots)::

    {
      "code": "corporate", "version": 1,
      "scale": {...Scale.as_dict()...},
      "factors": [
        {"code": "current_ratio", "name": "Current ratio", "kind": "quantitative",
         "source": "ratios.current_ratio", "weight": "10",
         "method": "thresholds", "direction": "higher",          # or "lower"
         "thresholds": [["1.0", "40"], ["1.5", "70"], ["2.0", "100"]],   # [bound, points]
         "missing_points": "0"},
        {"code": "roe", "kind": "quantitative", "source": "ratios.roe", "weight": "10",
         "method": "linear", "direction": "higher", "low": "0", "high": "0.20"},
        {"code": "management", "kind": "qualitative", "weight": "10"},   # experts score 1–5
        {"code": "behaviour", "kind": "categorical", "source": "behaviour.result", "weight": "15",
         "points": {"A": "100", "B": "65", "C": "30", "D": "0"}},
      ],
      "caps": [
        {"code": "behaviour_veto", "label": "Behaviour D", "source": "behaviour.result",
         "op": "eq", "value": "D", "max_grade": "D"},
        {"code": "negative_equity", "label": "Negative equity", "source": "ratios.total_equity",
         "op": "lt", "value": "0", "max_grade": "CCC"},
      ],
    }

Points run from 0 to 100 per factor; weights are percentages summing to 100; a factor's contribution is
``points × weight / 100`` rounded half up to 0.01 and the score is the sum of the contributions, so the
score stays within [0, 100] and the contributions add up to it exactly.

Thresholds: with ``direction = "higher"`` a value reaches a band's points when ``value ≥ bound`` (the
highest such band wins); with ``"lower"`` when ``value ≤ bound`` (the lowest such band wins); a value
outside every band gets ``floor_points`` (0). Linear bands map ``low … high`` onto 0 … 100 (reversed for
``"lower"``), clamped. Qualitative factors read ``inputs["expert_scores"][code]`` (a list of 1–5 scores):
the mean is used, the spread (max − min) shown, points = (mean − 1) / 4 × 100.

Missing data (engine version 2, the current one): a factor whose input is missing takes no points and no
weight: its weight is spread over the other factors in proportion (effective weight = weight × 100 / Σ
weights of the factors that are scored), unless the model sets ``missing_points`` on that factor, which it
then scores with its full weight. The score is the exact weighted mean Σ points × weight / Σ weights rounded
half up to 0.01; each factor's contribution is rounded the same way and the rounding remainder goes to the
largest contribution, so the contributions still add up to the score. ``completeness`` = the share of the
model's weight whose input had data (a factor scored with missing points has no data); below the model's
``settings.min_completeness`` (default 70 %) the result says so (``completeness.sufficient = false``) and
the rating needs an approver's override to be approved.

Zero denominators (``inputs["ratios_zero_denominator"]``: the ratios of ``customers`` whose denominator was
zero, or for equity not positive) take the ratio's meaning instead of "missing" (:data:`ZERO_DENOMINATOR`):

    current_ratio, quick_ratio, cash_ratio,          no current liabilities: nothing to cover
    ocf_to_current_liabilities                        → the factor's best band
    interest_coverage                                 no interest expense → the best band
    debt_to_equity, roe                               equity zero or negative → the worst band
                                                      (floor points; the negative-equity cap applies too)
    debt_to_assets, roa, asset_turnover               no total assets → not available
    gross_margin, net_margin, receivable_days         no revenue → not available
    inventory_days                                    no cost of sales → not available
    revenue_growth, profit_growth                     a base of zero → not available

Engine version 1 (ratings made before this rule; reachable with ``evaluate(..., engine_version="1")`` so a
stored rating reproduces exactly): a missing input scored the factor's ``missing_points`` (0 by default)
with its full weight, zero denominators were plain missing inputs, and no completeness was reported.

Caps and vetoes: a triggered cap makes the grade no better than its ``max_grade`` (a veto is a cap to the
worst grade). The explanation gives, per factor, the change of its input that alone would move the final
grade one notch up (``None`` where impossible: the factor is already maxed out, the top grade is reached,
or a triggered cap holds the grade down).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from portal_rules.decimals import NotANumber, parse_decimal

from .scale import Scale

ENGINE_VERSION = "2"
ENGINE_VERSIONS = ("1", "2")
DEFAULT_MIN_COMPLETENESS = Decimal("70")
DEFAULT_MIN_EXPERTS = 2

# What a zero denominator means for each ratio of ``customers`` (see the module docstring).
ZERO_DENOMINATOR = {
    "current_ratio": "best", "quick_ratio": "best", "cash_ratio": "best", "ocf_to_current_liabilities": "best",
    "interest_coverage": "best",
    "debt_to_equity": "worst", "roe": "worst",
    "debt_to_assets": "missing", "roa": "missing", "asset_turnover": "missing", "gross_margin": "missing",
    "net_margin": "missing", "receivable_days": "missing", "inventory_days": "missing",
    "revenue_growth": "missing", "profit_growth": "missing",
}
HUNDRED = Decimal(100)
ZERO = Decimal(0)
CENT = Decimal("0.01")
KINDS = ("quantitative", "qualitative", "categorical")
OPS = ("eq", "ne", "lt", "le", "gt", "ge", "in")


class EngineError(ValueError):
    """The model definition or the inputs are not usable; the message says why."""


def _d(value, what="value") -> Decimal:
    try:  # a Decimal is taken as it is; a parsed number must be finite
        return parse_decimal(value, finite=not isinstance(value, Decimal))
    except NotANumber as exc:
        raise EngineError(f"{what}: {_D_REFUSALS[exc.reason].format(value=value)}") from None


_D_REFUSALS = {"float": "floats are not accepted; pass str or Decimal", "syntax": "not a number: {value!r}",
               "infinite": "not a finite number"}


def _q(value: Decimal, exp=CENT, rounding=ROUND_HALF_UP) -> Decimal:
    return value.quantize(exp, rounding=rounding)


def lookup(inputs: dict, path: str):
    """``lookup(inputs, "ratios.current_ratio")``; ``None`` where any part is missing."""
    node = inputs
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _set(inputs: dict, path: str, value) -> dict:
    """A copy of ``inputs`` with ``path`` set to ``value`` (copies only the dicts on the path)."""
    parts = path.split(".")
    root = dict(inputs)
    node = root
    for part in parts[:-1]:
        child = node.get(part)
        child = dict(child) if isinstance(child, dict) else {}
        node[part] = child
        node = child
    node[parts[-1]] = value
    return root


# ------------------------------------------------------------------------------------------------
# Definitions
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Factor:
    code: str
    name: str
    kind: str
    weight: Decimal
    source: str
    method: str
    direction: str
    thresholds: tuple
    low: Decimal | None
    high: Decimal | None
    categories: tuple  # ((category, points), ...) best first
    missing_points: Decimal | None  # None: a missing input takes no weight (engine 2) / 0 points (engine 1)
    floor_points: Decimal

    @classmethod
    def from_dict(cls, data) -> Factor:
        code = str(data.get("code") or "")
        if not code:
            raise EngineError("a factor needs a code")
        kind = data.get("kind", "quantitative")
        if kind not in KINDS:
            raise EngineError(f"factor {code}: kind must be one of {', '.join(KINDS)}")
        weight = _d(data.get("weight", "0"), f"factor {code} weight")
        if weight <= 0 or weight > HUNDRED:
            raise EngineError(f"factor {code}: the weight must be above 0 and at most 100")
        method = data.get("method", "thresholds") if kind == "quantitative" else ""
        direction = data.get("direction", "higher")
        if direction not in ("higher", "lower"):
            raise EngineError(f"factor {code}: direction must be 'higher' or 'lower'")
        source = data.get("source") or (f"expert_scores.{code}" if kind == "qualitative" else "")
        if kind != "qualitative" and not source:
            raise EngineError(f"factor {code}: a source input is required")
        thresholds: tuple = ()
        low = high = None
        categories: tuple = ()
        if kind == "quantitative":
            if method == "thresholds":
                raw = data.get("thresholds") or []
                if not raw:
                    raise EngineError(f"factor {code}: thresholds are required")
                pairs = sorted(((_d(b, f"factor {code} bound"), _d(p, f"factor {code} points")) for b, p in raw),
                               key=lambda x: x[0])
                bounds = [b for b, _p in pairs]
                if len(set(bounds)) != len(bounds):
                    raise EngineError(f"factor {code}: two thresholds share a bound")
                pts = [p for _b, p in pairs]
                if any(p < 0 or p > HUNDRED for p in pts):
                    raise EngineError(f"factor {code}: points must be between 0 and 100")
                monotone = pts == sorted(pts) if direction == "higher" else pts == sorted(pts, reverse=True)
                if not monotone:
                    raise EngineError(f"factor {code}: points must improve in the factor's direction")
                thresholds = tuple(pairs)
            elif method == "linear":
                low = _d(data.get("low"), f"factor {code} low")
                high = _d(data.get("high"), f"factor {code} high")
                if low >= high:
                    raise EngineError(f"factor {code}: the linear band needs low < high")
            else:
                raise EngineError(f"factor {code}: method must be 'thresholds' or 'linear'")
        elif kind == "categorical":
            raw = data.get("points") or {}
            if not raw:
                raise EngineError(f"factor {code}: points per category are required")
            categories = tuple(sorted(((str(k), _d(v, f"factor {code} points")) for k, v in raw.items()),
                                      key=lambda x: (-x[1], x[0])))
            if any(p < 0 or p > HUNDRED for _k, p in categories):
                raise EngineError(f"factor {code}: points must be between 0 and 100")
        raw_missing = data.get("missing_points")
        missing = None if raw_missing in (None, "") else _d(raw_missing, f"factor {code} missing points")
        floor = _d(data.get("floor_points", "0"), f"factor {code} floor points")
        for v in (missing, floor):
            if v is not None and (v < 0 or v > HUNDRED):
                raise EngineError(f"factor {code}: points must be between 0 and 100")
        if thresholds:
            lowest = min(p for _b, p in thresholds)
            if floor > lowest:
                raise EngineError(f"factor {code}: the floor points must not exceed the lowest band's points")
        return cls(code=code, name=str(data.get("name") or code), kind=kind, weight=weight, source=source,
                   method=method, direction=direction, thresholds=thresholds, low=low, high=high,
                   categories=categories, missing_points=missing, floor_points=floor)

    # Value → points -------------------------------------------------------------------------------
    def read(self, inputs):
        """(value, extra) for this factor from the inputs; value None when not available."""
        raw = lookup(inputs, self.source)
        if self.kind == "qualitative":
            scores = [s for s in (raw or []) if s not in (None, "")]
            if not scores:
                return None, {"scores": [], "count": 0, "mean": None, "spread": None}
            values = [_d(s, f"factor {self.code} expert score") for s in scores]
            if any(v < 1 or v > 5 for v in values):
                raise EngineError(f"factor {self.code}: expert scores must be between 1 and 5")
            mean = _q(sum(values) / len(values))
            return mean, {"scores": [str(v) for v in values], "count": len(values), "mean": str(mean),
                          "spread": str(max(values) - min(values))}
        if raw in (None, ""):
            return None, {}
        if self.kind == "categorical":
            return str(raw), {}
        return _d(raw, f"input {self.source}"), {}

    def points_for(self, value) -> Decimal:
        return _q(self._raw_points(value))

    def _raw_points(self, value) -> Decimal:
        if value is None:
            return self.missing_points or ZERO
        if self.kind == "qualitative":
            return _q((value - 1) * HUNDRED / 4)
        if self.kind == "categorical":
            for category, points in self.categories:
                if category == value:
                    return points
            return self.missing_points or ZERO
        if self.method == "linear":
            span = self.high - self.low
            share = (value - self.low) / span if self.direction == "higher" else (self.high - value) / span
            return _q(min(max(share, ZERO), Decimal(1)) * HUNDRED)
        if self.direction == "higher":
            reached = [p for b, p in self.thresholds if value >= b]
            return reached[-1] if reached else self.floor_points
        reached = [p for b, p in self.thresholds if value <= b]
        return reached[0] if reached else self.floor_points

    def contribution(self, points: Decimal) -> Decimal:
        return _q(points * self.weight / HUNDRED)

    def knows(self, value) -> bool:
        """Whether ``value`` is data for this factor (a categorical factor knows only its categories)."""
        if value is None:
            return False
        return self.kind != "categorical" or any(category == value for category, _p in self.categories)

    @property
    def best_points(self) -> Decimal:
        if self.kind == "quantitative" and self.method == "thresholds":
            return max(p for _b, p in self.thresholds)
        if self.kind == "categorical":
            return self.categories[0][1]
        return HUNDRED

    @property
    def worst_points(self) -> Decimal:
        if self.kind == "quantitative" and self.method == "thresholds":
            return self.floor_points
        if self.kind == "categorical":
            return self.categories[-1][1]
        return ZERO

    def as_dict(self) -> dict:
        data = {"code": self.code, "name": self.name, "kind": self.kind, "weight": str(self.weight),
                "source": self.source,
                "missing_points": None if self.missing_points is None else str(self.missing_points)}
        if self.kind == "quantitative":
            data.update(method=self.method, direction=self.direction)
            if self.method == "thresholds":
                data["thresholds"] = [[str(b), str(p)] for b, p in self.thresholds]
                data["floor_points"] = str(self.floor_points)
            else:
                data.update(low=str(self.low), high=str(self.high))
        if self.kind == "categorical":
            data["points"] = {k: str(v) for k, v in self.categories}
        return data


@dataclass(frozen=True)
class Cap:
    code: str
    label: str
    source: str
    op: str
    value: object
    max_grade: str

    @classmethod
    def from_dict(cls, data, scale: Scale) -> Cap:
        code = str(data.get("code") or "")
        op = data.get("op", "eq")
        if not code or op not in OPS:
            raise EngineError(f"cap {code or '?'}: needs a code and an operator among {', '.join(OPS)}")
        if not data.get("source"):
            raise EngineError(f"cap {code}: a source input is required")
        max_grade = data.get("max_grade")
        scale.get(max_grade) if max_grade else None
        if not max_grade:
            raise EngineError(f"cap {code}: max_grade is required")
        value = data.get("value")
        if op == "in":
            value = tuple(str(v) for v in (value or []))
        return cls(code=code, label=str(data.get("label") or code), source=data["source"], op=op, value=value,
                   max_grade=max_grade)

    def triggered(self, inputs) -> bool:
        actual = lookup(inputs, self.source)
        if actual in (None, ""):
            return False
        if self.op == "in":
            return str(actual) in self.value
        try:
            a, b = _d(actual), _d(self.value)
        except EngineError:
            a, b = str(actual), str(self.value)
            if self.op not in ("eq", "ne"):
                return False
        return {"eq": a == b, "ne": a != b, "lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}[self.op]

    def as_dict(self) -> dict:
        return {"code": self.code, "label": self.label, "source": self.source, "op": self.op,
                "value": list(self.value) if isinstance(self.value, tuple) else self.value,
                "max_grade": self.max_grade}


class ModelDefinition:
    def __init__(self, data: dict):
        self.code = str(data.get("code", ""))
        self.version = data.get("version")
        self.scale = data["scale"] if isinstance(data.get("scale"), Scale) else Scale.from_dict(data["scale"])
        self.factors = [Factor.from_dict(f) for f in data.get("factors", [])]
        if not self.factors:
            raise EngineError("the model has no factors")
        codes = [f.code for f in self.factors]
        if len(set(codes)) != len(codes):
            raise EngineError("factor codes repeat")
        total = sum((f.weight for f in self.factors), ZERO)
        if total != HUNDRED:
            raise EngineError(f"the factor weights add up to {total}%, not 100%")
        self.caps = [Cap.from_dict(c, self.scale) for c in data.get("caps", [])]
        settings = data.get("settings") or {}
        self.min_completeness = _d(settings.get("min_completeness", DEFAULT_MIN_COMPLETENESS),
                                   "minimum data completeness")
        if not ZERO <= self.min_completeness <= HUNDRED:
            raise EngineError("the minimum data completeness must be between 0 and 100")
        self.settings = dict(settings)
        # A factor whose input no other factor reads (nor a path inside or around it): changing that input
        # changes only its own contribution, so the notch-up check re-scores that factor alone.
        self.alone = {f.code: not any(_overlap(f.source, g.source) for g in self.factors if g is not f)
                      for f in self.factors}

    def as_dict(self) -> dict:
        return {"code": self.code, "version": self.version, "scale": self.scale.as_dict(),
                "factors": [f.as_dict() for f in self.factors], "caps": [c.as_dict() for c in self.caps],
                "settings": dict(self.settings)}


def _overlap(a: str, b: str) -> bool:
    """Whether two input paths read the same value (equal, or one inside the other)."""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def validate_definition(data: dict) -> list[str]:
    """Problems of a model definition as sentences (empty when usable)."""
    try:
        ModelDefinition(data)
    except (EngineError, ValueError, KeyError) as exc:
        return [str(exc)]
    return []
