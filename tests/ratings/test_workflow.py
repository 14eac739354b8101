"""The rating workflow through the services: start, expert scores, override, submit, four-eyes, approve."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from audit.models import AuditEvent
from creditportal.core.errors import Conflict, ValidationFailed
from ratings import selectors, services
from ratings.engine import evaluate
from ratings.models import Rating, RatingState

pytestmark = pytest.mark.django_db


def test_start_computes_inputs_and_result(users, make_customer):
    customer = make_customer()
    rating = services.rating_start(actor=users["analyst"], customer=customer)
    assert rating.state == RatingState.DRAFT
    assert rating.inputs["ratios"]["current_ratio"] == "2.4000"
    assert rating.inputs["behaviour"]["result"] is None  # no invoices: not available
    assert rating.result["factors"] and rating.grade == rating.result["grade"]
    assert len(rating.inputs_sha256) == 64
    assert AuditEvent.objects.filter(object_type="ratings.rating", object_id=str(rating.pk), action="create").exists()


def test_expert_scores_mean_and_spread(users, scored_rating):
    rating = scored_rating(score=4)
    services.expert_score_set(actor=users["analyst2"], rating=rating, factor_code="management", score=1)
    rating.refresh_from_db()
    row = {f["code"]: f for f in rating.result["factors"]}["management"]
    assert row["experts"]["mean"] == "3.00" and row["experts"]["spread"] == "3" and row["experts"]["count"] == 3
    # scoring again replaces the expert's own score
    services.expert_score_set(actor=users["analyst2"], rating=rating, factor_code="management", score=4)
    rating.refresh_from_db()
    assert {f["code"]: f for f in rating.result["factors"]}["management"]["experts"]["count"] == 3
    with pytest.raises(ValidationFailed):
        services.expert_score_set(actor=users["analyst"], rating=rating, factor_code="management", score=6)
    with pytest.raises(ValidationFailed):
        services.expert_score_set(actor=users["analyst"], rating=rating, factor_code="current_ratio", score=3)


def test_reproducible_from_the_stored_snapshot(users, scored_rating):
    rating = scored_rating()
    stored = Rating.objects.get(pk=rating.pk)
    assert services.reproduce(stored) == stored.result
    assert evaluate(stored.model_definition, stored.inputs).as_dict() == stored.result
    from creditportal.core.canonical import sha256_of
    assert sha256_of(stored.inputs) == stored.inputs_sha256


def test_submit_and_approve_by_another_analyst(users, scored_rating, today):
    rating = scored_rating()
    services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
    approved = services.rating_approve(actor=users["analyst2"], rating=rating)
    assert approved.state == RatingState.APPROVED
    assert selectors.current_rating(approved.customer) == approved
    months = {"A": 12, "B": 6, "C": 3, "D": 1}[approved.letter]
    assert approved.review_due == selectors.months_after(today, months)
    assert not approved.is_expired


def test_self_approval_refused(users, scored_rating):
    rating = scored_rating()
    services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
    with pytest.raises(PermissionDenied):
        services.rating_approve(actor=users["analyst"], rating=rating)
    rating.refresh_from_db()
    assert rating.state == RatingState.SUBMITTED


def test_submitter_cannot_approve_a_proposal_they_submitted(users, scored_rating):
    rating = scored_rating(maker="analyst")
    services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
    with pytest.raises(PermissionDenied):
        services.rating_return(actor=users["analyst"], rating=rating, reason="x")


def test_override_needs_reason_and_is_limited(users, scored_rating):
    rating = scored_rating()
    target = {"AAA": "AA", "D": "C"}.get(rating.model_grade) or "AAA"
    from ratings.engine import Scale
    one_up = Scale.default().shift(rating.model_grade, 1) or Scale.default().shift(rating.model_grade, -1)
    with pytest.raises(ValidationFailed):
        services.rating_override(actor=users["analyst"], rating=rating, grade=one_up.code, reason="  ")
    far = Scale.default().shift(rating.model_grade, -3) or Scale.default().shift(rating.model_grade, 3)
    with pytest.raises(ValidationFailed):
        services.rating_override(actor=users["analyst"], rating=rating, grade=far.code, reason="too far")
    rating = services.rating_override(actor=users["analyst"], rating=rating, grade=one_up.code,
                                      reason="Parent guarantee not captured by the model")
    assert rating.grade == one_up.code and rating.model_grade != rating.grade and rating.is_overridden
    assert target


def test_override_approval_needs_the_approver_group(users, scored_rating, approver_authorities):
    rating = scored_rating()
    from ratings.engine import Scale
    other = Scale.default().shift(rating.model_grade, -1)
    services.rating_override(actor=users["analyst"], rating=rating, grade=other.code, reason="Weak parent")
    services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
    with pytest.raises(PermissionDenied):
        services.rating_approve(actor=users["analyst2"], rating=rating)
    approved = services.rating_approve(actor=users["approver1"], rating=rating)
    assert approved.state == RatingState.APPROVED and approved.grade == other.code


def _overridden(users, scored_rating):
    from ratings.engine import Scale

    rating = scored_rating()
    other = Scale.default().shift(rating.model_grade, -1)
    services.rating_override(actor=users["analyst"], rating=rating, grade=other.code, reason="Weak parent")
    return services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")


def test_override_approval_takes_authority_from_the_matrix(users, scored_rating):
    """DESIGN §3: an overridden grade is an amount-based decision: no matrix entry, no authority; a level
    whose amount is below the customer's exposure does not cover it; a delegation is capped at the delegator's."""
    from credit.models import ApproverAuthority, AuthorityLevel, Delegation, Facility
    from creditportal.core import clock
    from creditportal.core.errors import NotAllowed

    rating = _overridden(users, scored_rating)
    with pytest.raises(NotAllowed, match="no entry in the authority matrix"):
        services.rating_approve(actor=users["approver1"], rating=rating)
    today = clock.today()
    Facility.objects.create(customer=rating.customer, limit=Decimal("8000000"), currency="CNY",
                            start_date=today, expiry_date=today + dt.timedelta(days=365))
    small = AuthorityLevel.objects.create(number=1, name="small", max_amount=Decimal("5000000"))
    big = AuthorityLevel.objects.create(number=2, name="big", max_amount=Decimal("50000000"))
    ApproverAuthority.objects.create(user=users["approver1"], level=small)
    with pytest.raises(NotAllowed, match="exceeds your approval authority"):
        services.rating_approve(actor=users["approver1"], rating=rating)
    # a delegation of level 2 from approver3, whose own level is 1, is capped at level 1: still not enough
    ApproverAuthority.objects.create(user=users["approver3"], level=small)
    Delegation.objects.create(delegator=users["approver3"], delegate=users["approver1"], level=big,
                              start_date=today, end_date=today + dt.timedelta(days=7), reason="holiday",
                              created_by=users["riskadmin"])
    with pytest.raises(NotAllowed, match="exceeds your approval authority"):
        services.rating_approve(actor=users["approver1"], rating=rating)
    rating.refresh_from_db()
    assert rating.state == RatingState.SUBMITTED
    ApproverAuthority.objects.filter(user=users["approver1"]).update(level=big)
    approved = services.rating_approve(actor=users["approver1"], rating=rating)
    assert approved.state == RatingState.APPROVED


def test_overrider_cannot_approve(users, scored_rating, make_user):
    rating = scored_rating()
    from ratings.engine import Scale
    other = Scale.default().shift(rating.model_grade, -1)
    services.rating_override(actor=users["analyst2"], rating=rating, grade=other.code, reason="Weak parent")
    services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
    both = make_user("both", "approver")
    both.groups.add(*users["analyst2"].groups.all())
    with pytest.raises(PermissionDenied):
        services.rating_approve(actor=users["analyst2"], rating=rating)


def test_approval_supersedes_previous_and_approved_is_immutable(users, approved_rating, scored_rating, make_customer):
    first = approved_rating()
    with pytest.raises(Conflict):
        services.expert_score_set(actor=users["analyst"], rating=first, factor_code="management", score=1)
    with pytest.raises(Conflict):
        services.rating_override(actor=users["analyst"], rating=first, grade="D", reason="x")
    second = scored_rating(first.customer)
    services.rating_submit(actor=users["analyst"], rating=second, rationale="经营稳定 / stable business")
    services.rating_approve(actor=users["analyst2"], rating=second)
    first.refresh_from_db()
    assert first.state == RatingState.SUPERSEDED
    assert selectors.current_ratings([first.customer_id])[first.customer_id].pk == second.pk


def test_return_and_reject(users, scored_rating, make_customer):
    rating = scored_rating()
    services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
    with pytest.raises(ValidationFailed):
        services.rating_return(actor=users["analyst2"], rating=rating, reason="")
    rating = services.rating_return(actor=users["analyst2"], rating=rating, reason="Check the 2025 statement")
    assert rating.state == RatingState.DRAFT and rating.returned_count == 1
    services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
    rating = services.rating_reject(actor=users["analyst2"], rating=rating, reason="Wrong customer")
    assert rating.state == RatingState.REJECTED


def test_wrong_state_transition_is_a_conflict(users, approved_rating):
    rating = approved_rating()
    with pytest.raises(Conflict):
        services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
    with pytest.raises(Conflict):
        services.rating_approve(actor=users["approver1"], rating=rating)


def test_stale_inputs_block_submission(users, make_customer, scored_rating):
    customer = make_customer(period_end=dt.date(2024, 6, 30))  # 24 months before the business date
    rating = scored_rating(customer)
    with pytest.raises(ValidationFailed, match="older than 18 months"):
        services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
    assert selectors.stale_inputs_for([customer.pk])[customer.pk]


def test_missing_expert_scores_block_submission(users, make_customer):
    rating = services.rating_start(actor=users["analyst"], customer=make_customer())
    with pytest.raises(ValidationFailed, match="at least 2 experts"):
        services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")


def test_one_open_rating_per_customer(users, make_customer):
    customer = make_customer()
    services.rating_start(actor=users["analyst"], customer=customer)
    with pytest.raises(Conflict):
        services.rating_start(actor=users["analyst2"], customer=customer)


def test_behaviour_indicators_from_the_provider(users, make_customer):
    from .fakes import invoice, provider

    customer = make_customer()
    # Rating date 2026-06-30, grace 30 days: the window is (2025-05-31, 2026-05-31].
    rows = {customer.pk: ([invoice(1, "2026-03-01", "960", ("2026-03-11", "960")),   # 10 days late
                           invoice(2, "2026-04-01", "40")], [])}                      # unpaid: 90 days
    with provider(rows):
        services.behaviour_input_set(actor=users["rm"], customer=customer, competitor_share="ours_main")
        rating = services.rating_start(actor=users["analyst"], customer=customer)
    behaviour = rating.inputs["behaviour"]
    # 960 / 1000 = 96 % → B; (960 × 10 + 40 × 90) / 1000 = 13.2 → 13 days → D; ours main → B
    assert behaviour["letters"] == "BDB" and behaviour["result"] == "D"
    assert behaviour["days_late"] == 13 and behaviour["max_days_late"] == 90
    assert behaviour["window"] == {"start": "2025-06-01", "end": "2026-05-31", "rating_date": "2026-06-30"}
    assert rating.grade == "D"  # the veto cap


@pytest.mark.parametrize("role", ["auditor", "collector", "rm"])
def test_roles_that_may_not_rate(users, make_customer, role):
    with pytest.raises(PermissionDenied):
        services.rating_start(actor=users[role], customer=make_customer())


def test_auditor_refused_every_write(users, scored_rating):
    rating = scored_rating()
    auditor = users["auditor"]
    calls = [
        lambda: services.rating_start(actor=auditor, customer=rating.customer),
        lambda: services.expert_score_set(actor=auditor, rating=rating, factor_code="management", score=3),
        lambda: services.rating_override(actor=auditor, rating=rating, grade="D", reason="x"),
        lambda: services.rating_submit(actor=auditor, rating=rating, rationale="经营稳定 / stable business"),
        lambda: services.rating_approve(actor=auditor, rating=rating),
        lambda: services.rating_return(actor=auditor, rating=rating, reason="x"),
        lambda: services.rating_reject(actor=auditor, rating=rating, reason="x"),
        lambda: services.behaviour_input_set(actor=auditor, customer=rating.customer, competitor_share="half"),
        lambda: services.batch_start(actor=auditor),
        lambda: services.model_new_version(actor=auditor, model=rating.model),
        lambda: services.model_activate(actor=auditor, model=rating.model),
        lambda: services.policy_update(actor=auditor, max_override_notches=3),
        lambda: services.scale_update(actor=auditor, scale=rating.model.scale, name="x", grades=[]),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()


def test_reviews_falling_due_are_listed_before_their_date(users, approved_rating, today):
    from creditportal.core import clock

    rating = approved_rating()
    assert rating.pk not in {r.pk for r in selectors.work_queue_for(users["analyst"])["reviews_due"]}
    clock.set_today(rating.review_due - dt.timedelta(days=10))  # inside the 30-day notice period
    assert rating.pk in {r.pk for r in selectors.work_queue_for(users["analyst"])["reviews_due"]}
    assert not Rating.objects.get(pk=rating.pk).is_expired
    clock.set_today(rating.review_due + dt.timedelta(days=1))
    assert Rating.objects.get(pk=rating.pk).is_expired


def test_grade_helpers():
    assert selectors.grade_rank("AAA") == 0 and selectors.grade_rank("D") == 9
    assert selectors.notches_between("BBB", "A") == 1 and selectors.notches_between("A", "BB") == -2


def test_current_ratings_is_one_query(users, approved_rating, make_customer, django_assert_num_queries):
    ratings = [approved_rating(make_customer()) for _ in range(3)]
    with django_assert_num_queries(1):
        current = selectors.current_ratings([r.customer_id for r in ratings])
    assert {r.pk for r in current.values()} == {r.pk for r in ratings}


def test_approval_publishes_rating_approved(users, scored_rating, django_capture_on_commit_callbacks, monkeypatch):
    from collections import defaultdict

    from creditportal.core import events

    monkeypatch.setattr(events, "_subscribers", defaultdict(list))
    received = []
    events.subscribe("ratings.rating_approved", lambda **payload: received.append(payload))
    rating = scored_rating()
    services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
    with django_capture_on_commit_callbacks(execute=True):
        services.rating_approve(actor=users["analyst2"], rating=rating)
    assert received == [{"rating_id": rating.pk, "customer_id": rating.customer_id}]
