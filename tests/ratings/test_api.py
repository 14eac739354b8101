"""The ratings API: explanation in the JSON, transitions as POST actions, 409 and four-eyes."""
import pytest

from ratings.models import ExpertScore, Rating, RatingState

pytestmark = pytest.mark.django_db


def test_start_score_submit_approve_through_the_api(users, make_customer, api_for, expert2):
    customer = make_customer()
    analyst = api_for(users["analyst"])
    response = analyst.post("/api/v1/ratings/", {"customer": customer.pk}, format="json")
    assert response.status_code == 201, response.content
    rating_id = response.json()["id"]
    explanation = response.json()["explanation"]
    assert explanation["factors"] and "notch_up" in explanation["factors"][0]
    for expert in (analyst, api_for(expert2)):
        for code in ["management", "market_position", "industry_outlook", "legal_compliance"]:
            r = expert.post("/api/v1/expert-scores/", {"rating": rating_id, "factor_code": code, "score": 4},
                            format="json")
            assert r.status_code == 201, r.content
    missing = analyst.post(f"/api/v1/ratings/{rating_id}/submit/")
    assert missing.status_code == 400 and "rationale" in missing.json()["errors"]  # required on submit
    assert Rating.objects.get(pk=rating_id).state == RatingState.DRAFT
    submitted = analyst.post(f"/api/v1/ratings/{rating_id}/submit/", {"rationale": "付款记录良好 / pays on time"},
                             format="json")
    assert submitted.status_code == 200 and submitted.json()["rationale"] == "付款记录良好 / pays on time"
    # self-approval refused
    refused = analyst.post(f"/api/v1/ratings/{rating_id}/approve/")
    assert refused.status_code == 403 and "Four-eyes" in refused.json()["detail"]
    approved = api_for(users["analyst2"]).post(f"/api/v1/ratings/{rating_id}/approve/")
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    # wrong state → 409 with a message
    again = api_for(users["analyst2"]).post(f"/api/v1/ratings/{rating_id}/approve/")
    assert again.status_code == 409 and again.json()["detail"]
    assert api_for(users["analyst"]).post(f"/api/v1/ratings/{rating_id}/submit/").status_code == 409


