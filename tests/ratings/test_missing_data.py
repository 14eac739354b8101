"""Missing data (DESIGN §3): a factor without data takes no weight unless the model sets points for missing;
each rating shows its completeness; below the model's minimum only an approver approves, with a reason; zero
denominators take the ratio's meaning. Engine version 1 ratings still reproduce exactly."""
import json
import pathlib
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditportal.core.canonical import sha256_of
from creditportal.core.errors import ValidationFailed
from customers.models import FinancialStatement
from ratings import selectors, services
from ratings.engine import Scale, evaluate
from ratings.models import Rating, RatingModel, RatingState

from .conftest import QUALITATIVE, STATEMENTS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _first_version_of_the_shipped_model(db):
    """The arithmetic below is the shipped model's first version (15 factors); its second version (outside
    information and coverage, ratings migration 0010) is tested in tests/creditinfo."""
    RatingModel.objects.filter(code="corporate", version__gt=1).update(state="retired")
    RatingModel.objects.filter(code="corporate", version=1).update(state="active")


def _factors(rating):
    return {f["code"]: f for f in rating.result["factors"]}


@pytest.fixture
def start(users, expert2):
    """``start(customer)`` → a draft with every qualitative factor scored by two experts (so only the inputs
    under test can be missing)."""

    def make(customer):
        rating = services.rating_start(actor=users["analyst"], customer=customer)
        for code in QUALITATIVE:
            for expert in (users["analyst"], expert2):
                services.expert_score_set(actor=expert, rating=rating, factor_code=code, score=4)
        rating.refresh_from_db()
        return rating

    return make


def _customer_with(make_customer, users, **changes):
    customer = make_customer(strength=None)
    FinancialStatement.objects.create(customer=customer, period_end=__import__("datetime").date(2025, 12, 31),
                                      created_by=users["rm"], **{**STATEMENTS["good"], **changes})
    return customer


def test_unscored_qualitative_factors_are_missing_until_the_experts_score(users, make_customer):
    rating = services.rating_start(actor=users["analyst"], customer=make_customer())
    assert {_factors(rating)[code]["status"] for code in QUALITATIVE} == {"no_weight"}
    assert rating.result["completeness"]["percent"] == "70.00"  # behaviour 15 and the experts' 15 missing


def test_a_new_customer_loses_no_weight_for_having_no_payment_history(users, make_customer, start):
    rating = start(make_customer())  # no invoices, no answer
    behaviour = _factors(rating)["payment_behaviour"]
    assert rating.inputs["behaviour"]["result"] is None
    assert behaviour["status"] == "no_weight" and behaviour["available"] is False
    assert behaviour["points"] is None and behaviour["contribution"] == "0.00" and behaviour["weight_used"] == "0.00"
    # 15 % of the weight had no data
    assert rating.result["completeness"] == {"percent": "85.00", "minimum": "70.00", "sufficient": True}
    # the other factors' weights are spread in proportion: current ratio 10 / 85 → 11.76 %
    assert _factors(rating)["current_ratio"]["weight_used"] == "11.76"
    # the score is the weighted mean of the factors with data, so not lower than under engine 1's 0 points
    old = evaluate({**rating.model_definition, "factors": [{**f, "missing_points": "0"}
                                                             for f in rating.model_definition["factors"]]},
                   rating.inputs, engine_version="1")
    assert rating.score > old.score
    assert Decimal(rating.result["score"]) == sum(Decimal(f["contribution"]) for f in rating.result["factors"])


def test_with_an_answer_on_competitors_share_the_behaviour_factor_has_data(users, make_customer, start):
    customer = make_customer()
    services.behaviour_input_set(actor=users["rm"], customer=customer, competitor_share="ours_only")
    rating = start(customer)
    assert rating.inputs["behaviour"]["letters"] == "--A" and rating.inputs["behaviour"]["result"] == "A"
    assert rating.result["completeness"]["percent"] == "100.00"


def test_no_interest_expense_scores_the_best_band_of_interest_coverage(users, make_customer, start):
    rating = start(_customer_with(make_customer, users, interest_expense=Decimal("0")))
    row = _factors(rating)["interest_coverage"]
    assert rating.inputs["ratios"]["interest_coverage"] is None
    assert "interest_coverage" in rating.inputs["ratios_zero_denominator"]
    assert row["status"] == "zero_best" and row["points"] == "100.00" and row["available"] is True
    assert rating.result["completeness"]["percent"] == "85.00"  # only the payment history is missing


