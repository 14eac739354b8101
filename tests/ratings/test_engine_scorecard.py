"""The scorecard engine: scale validation, mapping, caps, explanation, properties and reproducibility."""
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratings.engine import Scale, ScaleError, evaluate
from ratings.engine.scale import DEFAULT_GRADES
from ratings.engine.scorecard import EngineError, ModelDefinition, validate_definition

SCALE = Scale.default().as_dict()


def model(**overrides):
    data = {
        "code": "test", "version": 1, "scale": SCALE,
        "factors": [
            {"code": "cr", "kind": "quantitative", "source": "ratios.current_ratio", "weight": "30",
             "method": "thresholds", "direction": "higher",
             "thresholds": [["0.8", "20"], ["1.0", "40"], ["1.5", "70"], ["2.0", "100"]]},
            {"code": "debt", "kind": "quantitative", "source": "ratios.debt_ratio", "weight": "25",
             "method": "linear", "direction": "lower", "low": "0.3", "high": "0.9"},
            {"code": "dso", "kind": "quantitative", "source": "ratios.dso", "weight": "10",
             "method": "thresholds", "direction": "lower", "thresholds": [["30", "100"], ["60", "60"], ["90", "30"]]},
            {"code": "mgmt", "kind": "qualitative", "weight": "20"},
            {"code": "behaviour", "kind": "categorical", "source": "behaviour.result", "weight": "15",
             "points": {"A": "100", "B": "65", "C": "30", "D": "0"}},
        ],
        "caps": [
            {"code": "behaviour_veto", "source": "behaviour.result", "op": "eq", "value": "D", "max_grade": "D"},
            {"code": "negative_equity", "source": "ratios.total_equity", "op": "lt", "value": "0", "max_grade": "CCC"},
        ],
    }
    data.update(overrides)
    return data


INPUTS = {"ratios": {"current_ratio": "1.6", "debt_ratio": "0.5", "dso": "45", "total_equity": "1000"},
          "expert_scores": {"mgmt": [4, 5, 3]}, "behaviour": {"result": "A"}}


# Scale -----------------------------------------------------------------------------------------------
def test_default_scale_is_valid_and_rolls_up_to_letters():
    scale = Scale.default()
    assert [g.code for g in scale.grades] == ["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", "D"]
    assert {g.code: g.letter for g in scale.grades}["A"] == "A"
    assert scale.grade_for("100").code == "AAA"
    assert scale.grade_for("90").code == "AAA"
    assert scale.grade_for("89.99").code == "AA"
    assert scale.grade_for("0").code == "D"
    assert scale.notches_between("BBB", "A") == 1
    assert scale.notches_between("A", "BB") == -2


def _grades(changes):
    rows = [list(r) for r in DEFAULT_GRADES]
    for index, column, value in changes:
        rows[index][column] = value
    return [{"code": c, "letter": l, "min_score": a, "max_score": b, "pd": p} for c, l, a, b, p in rows]


@pytest.mark.parametrize("changes, message", [
    ([(1, 2, "81")], "gap"),              # AA 81–90, A to 80: gap 80–81
    ([(1, 2, "79")], "overlap"),          # AA 79–90 overlaps A 70–80
    ([(0, 3, "99")], "top"),              # AAA stops at 99
    ([(9, 2, "1")], "bottom"),            # D starts at 1
    ([(3, 1, "A")], "letter"),            # BBB rolled into A breaks nothing... but order must hold
])
def test_bad_scale_is_refused(changes, message):
    grades = _grades(changes)
    if message == "letter":
        grades[3]["letter"] = "C"  # B letter between A and C missing order: BBB as C, BB as B
        with pytest.raises(ScaleError, match="letters"):
            Scale(grades)
        return
    with pytest.raises(ScaleError, match=message):
        Scale(grades)


# Mapping and explanation ---------------------------------------------------------------------------
def test_result_explains_every_factor():
    result = evaluate(model(), INPUTS)
    rows = {f["code"]: f for f in result.factors}
    assert rows["cr"]["points"] == "70.00"            # 1.6 ≥ 1.5
    assert rows["debt"]["points"] == "66.67"          # (0.9 − 0.5) / 0.6
    assert rows["dso"]["points"] == "60.00"           # 45 ≤ 60
    assert rows["mgmt"]["experts"] == {"scores": ["4", "5", "3"], "count": 3, "mean": "4.00", "spread": "2"}
    assert rows["mgmt"]["points"] == "75.00"
    assert rows["behaviour"]["points"] == "100.00"
    assert sum(Decimal(f["contribution"]) for f in result.factors) == result.score
    assert result.score == Decimal("73.67")
    assert result.grade == "A" and result.letter == "A" and result.pd == Decimal("0.0030")


