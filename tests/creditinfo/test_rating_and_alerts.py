"""Outside information in the rating (the shipped model's second version, the 失信 veto) and in monitoring's
alerts (changes between imports raised by the shipped warning rules)."""
import datetime as dt
from decimal import Decimal

import pytest

from accounts.system import system_user
from creditportal.core import clock
from monitoring.models import Alert
from monitoring.services import alerts_evaluate
from ratings import selectors as rating_selectors
from ratings import services as rating_services
from ratings.models import Rating, RatingModel

pytestmark = pytest.mark.django_db


def test_the_shipped_model_has_a_second_version_and_the_first_is_kept_retired():
    v1 = RatingModel.objects.get(code="corporate", version=1)
    v2 = RatingModel.objects.get(code="corporate", version=2)
    assert (v1.state, v2.state, v2.previous_id) == ("retired", "active", v1.pk)
    assert v1.factors.count() == 15 and sum(f.weight for f in v1.factors.all()) == 100
    factors = {f.code: f for f in v2.factors.all()}
    assert sum(f.weight for f in factors.values()) == 100
    new = {code: (factors[code].source, factors[code].weight, factors[code].missing_points)
           for code in ("tax_rating", "court_records", "insured_share", "collateral_coverage")}
    assert new == {"tax_rating": ("outside.tax_rating", Decimal("4.00"), None),
                   "court_records": ("outside.court_records_3y", Decimal("4.00"), None),
                   "insured_share": ("coverage.insured_share", Decimal("3.00"), None),
                   "collateral_coverage": ("coverage.collateral_coverage", Decimal("3.00"), None)}
    vetoes = {c["code"]: c for c in v2.caps}
    assert vetoes["dishonest_veto"]["source"] == "outside.dishonest" and vetoes["dishonest_veto"]["max_grade"] == "D"
    assert vetoes["bankruptcy_veto"]["source"] == "outside.bankruptcy"
    assert {c["code"] for c in v1.caps} < set(vetoes)


def test_outside_inputs_are_gathered_set_wise(users, make_customer, content, do_import,
                                              django_assert_max_num_queries):
    from creditinfo.providers import OutsideInputs

    clock.set_today(dt.date(2026, 11, 15))
    rated, plain = make_customer(), make_customer()
    do_import(rated, content)
    with django_assert_max_num_queries(7):
        inputs = OutsideInputs().inputs_for([rated.pk, plain.pk], dt.date(2026, 11, 15))
    assert inputs == {rated.pk: {"registration_status": "active", "court_records_3y": "1", "dishonest": "no",
                                 "bankruptcy": "no", "tax_rating": "B", "penalties_3y": "1", "equity_pledges": "0",
                                 "credit_report_overdue": "0.00"}}
    gathered = rating_selectors.gather_inputs([rated, plain])
    assert gathered[rated.pk]["outside"]["tax_rating"] == "B" and gathered[plain.pk]["outside"] == {}


def test_a_dishonest_record_vetoes_the_rating(users, make_customer, content, do_import):
    clock.set_today(dt.date(2026, 11, 15))
    customer, clean = make_customer(), make_customer()
    content["court_records"].append({"kind": "失信被执行人", "case_number": "(2026)沪0101执200号",
                                     "filed_on": "2026-10-20"})
    do_import(customer, content)
    rating = rating_services.rating_start(actor=users["analyst"], customer=customer)
    assert rating.model.version == 2
    assert rating.inputs["outside"]["dishonest"] == "yes"
    assert rating.grade == "D" and "dishonest_veto" in [c["code"] for c in rating.result["caps"] if c["triggered"]]
    assert rating_services.reproduce(Rating.objects.get(pk=rating.pk)) == rating.result
    other = rating_services.rating_start(actor=users["analyst"], customer=clean)
    assert "dishonest_veto" not in [c["code"] for c in other.result["caps"] if c["triggered"]]
    # no outside information: the new factors take no weight (not the worst points)
    rows = {f["code"]: f for f in other.result["factors"]}
    assert not rows["tax_rating"]["available"] and not rows["court_records"]["available"]


def test_without_outside_information_or_coverage_a_customer_scores_as_under_the_first_version(users, make_customer):
    from ratings.engine import evaluate

    customer = make_customer()
    inputs = rating_selectors.gather_inputs([customer])[customer.pk]
    v1, v2 = (rating_selectors.definition_of(RatingModel.objects.get(code="corporate", version=n)) for n in (1, 2))
    before, after = evaluate(v1, inputs), evaluate(v2, inputs)
    assert (after.score, after.grade) == (before.score, before.grade)
    assert after.completeness["sufficient"] == before.completeness["sufficient"]
    assert Decimal(after.completeness["percent"]) == Decimal(before.completeness["percent"]) * Decimal("0.86")
    assert RatingModel.objects.get(code="corporate", version=2).min_completeness == Decimal("60.20")


