"""Dry runs of a draft rating model and a draft credit policy: results, nothing written, and activation
afterwards through the ratings/credit services (a second person: four-eyes)."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Group

from audit.models import AuditEvent
from creditportal.core.errors import Conflict, NotAllowed
from credit.models import CreditPolicy, Facility
from ratings.models import Rating, RatingModel
from validation import services
from validation.models import RunStatus, Simulation

pytestmark = pytest.mark.django_db


@pytest.fixture
def generous_draft(users, active_model):
    """A draft copy of the active model in which a missing input earns full points (so it rates higher)."""
    from ratings import services as rating_services

    draft = rating_services.model_new_version(actor=users["riskadmin"], model=active_model)
    for factor in draft.factors.all():
        rating_services.factor_save(actor=users["riskadmin"], model=draft, factor=factor, missing_points=D("100"))
    return RatingModel.objects.get(pk=draft.pk)


def test_dry_run_of_a_draft_model_writes_no_rating(users, today, generous_draft, make_customer, make_rating,
                                                    make_facility, make_invoice, policy_in_force):
    customers = [make_customer() for _ in range(4)]
    make_rating(customers[0], dt.date(2026, 1, 5), 40, "B", state="approved")
    big = customers[1]
    make_facility(big, "20000000")                       # above the 10m cap even of the best grade
    make_invoice(customers[2], dt.date(2026, 7, 31), amount="100000.00")   # not yet due: normal tier
    ratings_before = list(Rating.objects.order_by("pk").values_list("pk", "state", "grade", "updated_at"))
    events_before = AuditEvent.objects.filter(object_type="ratings.rating").count()

    sim = services.simulation_start(actor=users["riskadmin"], rating_model=generous_draft, in_worker=False)
    sim = services.simulation_execute(simulation_id=sim.pk, chunk_size=3)

    assert sim.status == RunStatus.FINISHED and sim.percent == 100
    # nothing written: no rating, no change to any rating, the draft is still a draft
    assert list(Rating.objects.order_by("pk").values_list("pk", "state", "grade", "updated_at")) == ratings_before
    assert AuditEvent.objects.filter(object_type="ratings.rating").count() == events_before
    assert RatingModel.objects.get(pk=generous_draft.pk).state == "draft"

    r = sim.results
    assert r["customers"] == r["evaluated"] == 4
    new_grades = {row["from"]: row for row in r["matrix"]["rows"]}
    aaa = r["matrix"]["grades"].index("AAA")
    assert sum(row["counts"][aaa] for row in new_grades.values()) == 4          # every customer moves to AAA
    assert r["matrix"]["total"] == 4
    breach = next(b for b in r["breaches"] if b["customer_id"] == big.pk)
    assert (D(str(breach["cap"])), D(str(breach["excess"]))) == (D("10000000"), D("10000000"))
    assert r["breach_count"] == 1
    prov = r["provisions"]
    assert D(str(prov["draft"])) == D("1000.00")          # 100,000 × 1 % (normal)
    assert D(str(prov["change"])) == D(str(prov["draft"])) - D(str(prov["current"]))


def test_only_a_draft_is_simulated(users, today, active_model):
    with pytest.raises(Conflict):
        services.simulation_start(actor=users["riskadmin"], rating_model=active_model, in_worker=False)
    with pytest.raises(NotAllowed):
        services.simulation_start(actor=users["auditor"], rating_model=active_model, in_worker=False)
    assert not Simulation.objects.exists()


def test_activation_after_a_simulation_needs_a_second_person(users, today, make_user, active_model):
    from ratings import services as rating_services

    maker = make_user("maker", "risk_admin")
    maker.groups.add(Group.objects.get(name="approver"))       # may activate models, but not their own
    draft = rating_services.model_new_version(actor=maker, model=active_model)
    sim = services.simulation_start(actor=users["riskadmin"], rating_model=draft, in_worker=False)
    with pytest.raises(Conflict):                                # not finished yet
        services.simulation_activate(actor=users["approver1"], simulation=sim)
    services.simulation_execute(simulation_id=sim.pk)
    with pytest.raises(NotAllowed):
        services.simulation_activate(actor=maker, simulation=sim)            # four-eyes
    with pytest.raises(NotAllowed):
        services.simulation_activate(actor=users["riskadmin"], simulation=sim)   # not in the approver group
    assert RatingModel.objects.get(pk=draft.pk).state == "draft"
    services.simulation_activate(actor=users["approver1"], simulation=sim)
    assert RatingModel.objects.get(pk=draft.pk).state == "active"
    assert RatingModel.objects.get(pk=active_model.pk).state == "retired"


def test_dry_run_of_a_draft_credit_policy(users, today, policy_in_force, make_customer, make_rating,
                                          make_facility, make_user):
    from credit import services as credit_services

    a, bbb, unrated = make_customer("甲"), make_customer("乙"), make_customer("丙")
    make_rating(a, dt.date(2026, 2, 1), 75, "A", state="approved")
    make_rating(bbb, dt.date(2026, 2, 1), 65, "BBB", state="approved")
    fa = make_facility(a, "3000000")
    make_facility(bbb, "1500000")
    make_facility(unrated, "100000")
    maker = make_user("policy-maker", "risk_admin")
    maker.groups.add(Group.objects.get(name="approver"))
    rules = [{"grade": "A", "max_limit": D("1000000")}, {"grade": "BBB", "max_limit": D("2000000")}]
    draft = credit_services.policy_create(actor=maker, name="Tighter", effective_from=dt.date(2026, 7, 1),
                                          rules=rules)
    facilities_before = list(Facility.objects.order_by("pk").values_list("pk", "limit", "status"))

    sim = services.simulation_start(actor=users["riskadmin"], credit_policy=draft, in_worker=False)
    sim = services.simulation_execute(simulation_id=sim.pk, chunk_size=2)

    r = sim.results
    assert (r["facilities"], r["exceeding"]) == (3, 2)
    top = r["listed"][0]
    assert top["facility_id"] == fa.pk and D(str(top["excess"])) == D("2000000") and top["new"] is True
    assert r["newly_exceeding"] == 1                       # the unrated one was refused before too
    assert D(str(r["excess"])) == D("2100000")
    assert list(Facility.objects.order_by("pk").values_list("pk", "limit", "status")) == facilities_before
    assert CreditPolicy.objects.get(pk=draft.pk).status == "draft"

    with pytest.raises(NotAllowed):
        services.simulation_activate(actor=maker, simulation=sim)          # the maker: four-eyes
    services.simulation_activate(actor=users["approver2"], simulation=sim)
    assert CreditPolicy.objects.get(pk=draft.pk).status == "in_force"


def test_simulation_task_runs_after_commit(users, today, generous_draft, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sim = services.simulation_start(actor=users["riskadmin"], rating_model=generous_draft)
    sim.refresh_from_db()
    assert sim.status == RunStatus.FINISHED


def test_simulation_reads_set_wise(users, today, generous_draft, make_customer, make_facility, make_rating,
                                   policy_in_force, django_assert_num_queries):
    """Per chunk a fixed number of queries, whatever the number of customers in it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(n_customers):
        Simulation.objects.all().delete()
        for _ in range(n_customers):
            c = make_customer()
            make_facility(c, "100000")
        sim = services.simulation_start(actor=users["riskadmin"], rating_model=generous_draft, in_worker=False)
        with CaptureQueriesContext(connection) as ctx:
            services.simulation_execute(simulation_id=sim.pk, chunk_size=1000)
        return len(ctx.captured_queries)

    few = queries_for(2)
    many = queries_for(12)      # 14 customers in all now, still one chunk
    assert many == few