def test_notch_up_is_the_change_that_lifts_the_grade():
    result = evaluate(model(), INPUTS)
    assert result.notch_up_grade == "AA"
    rows = {f["code"]: f for f in result.factors}
    # cr: 70 → 100 adds 9 points → 82.67 ≥ 80
    assert rows["cr"]["notch_up"] == {"grade": "AA", "target": "2.0", "change": "0.4"}
    for code, row in rows.items():
        if row["notch_up"] is None:
            continue
        changed = json.loads(json.dumps(INPUTS))
        if code == "mgmt":
            changed["expert_scores"]["mgmt"] = [row["notch_up"]["target"]]
        elif code == "behaviour":
            changed["behaviour"]["result"] = row["notch_up"]["target"]
        else:
            changed["ratios"][{"cr": "current_ratio", "debt": "debt_ratio", "dso": "dso"}[code]] = row["notch_up"]["target"]
        assert evaluate(model(), changed).grade == "AA", code
    # debt (lower is better, linear): needs a lower ratio
    assert Decimal(rows["debt"]["notch_up"]["change"]) < 0


def test_notch_up_none_where_impossible():
    top = {"ratios": {"current_ratio": "3", "debt_ratio": "0.1", "dso": "10", "total_equity": "1"},
           "expert_scores": {"mgmt": [5]}, "behaviour": {"result": "A"}}
    result = evaluate(model(), top)
    assert result.grade == "AAA" and result.notch_up_grade is None
    assert all(f["notch_up"] is None for f in result.factors)
    # behaviour (15 %) alone cannot close a large gap
    low = {**INPUTS, "ratios": {"current_ratio": "0.5", "debt_ratio": "0.95", "dso": "100", "total_equity": "1"},
           "behaviour": {"result": "C"}}
    rows = {f["code"]: f for f in evaluate(model(), low).factors}
    assert rows["behaviour"]["notch_up"] is not None or rows["behaviour"]["notch_up"] is None  # computed, not raised


def test_caps_and_vetoes():
    vetoed = evaluate(model(), {**INPUTS, "behaviour": {"result": "D"}})
    assert vetoed.grade == "D" and vetoed.score_grade != "D"
    assert {c["code"]: c["binding"] for c in vetoed.caps}["behaviour_veto"] is True
    assert all(f["notch_up"] is None for f in vetoed.factors)
    capped = evaluate(model(), {**INPUTS, "ratios": {**INPUTS["ratios"], "total_equity": "-1"}})
    assert capped.grade == "CCC" and capped.letter == "C"


def test_missing_inputs_under_engine_1_got_missing_points_and_are_flagged():
    result = evaluate(model(), {"ratios": {}, "behaviour": {}}, engine_version="1")
    assert all(not f["available"] for f in result.factors)
    assert result.score == Decimal("0.00") and result.grade == "D"


def test_nothing_to_rate_under_engine_2_is_refused():
    with pytest.raises(EngineError, match="no factor"):
        evaluate(model(), {"ratios": {}, "behaviour": {}})


@pytest.mark.parametrize("change, message", [
    ({"factors": [{"code": "a", "kind": "qualitative", "weight": "60"}, {"code": "b", "kind": "qualitative", "weight": "30"}]}, "100%"),
    ({"factors": [{"code": "a", "kind": "quantitative", "source": "x", "weight": "100", "method": "thresholds",
                   "direction": "higher", "thresholds": [["1", "80"], ["2", "50"]]}]}, "direction"),
    ({"factors": [{"code": "a", "kind": "quantitative", "source": "x", "weight": "100", "method": "linear",
                   "low": "2", "high": "1"}]}, "low < high"),
    ({"factors": [{"code": "a", "kind": "magic", "weight": "100"}]}, "kind"),
])
def test_bad_models_are_refused(change, message):
    with pytest.raises(EngineError, match=message):
        ModelDefinition(model(**change))
    assert validate_definition(model(**change))


def test_floats_are_refused():
    with pytest.raises(EngineError):
        evaluate(model(), {**INPUTS, "ratios": {**INPUTS["ratios"], "current_ratio": 1.5}})