def test_ratings_made_under_the_first_version_still_reproduce(users, make_customer):
    from creditportal.core.canonical import jsonable, sha256_of
    from ratings.engine import evaluate

    customer = make_customer()
    v1 = RatingModel.objects.get(code="corporate", version=1)
    definition = jsonable(rating_selectors.definition_of(v1))
    inputs = {**rating_selectors.gather_inputs([customer])[customer.pk], "as_of": "2026-01-01", "expert_scores": {}}
    inputs = jsonable(inputs)
    result = jsonable(evaluate(definition, inputs).as_dict())
    rating = Rating.objects.create(
        customer=customer, model=v1, model_definition=definition, inputs=inputs, inputs_sha256=sha256_of(inputs),
        quantitative_sha256=rating_selectors.quantitative_hash(inputs), result=result, score=Decimal(result["score"]),
        model_grade=result["grade"], grade=result["grade"], letter=result["letter"], pd=Decimal(result["pd"]),
        created_by=users["analyst"])
    stored = Rating.objects.get(pk=rating.pk)
    assert rating_services.reproduce(stored) == stored.result
    assert [f["code"] for f in stored.model_definition["factors"]][-1] == "legal_compliance"


def test_changes_between_imports_become_alerts_by_the_shipped_rules(users, make_customer, content, do_import):
    customer = make_customer()
    clock.set_today(dt.date(2026, 11, 2))
    do_import(customer, content)
    alerts_evaluate(actor=system_user(), customer_ids=[customer.pk])
    first = {a.rule.code: a.severity for a in Alert.objects.filter(customer=customer, rule__code__startswith="outside-")}
    assert first == {"outside-enforcement": "medium", "outside-chattel-mortgage": "low", "outside-penalty": "low"}
    clock.set_today(dt.date(2026, 12, 5))  # the first import's changes are out of the rules' 30-day window
    later = {"source": "企查查", "as_of": "2026-12-01",
             "registration": {**content["registration"], "status": "注销", "actual_controller": "赵六"},
             "court_records": [*content["court_records"],
                               {"kind": "dishonest", "case_number": "X-2", "filed_on": "2026-11-20"},
                               {"kind": "bankruptcy", "case_number": "X-3", "filed_on": "2026-11-21"}],
             "penalties": [{"decision_number": "P-2", "authority": "税务局", "decided_on": "2026-11-02"}],
             "tax_ratings": [{"year": 2026, "rating": "C"}],
             "pledges": [{"kind": "equity_pledge", "registration_number": "GQ-1", "pledgee": "信托",
                          "registered_on": "2026-11-11"}],
             "credit_report": {**content["credit_report"], "overdue_amount": "10"}}
    do_import(customer, later)
    alerts_evaluate(actor=system_user(), customer_ids=[customer.pk])
    active = {a.rule.code: a.severity for a in Alert.objects.filter(customer=customer, still_firing=True,
                                                                   rule__code__startswith="outside-")}
    assert active == {
        "outside-dishonest": "high", "outside-bankruptcy": "high", "outside-registration-status": "high",
        "outside-controller-changed": "medium", "outside-equity-pledge": "medium", "outside-penalty": "low",
        "outside-tax-downgrade": "medium", "outside-credit-overdue": "high",
    }
    alert = Alert.objects.get(customer=customer, rule__code="outside-dishonest")
    assert alert.value == 1 and alert.detail["change"] == "new_dishonest"


def test_the_outside_rules_are_configured_like_other_warning_rules():
    from monitoring.models import WarningRule

    codes = set(WarningRule.objects.filter(code__startswith="outside-").values_list("code", flat=True))
    assert len(codes) == 10
    assert WarningRule.objects.get(code="outside-dishonest").severity == "high"
    assert WarningRule.objects.get(code="outside-controller-changed").severity == "medium"


def test_a_risk_admin_changes_an_outside_rule_through_four_eyes(users):
    from creditportal.core.errors import NotAllowed
    from monitoring.models import WarningRule
    from monitoring.services.configuration import warning_rule_propose
    from proposals.services import change_approve

    rule = WarningRule.objects.get(code="outside-controller-changed")
    change = warning_rule_propose(actor=users["riskadmin"], rule=rule, severity="high")
    assert WarningRule.objects.get(pk=rule.pk).severity == "medium"  # nothing in force before the approval
    with pytest.raises(NotAllowed):
        change_approve(actor=users["riskadmin"], change=change)
    change_approve(actor=users["riskadmin2"], change=change)
    assert WarningRule.objects.get(pk=rule.pk).severity == "high"
    with pytest.raises(NotAllowed):
        warning_rule_propose(actor=users["rm"], rule=rule, severity="low")