def test_no_revenue_leaves_the_revenue_ratios_not_available(users, make_customer, start):
    rating = start(_customer_with(make_customer, users, revenue=Decimal("0"), cost_of_sales=Decimal("0")))
    rows = _factors(rating)
    assert {"net_margin", "receivable_days", "gross_margin"} <= set(rating.inputs["ratios_zero_denominator"])
    assert rows["net_margin"]["status"] == rows["receivable_days"]["status"] == "no_weight"
    assert rows["asset_turnover"]["status"] == "data"  # 0 / total assets is a value: 0
    # missing: behaviour 15, net margin 6, receivable days 6
    assert rating.result["completeness"] == {"percent": "73.00", "minimum": "70.00", "sufficient": True}


def test_negative_equity_scores_the_worst_band_not_missing(users, make_customer):
    rating = services.rating_start(actor=users["analyst"], customer=_customer_with(
        make_customer, users, equity=Decimal("-500"), total_liabilities=Decimal("10500")))
    row = _factors(rating)["roe"]
    assert row["status"] == "zero_worst" and row["points"] == "0.00" and row["available"] is True


def test_points_for_missing_set_by_the_model_keep_the_factor_weighted_without_data(users, make_customer, start):
    from ratings.models import RatingFactor

    RatingFactor.objects.filter(code="payment_behaviour", model__state="active").update(missing_points=Decimal("50"))
    rating = start(make_customer())
    row = _factors(rating)["payment_behaviour"]
    assert row["status"] == "missing_points" and row["points"] == "50.00" and row["weight_used"] == "15.00"
    assert row["available"] is False and rating.result["completeness"]["percent"] == "85.00"


@pytest.fixture
def thin_rating(users, make_customer, expert2):
    """A submitted rating of a new customer (85 % of the weight has data) under a model asking for 90 %."""
    RatingModel.objects.filter(state="active").update(min_completeness=Decimal("90"))
    rating = services.rating_start(actor=users["analyst"], customer=make_customer())
    for code in QUALITATIVE:
        for expert in (users["analyst"], expert2):
            services.expert_score_set(actor=expert, rating=rating, factor_code=code, score=4)
    rating.refresh_from_db()
    assert rating.result["completeness"] == {"percent": "85.00", "minimum": "90.00", "sufficient": False}
    return services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")


def test_below_the_minimum_an_analyst_may_not_approve(users, thin_rating):
    with pytest.raises(PermissionDenied, match="85.00% of the model's weight had data"):
        services.rating_approve(actor=users["analyst2"], rating=thin_rating, note="looks fine")
    assert Rating.objects.get(pk=thin_rating.pk).state == RatingState.SUBMITTED
    assert not selectors.allowed_actions(users["analyst2"], thin_rating)["approve"]
    assert thin_rating not in selectors.work_queue_for(users["analyst2"])["to_approve"]


def test_below_the_minimum_an_approver_overrides_with_a_reason(users, thin_rating):
    with pytest.raises(ValidationFailed, match="reason"):
        services.rating_approve(actor=users["approver1"], rating=thin_rating, note="  ")
    assert thin_rating in selectors.work_queue_for(users["approver1"])["to_approve"]
    approved = services.rating_approve(actor=users["approver1"], rating=thin_rating,
                                       note="New customer; trade references checked by phone.")
    assert approved.state == RatingState.APPROVED
    assert approved.completeness_override_reason == "New customer; trade references checked by phone."


# --- The property ------------------------------------------------------------------------------------------

SCALE = Scale.default().as_dict()
BEST = {"thresholds": "3", "categorical": "A", "qualitative": ["5"]}


def _factor(n, kind, weight, points):
    if kind == "thresholds":
        return {"code": f"f{n}", "kind": "quantitative", "source": f"ratios.r{n}", "weight": str(weight),
                "method": "thresholds", "direction": "higher",
                "thresholds": [["1", str(points[0])], ["2", str(points[1])], ["3", str(points[2])]]}
    if kind == "categorical":
        return {"code": f"f{n}", "kind": "categorical", "source": f"cat.c{n}", "weight": str(weight),
                "points": {"A": str(points[2]), "B": str(points[1]), "C": str(points[0])}}
    return {"code": f"f{n}", "kind": "qualitative", "weight": str(weight)}