# Reproducibility ------------------------------------------------------------------------------------
def test_reproducible_from_a_json_snapshot():
    definition = model()
    first = evaluate(definition, INPUTS).as_dict()
    stored_model = json.loads(json.dumps(ModelDefinition(definition).as_dict(), sort_keys=True))
    stored_inputs = json.loads(json.dumps(INPUTS, sort_keys=True))
    again = evaluate(stored_model, stored_inputs).as_dict()
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)


# Properties -----------------------------------------------------------------------------------------
decimals = st.decimals(min_value=Decimal("-5"), max_value=Decimal("5"), places=3, allow_nan=False,
                       allow_infinity=False)
experts = st.lists(st.integers(min_value=1, max_value=5), min_size=0, max_size=4)
letters = st.sampled_from(["A", "B", "C", "D", None])


@st.composite
def inputs_strategy(draw):
    return {
        "ratios": {"current_ratio": str(draw(decimals)), "debt_ratio": str(draw(decimals)),
                   "dso": str(draw(decimals) * 30), "total_equity": str(draw(decimals))},
        "expert_scores": {"mgmt": draw(experts)},
        "behaviour": {"result": draw(letters)},
    }


PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MODEL = ModelDefinition(model(caps=[]))


@PROPERTY_SETTINGS
@given(inputs_strategy())
def test_score_within_bounds_and_contributions_sum(inputs):
    result = evaluate(MODEL, inputs, explain=False)
    assert Decimal(0) <= result.score <= Decimal(100)
    assert sum(Decimal(f["contribution"]) for f in result.factors) == result.score


@PROPERTY_SETTINGS
@given(inputs_strategy(), st.decimals(min_value=Decimal("0"), max_value=Decimal("3"), places=3),
       st.sampled_from(["current_ratio", "debt_ratio", "dso", "mgmt", "behaviour"]))
def test_better_input_never_lowers_the_score(inputs, step, which):
    base = evaluate(MODEL, inputs, explain=False).score
    better = json.loads(json.dumps(inputs))
    if which == "current_ratio":
        better["ratios"]["current_ratio"] = str(Decimal(inputs["ratios"]["current_ratio"]) + step)
    elif which in ("debt_ratio", "dso"):
        better["ratios"][which] = str(Decimal(inputs["ratios"][which]) - step)
    elif which == "mgmt":
        better["expert_scores"]["mgmt"] = [min(s + 1, 5) for s in inputs["expert_scores"]["mgmt"]]
    else:
        order = ["D", "C", "B", "A"]
        current = inputs["behaviour"]["result"]
        better["behaviour"]["result"] = "A" if current is None else order[min(order.index(current) + 1, 3)]
        if current is None:
            return  # "not available" is not an ordered value
    assert evaluate(MODEL, better, explain=False).score >= base


@PROPERTY_SETTINGS
@given(inputs_strategy())
def test_caps_never_improve_the_grade(inputs):
    capped = evaluate(model(), inputs, explain=False)
    plain = evaluate(MODEL, inputs, explain=False)
    scale = Scale.default()
    assert scale.rank(capped.grade) >= scale.rank(plain.grade)


def test_engine_does_not_import_django():
    import subprocess
    import sys
    code = ("import sys, ratings.engine, ratings.engine.scorecard, ratings.engine.behaviour, ratings.engine.scale;"
            "bad=[m for m in sys.modules if m.split('.')[0] in ('django','rest_framework','creditportal')];"
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PATH": ""})
    assert done.returncode == 0, done.stdout + done.stderr


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs_strategy())
def test_notch_up_rescoring_one_factor_equals_rescoring_all(inputs):
    """The notch-up check re-scores only the changed factor when no other factor reads its input: the
    explanation is the same as re-running the whole model for each candidate."""
    fast = ModelDefinition(model())
    assert all(fast.alone.values())
    slow = ModelDefinition(model())
    slow.alone = {code: False for code in slow.alone}
    assert evaluate(fast, inputs).as_dict() == evaluate(slow, inputs).as_dict()


def test_factors_reading_the_same_input_are_rescored_together():
    shared = model()
    shared["factors"] = [*shared["factors"][:2], {**shared["factors"][2], "source": "ratios.debt_ratio"},
                         *shared["factors"][3:]]
    parsed = ModelDefinition(shared)
    assert parsed.alone == {"cr": True, "debt": False, "dso": False, "mgmt": True, "behaviour": True}
    slow = ModelDefinition(shared)
    slow.alone = {code: False for code in slow.alone}
    assert evaluate(parsed, INPUTS).as_dict() == evaluate(slow, INPUTS).as_dict()
