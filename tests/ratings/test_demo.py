import pytest

from ratings import demo
from ratings.models import Rating, RatingState

pytestmark = pytest.mark.django_db


def test_demo_ratings_are_idempotent(users, make_customer, approver_authorities):
    customers = {"huadong_parent": make_customer("A"), "haixin_trade": make_customer("B"),
                 "xibei_energy": make_customer("C")}
    context = demo.load({"users": users, "customers": customers})
    states = {k: r.state for k, r in context["ratings"].items()}
    # the override waits for the authority matrix (credit's demo calls approve_overrides once it exists)
    assert states == {"huadong_parent": RatingState.APPROVED, "haixin_trade": RatingState.SUBMITTED,
                      "xibei_energy": RatingState.SUBMITTED}
    demo.approve_overrides(context)
    assert context["ratings"]["xibei_energy"].state == RatingState.APPROVED
    approved = context["ratings"]["huadong_parent"]
    assert approved.created_by == users["analyst"] and approved.approved_by == users["approver2"]
    assert approved.expert_scores.values("expert").distinct().count() == 2  # Delphi: two experts
    overridden = context["ratings"]["xibei_energy"]
    assert overridden.override_grade and overridden.approved_by == users["approver1"]
    count = Rating.objects.count()
    demo.load({"users": users, "customers": customers})
    assert Rating.objects.count() == count
