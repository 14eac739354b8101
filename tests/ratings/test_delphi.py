"""Delphi (DESIGN §3): the model's minimum of experts per qualitative factor; the experts of a rating are among
its makers and may not approve it (issue 19 item 10, issue 18 finding 6)."""
import pytest
from django.core.exceptions import PermissionDenied

from creditportal.core.errors import ValidationFailed
from ratings import selectors, services
from ratings.models import Rating, RatingModel, RatingState

from .conftest import QUALITATIVE

pytestmark = pytest.mark.django_db


def _score(rating, *experts, score=4):
    for expert in experts:
        for code in QUALITATIVE:
            services.expert_score_set(actor=expert, rating=rating, factor_code=code, score=score)
    rating.refresh_from_db()
    return rating


def test_one_expert_is_not_enough(users, make_customer):
    rating = _score(services.rating_start(actor=users["analyst"], customer=make_customer()), users["analyst"])
    with pytest.raises(ValidationFailed, match="at least 2 experts"):
        services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
    assert Rating.objects.get(pk=rating.pk).state == RatingState.DRAFT


def test_one_factor_short_of_experts_names_it(users, make_customer, expert2):
    rating = _score(services.rating_start(actor=users["analyst"], customer=make_customer()), users["analyst"])
    for code in QUALITATIVE[1:]:
        services.expert_score_set(actor=expert2, rating=rating, factor_code=code, score=3)
    with pytest.raises(ValidationFailed, match="Management quality") as caught:
        services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
    assert "Market position" not in caught.value.message


def test_the_minimum_is_the_models_setting(users, make_customer, expert2):
    RatingModel.objects.filter(state="active").update(min_experts=3)
    rating = _score(services.rating_start(actor=users["analyst"], customer=make_customer()),
                    users["analyst"], expert2)
    assert rating.model_definition["settings"]["min_experts"] == 3
    with pytest.raises(ValidationFailed, match="at least 3 experts"):
        services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
    _score(rating, users["analyst2"])
    assert services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business").state == RatingState.SUBMITTED


@pytest.fixture
def submitted(users, make_customer, expert2):
    rating = _score(services.rating_start(actor=users["analyst"], customer=make_customer()),
                    users["analyst"], expert2)
    return services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")


def test_an_expert_of_the_rating_may_not_approve_it(users, submitted, expert2):
    assert expert2.pk in submitted.makers()
    with pytest.raises(PermissionDenied, match="scored this rating as an expert"):
        services.rating_approve(actor=expert2, rating=submitted)
    with pytest.raises(PermissionDenied):
        services.rating_return(actor=expert2, rating=submitted, reason="x")
    with pytest.raises(PermissionDenied):
        services.rating_reject(actor=expert2, rating=submitted, reason="x")
    assert Rating.objects.get(pk=submitted.pk).state == RatingState.SUBMITTED
    # nor is it offered to them
    assert not selectors.allowed_actions(expert2, submitted)["approve"]
    assert submitted not in selectors.work_queue_for(expert2)["to_approve"]


def test_an_expert_is_refused_through_the_api_too(users, submitted, expert2, api_for):
    response = api_for(expert2).post(f"/api/v1/ratings/{submitted.pk}/approve/", {}, format="json")
    assert response.status_code == 403
    assert Rating.objects.get(pk=submitted.pk).state == RatingState.SUBMITTED


def test_someone_who_did_not_score_it_approves(users, submitted):
    assert submitted in selectors.work_queue_for(users["analyst2"])["to_approve"]
    assert services.rating_approve(actor=users["analyst2"], rating=submitted).state == RatingState.APPROVED


def test_experts_carried_into_a_proposal_are_its_makers(users, submitted, expert2):
    """The nightly batch's proposal reuses the previous rating's expert scores: those experts may not approve
    the proposal either."""
    import datetime as dt

    from customers.models import FinancialStatement

    from .conftest import STATEMENTS

    approved = services.rating_approve(actor=users["analyst2"], rating=submitted)
    FinancialStatement.objects.create(customer=approved.customer, period_end=dt.date(2026, 3, 31),
                                      period_type="interim", created_by=users["rm"], **STATEMENTS["weak"])
    proposal = services.rating_recheck(customer_id=approved.customer_id)
    assert {users["analyst"].pk, expert2.pk} <= proposal.makers()
    services.rating_submit(actor=users["analyst2"], rating=proposal, rationale="经营稳定 / stable business")
    with pytest.raises(PermissionDenied):
        services.rating_approve(actor=expert2, rating=proposal)