@st.composite
def models_and_inputs(draw):
    n = draw(st.integers(2, 6))
    cuts = sorted(draw(st.lists(st.integers(1, 99), min_size=n - 1, max_size=n - 1, unique=True)))
    weights = [b - a for a, b in zip([0, *cuts], [*cuts, 100])]
    kinds = draw(st.lists(st.sampled_from(["thresholds", "categorical", "qualitative"]), min_size=n, max_size=n))
    factors, inputs = [], {"ratios": {}, "cat": {}, "expert_scores": {}}
    for k, (kind, weight) in enumerate(zip(kinds, weights)):
        points = sorted(draw(st.lists(st.integers(0, 99), min_size=3, max_size=3)))
        points[2] = 100  # the best band is the factor's best
        factors.append(_factor(k, kind, weight, points))
        present = draw(st.booleans()) or k == 0
        if kind == "thresholds" and present:
            inputs["ratios"][f"r{k}"] = draw(st.sampled_from(["0", "1", "1.5", "2", "3", "4"]))
        elif kind == "categorical" and present:
            inputs["cat"][f"c{k}"] = draw(st.sampled_from(["A", "B", "C"]))
        elif kind == "qualitative" and present:
            inputs["expert_scores"][f"f{k}"] = [str(s) for s in draw(st.lists(st.integers(1, 5), min_size=1,
                                                                                max_size=3))]
    return {"code": "p", "version": 1, "scale": SCALE, "factors": factors, "caps": []}, inputs, kinds


def _with_best(inputs, kind, k):
    changed = json.loads(json.dumps(inputs))
    if kind == "thresholds":
        changed["ratios"][f"r{k}"] = BEST[kind]
    elif kind == "categorical":
        changed["cat"][f"c{k}"] = BEST[kind]
    else:
        changed["expert_scores"][f"f{k}"] = BEST[kind]
    return changed


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(models_and_inputs())
def test_adding_a_missing_input_with_its_best_value_never_lowers_the_score(case):
    definition, inputs, kinds = case
    before = evaluate(definition, inputs, explain=False)
    missing = [k for k, f in enumerate(before.factors) if not f["available"]]
    for k in missing:
        after = evaluate(definition, _with_best(inputs, kinds[k], k), explain=False)
        assert after.score >= before.score
        assert Decimal(after.completeness["percent"]) > Decimal(before.completeness["percent"])


# --- Engine versions ---------------------------------------------------------------------------------------

def test_a_rating_made_by_engine_1_reproduces_exactly(users, make_customer, client_for):
    """The snapshot and result below were written by the engine before this change (commit e02ecb3): a new
    customer with no interest expense then scored 0 on both factors."""
    data = json.loads((pathlib.Path(__file__).parent / "data" / "engine1_rating.json").read_text())
    customer = make_customer()
    model = RatingModel.objects.get(code="corporate", state="active")
    result = data["result"]
    rating = Rating.objects.create(
        customer=customer, model=model, model_definition=data["model_definition"], inputs=data["inputs"],
        inputs_sha256=sha256_of(data["inputs"]), quantitative_sha256=selectors.quantitative_hash(data["inputs"]),
        result=result, score=Decimal(result["score"]), model_grade=result["grade"], grade=result["grade"],
        letter=result["letter"], pd=Decimal(result["pd"]), created_by=users["analyst"])
    stored = Rating.objects.get(pk=rating.pk)
    assert stored.result["engine_version"] == "1" and "completeness" not in stored.result
    assert services.reproduce(stored) == stored.result
    # the current engine, on the same snapshot with the model as migrated (missing points unset), gives the
    # missing behaviour and interest coverage no weight instead of 0 points
    migrated = {**stored.model_definition, "factors": [{**f, "missing_points": None}
                                                       for f in stored.model_definition["factors"]]}
    now = evaluate(migrated, stored.inputs)
    assert now.engine_version == "2" and now.score > Decimal(result["score"])
    page = client_for(users["analyst"]).get(f"/ratings/{rating.pk}/").content.decode()
    assert "gives the identical result" in page
    assert stored.completeness["percent"] == Decimal("77.00")  # engine 1: the share of weight with data


def test_new_ratings_are_made_by_the_current_engine(users, scored_rating):
    rating = scored_rating()
    assert rating.result["engine_version"] == "2"
    assert services.reproduce(Rating.objects.get(pk=rating.pk)) == rating.result


def test_below_the_minimum_through_the_api_and_the_page(users, thin_rating, api_for, client_for):
    analyst2 = api_for(users["analyst2"]).post(f"/api/v1/ratings/{thin_rating.pk}/approve/", {"note": "ok"},
                                               format="json")
    assert analyst2.status_code == 403
    approver = api_for(users["approver1"])
    assert approver.post(f"/api/v1/ratings/{thin_rating.pk}/approve/", {}, format="json").status_code == 400
    page = client_for(users["approver1"]).get(f"/ratings/{thin_rating.pk}/").content.decode()
    assert "below the minimum: an approver must approve it with a reason" in page and 'name="reason" required' in page
    response = approver.post(f"/api/v1/ratings/{thin_rating.pk}/approve/", {"note": "Guarantee from the parent."},
                             format="json")
    assert response.status_code == 200
    assert response.json()["completeness_override_reason"] == "Guarantee from the parent."