def test_override_without_reason_refused_and_return(users, scored_rating, api_for):
    rating = scored_rating()
    analyst = api_for(users["analyst"])
    grade = "BBB" if rating.model_grade != "BBB" else "BB"
    from ratings.engine import Scale
    grade = (Scale.default().shift(rating.model_grade, -1)).code
    response = analyst.post(f"/api/v1/ratings/{rating.pk}/override/", {"grade": grade, "reason": ""}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    ok = analyst.post(f"/api/v1/ratings/{rating.pk}/override/", {"grade": grade, "reason": "Parent support"},
                      format="json")
    assert ok.status_code == 200 and ok.json()["grade"] == grade
    analyst.post(f"/api/v1/ratings/{rating.pk}/submit/", {"rationale": "Parent support"}, format="json")
    # a plain analyst may not approve an override
    assert api_for(users["analyst2"]).post(f"/api/v1/ratings/{rating.pk}/approve/").status_code == 403
    back = api_for(users["approver1"]).post(f"/api/v1/ratings/{rating.pk}/return/", {"reason": "Explain more"},
                                            format="json")
    assert back.status_code == 200 and back.json()["state"] == "draft"


def test_auditor_reads_but_never_writes(users, scored_rating, api_for):
    rating = scored_rating()
    auditor = api_for(users["auditor"])
    assert auditor.get("/api/v1/ratings/").status_code == 200
    assert auditor.get(f"/api/v1/ratings/{rating.pk}/").status_code == 200
    assert auditor.get("/api/v1/rating-models/").status_code == 200
    assert auditor.get("/api/v1/rating-scales/").status_code == 200
    posts = [("/api/v1/ratings/", {"customer": rating.customer_id})]
    posts += [(f"/api/v1/ratings/{rating.pk}/{name}/", {"reason": "x", "grade": "D"})
              for name in ["submit", "approve", "return", "override", "refresh-inputs"]]
    posts += [("/api/v1/expert-scores/", {"rating": rating.pk, "factor_code": "management", "score": 3}),
              (f"/api/v1/rating-models/{rating.model_id}/activate/", {}),
              (f"/api/v1/rating-models/{rating.model_id}/new-version/", {}),
              ("/api/v1/rating-scales/", {"code": "x", "name": "x", "grades": []})]
    for url, data in posts:
        assert auditor.post(url, data, format="json").status_code == 403, url
    assert auditor.post(f"/api/v1/ratings/{rating.pk}/reject/", {"reason": "x"}, format="json").status_code == 403
    assert Rating.objects.get(pk=rating.pk).state == RatingState.DRAFT


def test_relationship_manager_sees_only_own_portfolio(users, make_customer, scored_rating, api_for):
    mine = scored_rating(make_customer(manager=users["rm"]))
    other = scored_rating(make_customer(manager=users["rm2"]))
    ids = {r["id"] for r in api_for(users["rm"]).get("/api/v1/ratings/").json()["results"]}
    assert mine.pk in ids and other.pk not in ids
    assert api_for(users["rm"]).get(f"/api/v1/ratings/{other.pk}/").status_code == 404


def test_model_versions_and_four_eyes_activation(users, api_for):
    from ratings.models import RatingModel

    active = RatingModel.objects.get(code="corporate", state="active")
    admin = api_for(users["riskadmin"])
    copy = admin.post(f"/api/v1/rating-models/{active.pk}/new-version/")
    assert copy.status_code == 201 and copy.json()["version"] == active.version + 1
    copy_id = copy.json()["id"]
    # active versions are immutable
    assert admin.patch(f"/api/v1/rating-models/{active.pk}/", {"name": "x"}, format="json").status_code == 409
    assert admin.patch(f"/api/v1/rating-models/{copy_id}/", {"name": "Corporate 2027"},
                       format="json").status_code == 200
    # the risk admin cannot activate; an approver can (another person)
    assert admin.post(f"/api/v1/rating-models/{copy_id}/activate/").status_code == 403
    done = api_for(users["approver1"]).post(f"/api/v1/rating-models/{copy_id}/activate/")
    assert done.status_code == 200 and done.json()["state"] == "active"
    active.refresh_from_db()
    assert active.state == "retired"


def test_a_maker_in_the_approver_group_cannot_activate_own_version(users, make_user):
    from django.core.exceptions import PermissionDenied

    from ratings import services
    from ratings.models import RatingModel

    both = make_user("both", "risk_admin")
    both.groups.add(users["approver1"].groups.first())
    copy = services.model_new_version(actor=both, model=RatingModel.objects.get(code="corporate", state="active"))
    with pytest.raises(PermissionDenied):
        services.model_activate(actor=both, model=copy)


def test_weights_must_sum_to_100_before_activation(users):
    from creditportal.core.errors import ValidationFailed
    from ratings import services
    from ratings.models import RatingModel

    copy = services.model_new_version(actor=users["riskadmin"],
                                      model=RatingModel.objects.get(code="corporate", state="active"))
    factor = copy.factors.get(code="management")
    services.factor_save(actor=users["riskadmin"], model=copy, factor=factor, weight="10")
    with pytest.raises(ValidationFailed, match="100"):
        services.model_activate(actor=users["approver1"], model=copy)


def test_bad_scale_refused(users, api_for):
    grades = [{"code": "A", "letter": "A", "min_score": "50", "max_score": "100", "pd": "0.01"},
              {"code": "D", "letter": "D", "min_score": "0", "max_score": "40", "pd": "1"}]
    response = api_for(users["riskadmin"]).post("/api/v1/rating-scales/", {"code": "tiny", "name": "Tiny",
                                                                          "grades": grades}, format="json")
    assert response.status_code == 400 and "gap" in response.json()["detail"]


def test_rating_list_query_count_is_constant(users, approved_rating, make_customer, api_for,
                                             django_assert_max_num_queries):
    for _ in range(4):
        approved_rating(make_customer())
    client = api_for(users["analyst"])
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/ratings/")
    assert response.status_code == 200 and response.json()["count"] == 4


def test_a_rating_or_score_naming_a_missing_object_is_a_400(users, api_for):
    api = api_for(users["analyst"])
    before = (Rating.objects.count(), ExpertScore.objects.count())
    response = api.post("/api/v1/ratings/", {"customer": 999_999}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["customer"] == ['Invalid pk "999999" - object does not exist.']
    response = api.post("/api/v1/expert-scores/", {"rating": 999_999, "factor_code": "management", "score": 3},
                        format="json")
    assert response.status_code == 400 and response.json()["errors"]["rating"]
    assert (Rating.objects.count(), ExpertScore.objects.count()) == before