def test_the_simulation_classifies_with_the_month_end_rule(users, today, active_model, make_customer, make_invoice):
    """A draft that rates everyone D: the provision follows the worse of the grade floor (D → substandard) and
    the floor by days past due (300 days → doubtful), as the month-end run would."""
    from ratings import services as rating_services

    draft = rating_services.model_new_version(actor=users["riskadmin"], model=active_model)
    for factor in draft.factors.all():
        rating_services.factor_save(actor=users["riskadmin"], model=draft, factor=factor, missing_points=D("0"))
    on_time, late = make_customer(), make_customer()
    make_invoice(on_time, today + dt.timedelta(days=20), amount="100000.00")   # not due: normal by days
    make_invoice(late, today - dt.timedelta(days=300), amount="100000.00")     # 300 days: doubtful
    sim = services.simulation_start(actor=users["riskadmin"], rating_model=draft, in_worker=False)
    sim = services.simulation_execute(simulation_id=sim.pk, chunk_size=10)
    r = sim.results
    assert r["evaluated"] == 2
    d_column = r["matrix"]["grades"].index("D")
    assert sum(row["counts"][d_column] for row in r["matrix"]["rows"]) == 2
    # 100,000 × 25 % (substandard by grade) + 100,000 × 50 % (doubtful by days past due)
    assert D(str(r["provisions"]["draft"])) == D("75000.00")


def test_the_model_simulation_tests_caps_on_exposure(users, today, generous_draft, make_customer, make_facility,
                                                     policy_in_force):
    """Pending applications and usage above the limit count against the grade's cap, as in the policy check."""
    from credit.models import CreditApplication

    customer = make_customer()
    make_facility(customer, "8000000")
    CreditApplication.objects.create(customer=customer, amount=D("5000000"), currency="CNY", term_months=12,
                                     purpose="x", created_by=users["rm"], status="submitted")
    sim = services.simulation_start(actor=users["riskadmin"], rating_model=generous_draft, in_worker=False)
    r = services.simulation_execute(simulation_id=sim.pk, chunk_size=10).results
    breach = next(b for b in r["breaches"] if b["customer_id"] == customer.pk)   # AAA: 10m cap
    assert (D(str(breach["limit"])), D(str(breach["excess"]))) == (D("13000000"), D("3000000"))


def test_the_policy_dry_run_tests_caps_on_each_customers_exposure(users, today, policy_in_force, make_customer,
                                                                  make_rating, make_facility, make_user):
    """Two facilities of one customer and its pending application are one exposure against the cap."""
    from credit import services as credit_services
    from credit.models import CreditApplication

    a = make_customer("甲")
    make_rating(a, dt.date(2026, 2, 1), 75, "A", state="approved")
    make_facility(a, "600000")
    big = make_facility(a, "700000")
    CreditApplication.objects.create(customer=a, amount=D("300000"), currency="CNY", term_months=12, purpose="x",
                                     created_by=users["rm"], status="pending_approval")
    maker = make_user("policy-maker", "risk_admin")
    draft = credit_services.policy_create(actor=maker, name="Tighter", effective_from=dt.date(2026, 7, 1),
                                          rules=[{"grade": "A", "max_limit": D("1500000")}])
    sim = services.simulation_start(actor=users["riskadmin"], credit_policy=draft, in_worker=False)
    r = services.simulation_execute(simulation_id=sim.pk, chunk_size=10).results
    assert (r["facilities"], r["customers"], r["exceeding"]) == (2, 1, 1)   # each facility alone is under 1.5m
    top = r["listed"][0]
    assert top["facility_id"] == big.pk and D(str(top["limit"])) == D("1600000")
    assert D(str(top["excess"])) == D("100000")
