"""Dunning by grade (issue 23): a rating letter's dunning policy (a D customer dunned earlier and harder), the
active policy for the rest; the assignment takes four-eyes; the run picks the policy by the current letter."""
import pytest
from django.urls import reverse

from collection import services
from collection.models import CollectionCase, DunningAction, DunningGradePolicy, DunningLevel, DunningPolicy
from creditportal.core.errors import NotAllowed, ValidationFailed
from proposals.models import Proposal
from proposals.services import change_approve
from tests.factories import rating_model, stored_rating

pytestmark = pytest.mark.django_db


@pytest.fixture
def harsh(policy):
    """A harder policy: a call on day 1, the final notice on day 10, a case from level 2."""
    harsh = DunningPolicy.objects.create(name="D customers", case_open_order=2, small_amount_tolerance="0")
    DunningLevel.objects.bulk_create([
        DunningLevel(policy=harsh, order=1, name="Call", days_past_due=1, action="phone_call"),
        DunningLevel(policy=harsh, order=2, name="Final notice", days_past_due=10, action="final_notice"),
    ])
    return harsh


def rate(customer, letter, users):
    grade = {"A": "A", "B": "BB", "C": "CCC", "D": "D"}[letter]
    return stored_rating(customer, model=rating_model(users["analyst"]), grade=grade, letter=letter, pd="0.2",
                         score=20, created_by=users["analyst"])


def assign(users, letter, policy):
    change = services.dunning_grade_propose(actor=users["riskadmin"], letter=letter, policy=policy)
    return change_approve(actor=users["riskadmin2"], change=change)


def test_the_run_picks_the_policy_by_the_current_letter_and_the_default_for_the_rest(
        users, make_customer, make_invoice, today, policy, harsh):
    assign(users, "D", harsh)
    weak, good, unrated = make_customer("丁公司"), make_customer("甲公司"), make_customer("新公司")
    rate(weak, "D", users)
    rate(good, "A", users)
    for c in (weak, good, unrated):
        make_invoice(c, "1000.00", days_past_due=12)
    services.dunning_run(as_of=today)
    actions = {a.customer_id: a for a in DunningAction.objects.select_related("level")}
    assert actions[weak.pk].level.policy_id == harsh.pk and actions[weak.pk].action == "final_notice"
    assert CollectionCase.objects.filter(customer=weak).exists()  # the harder policy opens a case at level 2
    for c in (good, unrated):  # 12 days: the default policy's overdue reminder, no case
        assert actions[c.pk].level.policy_id == policy.pk and actions[c.pk].level_order == 1
        assert not CollectionCase.objects.filter(customer=c).exists()
    assert services.dunning_run(as_of=today).created == 0  # idempotent


def test_at_day_one_only_the_d_customer_gets_a_call(users, make_customer, make_invoice, today, policy, harsh):
    assign(users, "D", harsh)
    weak, good = make_customer("丁公司"), make_customer("甲公司")
    rate(weak, "D", users)
    rate(good, "B", users)
    for c in (weak, good):
        make_invoice(c, "1000.00", days_past_due=1)
    services.dunning_run(as_of=today)
    assert DunningAction.objects.get(customer=weak).action == "phone_call"
    assert DunningAction.objects.get(customer=good).action == "reminder_email"


def test_without_an_assignment_every_letter_is_dunned_by_the_default(users, make_customer, make_invoice, today,
                                                                     policy, harsh):
    weak = make_customer("丁公司")
    rate(weak, "D", users)
    make_invoice(weak, "1000.00", days_past_due=12)
    services.dunning_run(as_of=today)
    assert DunningAction.objects.get(customer=weak).level.policy_id == policy.pk


def test_the_assignment_takes_four_eyes_and_the_risk_admin_role(users, policy, harsh):
    change = services.dunning_grade_propose(actor=users["riskadmin"], letter="D", policy=harsh)
    assert not DunningGradePolicy.objects.exists()
    with pytest.raises(NotAllowed):
        change_approve(actor=users["riskadmin"], change=change)
    for role in ("rm", "analyst", "approver1", "collector", "auditor"):
        with pytest.raises(NotAllowed):
            services.dunning_grade_propose(actor=users[role], letter="C", policy=harsh)
    change_approve(actor=users["riskadmin2"], change=change)
    assert DunningGradePolicy.objects.get(letter="D").policy == harsh
    with pytest.raises(ValidationFailed):
        services.dunning_grade_propose(actor=users["riskadmin"], letter="D", policy=harsh)  # nothing to change
    with pytest.raises(ValidationFailed):
        services.dunning_grade_propose(actor=users["riskadmin"], letter="E", policy=harsh)
    empty = DunningPolicy.objects.create(name="Empty")
    with pytest.raises(ValidationFailed):
        services.dunning_grade_propose(actor=users["riskadmin"], letter="C", policy=empty)
    back = services.dunning_grade_propose(actor=users["riskadmin"], letter="D", policy=None)
    change_approve(actor=users["riskadmin2"], change=back)
    assert not DunningGradePolicy.objects.exists()


def test_pages_and_api(users, policy, harsh, client_for, api_for):
    for role in ("rm", "analyst", "approver1", "collector", "riskadmin", "auditor"):
        page = client_for(users[role]).get(reverse("collection:dunning_grades"))
        assert page.status_code == 200
        assert (reverse("collection:dunning_grade_propose") in page.content.decode()) == (role == "riskadmin")
        if role != "riskadmin":
            assert client_for(users[role]).post(reverse("collection:dunning_grade_propose"),
                                                {"letter": "D", "policy": harsh.pk}).status_code == 403
            assert api_for(users[role]).post("/api/v1/dunning-grades/", {"letter": "D", "policy": harsh.pk},
                                             format="json").status_code == 403
    answer = client_for(users["riskadmin"]).post(reverse("collection:dunning_grade_propose"),
                                                 {"letter": "D", "policy": harsh.pk})
    assert answer.status_code == 302 and not DunningGradePolicy.objects.exists()
    page = client_for(users["riskadmin"]).get(reverse("collection:dunning_grades")).content.decode()
    pending = Proposal.objects.get(kind="collection.dunning_grade", state="proposed")
    assert reverse("proposals:detail", args=[pending.pk]) in page
    answer = api_for(users["riskadmin"]).post("/api/v1/dunning-grades/", {"letter": "C", "policy": harsh.pk},
                                              format="json")
    assert answer.status_code == 202 and answer.data["state"] == "proposed"
    assert api_for(users["auditor"]).get("/api/v1/dunning-grades/").status_code == 200
    unknown = api_for(users["riskadmin"]).post("/api/v1/dunning-grades/", {"letter": "B", "policy": 987654},
                                               format="json")
    assert unknown.status_code == 400
    bad = api_for(users["riskadmin"]).post("/api/v1/dunning-grades/", {"letter": "Z", "policy": harsh.pk},
                                           format="json")
    assert bad.status_code == 400
