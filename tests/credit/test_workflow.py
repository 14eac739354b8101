"""The application workflow through the services: levels, four-eyes, policy check, return, delegation."""
import datetime as dt
from decimal import Decimal as D

import pytest

from audit.models import AuditEvent
from credit import selectors, services
from credit.models import CreditApplication, Decision, Facility
from creditportal.core import clock
from creditportal.core.errors import Conflict, NotAllowed, ValidationFailed
from tests.config import configured

from .conftest import M

S = CreditApplication.Status
pytestmark = pytest.mark.django_db


def approve(app, who, **kw):
    return services.application_approve(actor=who, application=app, comment="ok", **kw)


def test_three_levels_in_order_then_a_facility_opens(setup, new_application, to_pending):
    u = setup.users
    app = to_pending(new_application(amount="25000000"))
    assert (app.status, app.current_level, app.required_levels) == (S.PENDING_APPROVAL, 1, 3)
    app = approve(app, u["approver1"])
    assert (app.status, app.current_level) == (S.PENDING_APPROVAL, 2)
    app = approve(app, u["approver2"])
    assert app.current_level == 3
    app = approve(app, u["approver3"])
    assert app.status == S.FACILITY_OPENED
    facility = Facility.objects.get(customer=setup.customer)
    assert facility.limit == D("25000000") and facility.status == Facility.Status.ACTIVE
    assert facility.expiry_date == dt.date(2027, 6, 15)
    steps = list(app.decisions.values_list("action", "level", "actor__username"))
    assert steps == [("submit", None, "rm"), ("start_review", None, "analyst"), ("recommend", None, "analyst"),
                     ("route", 3, "analyst"), ("approve", 1, "approver1"), ("approve", 2, "approver2"),
                     ("approve", 3, "approver3"), ("open_facility", None, "approver3")]
    assert AuditEvent.objects.filter(object_type="credit.creditapplication", object_id=str(app.pk),
                                     action="transition").count() >= 6


def test_amount_within_level_one_needs_one_approval(setup, new_application, to_pending):
    app = to_pending(new_application(amount="5000000"))
    assert app.required_levels == 1
    app = approve(app, setup.users["approver3"])  # a higher level may approve a lower step
    assert app.status == S.FACILITY_OPENED


def test_group_exposure_raises_the_levels(setup, new_application, to_pending, make_customer, ratings_stub):
    from customers.models import CustomerGroup

    group = CustomerGroup.objects.create(name="华东集团")
    setup.customer.group = group
    setup.customer.save()
    sister = make_customer("华东物流", group=group)
    ratings_stub[sister.pk] = "A"
    Facility.objects.create(customer=sister, limit=D("4000000"), currency="CNY", start_date=dt.date(2026, 1, 1),
                            expiry_date=dt.date(2027, 1, 1))
    app = to_pending(new_application(amount="1000000"))      # 1m + 4m = 5m: level 1
    assert app.required_levels == 1 and app.group_exposure == D("4000000")
    app2 = to_pending(new_application(amount="1000000.01"))  # just above 5m: level 2
    assert app2.required_levels == 2


def test_usd_amount_is_converted_for_the_matrix(setup, new_application, to_pending):
    app = to_pending(new_application(amount="800000", currency="USD"))   # 5.6m CNY
    assert app.amount_reporting == D("5600000.00") and app.required_levels == 2


# --- four-eyes --------------------------------------------------------------------------------

def _multi_role_user(make_user, *roles):
    from django.contrib.auth.models import Group

    user = make_user("multi")
    for role in roles:
        user.groups.add(Group.objects.get(name=role))
    return type(user).objects.get(pk=user.pk)


def test_maker_cannot_review(setup, new_application, make_user):
    maker = _multi_role_user(make_user, "relationship_manager", "credit_analyst")
    setup.customer.relationship_manager = maker
    setup.customer.save()
    app = new_application(maker=maker)
    app = services.application_submit(actor=maker, application=app)
    with pytest.raises(NotAllowed, match="Four-eyes"):
        services.application_start_review(actor=maker, application=app)


def test_maker_cannot_approve(setup, new_application, to_pending, make_user):
    maker = _multi_role_user(make_user, "relationship_manager", "approver")
    configured(services.approver_authority_propose(actor=setup.users["riskadmin"], user=maker, level=setup.matrix[2]))
    setup.customer.relationship_manager = maker
    setup.customer.save()
    app = to_pending(new_application(maker=maker), maker=maker)
    with pytest.raises(NotAllowed, match="Four-eyes"):
        approve(app, maker)
    assert selectors.work_queue(maker).count() == 0


def test_one_person_cannot_approve_two_levels(setup, new_application, to_pending):
    app = to_pending(new_application(amount="25000000"))
    app = approve(app, setup.users["approver3"])
    with pytest.raises(NotAllowed, match="two levels"):
        approve(app, setup.users["approver3"])
    assert Decision.objects.filter(application=app, action="approve").count() == 1


def test_approver_acts_only_within_authority(setup, new_application, to_pending):
    app = to_pending(new_application(amount="25000000"))
    app = approve(app, setup.users["approver1"])
    with pytest.raises(NotAllowed, match="level 2"):
        approve(app, setup.users["approver1"])
    other = setup.users["approver1"]
    # an approver without any authority level is refused too
    configured(services.approver_authority_propose(actor=setup.users["riskadmin"], user=other, level=setup.matrix[0], active=False))
    app2 = to_pending(new_application(amount="100"))
    with pytest.raises(NotAllowed):
        approve(app2, other)


def test_the_recommending_analyst_cannot_approve(setup, new_application, to_pending, make_user):
    both = _multi_role_user(make_user, "credit_analyst", "approver")
    configured(services.approver_authority_propose(actor=setup.users["riskadmin"], user=both, level=setup.matrix[2]))
    app = to_pending(new_application(), analyst=both)
    with pytest.raises(NotAllowed, match="recommended"):
        approve(app, both)


def test_roles_without_the_permission_are_refused(setup, new_application, to_pending):
    u = setup.users
    app = new_application()
    with pytest.raises(NotAllowed):
        services.application_submit(actor=u["analyst"], application=app)
    app = services.application_submit(actor=u["rm"], application=app)
    with pytest.raises(NotAllowed):
        services.application_start_review(actor=u["approver1"], application=app)
    for name in ("auditor", "collector", "riskadmin"):
        with pytest.raises(NotAllowed):
            services.application_start_review(actor=u[name], application=app)


def test_other_portfolio_manager_cannot_touch(setup, new_application):
    app = new_application()
    with pytest.raises(NotAllowed):
        services.application_submit(actor=setup.users["rm2"], application=app)
    assert not CreditApplication.objects.visible_to(setup.users["rm2"]).exists()
    assert CreditApplication.objects.visible_to(setup.users["rm"]).count() == 1
    assert not CreditApplication.objects.visible_to(setup.users["collector"]).filter(pk=-1).exists()


# --- policy check -----------------------------------------------------------------------------

def test_hard_violation_blocks_submission(setup, new_application):
    app = new_application(amount="60000000")   # grade A: 50m maximum (hard)
    with pytest.raises(ValidationFailed) as info:
        services.application_submit(actor=setup.users["rm"], application=app)
    assert info.value.code == "policy_violation"
    app.refresh_from_db()
    assert app.status == S.DRAFT


def test_ineligible_grade_is_hard(setup, new_application, ratings_stub):
    ratings_stub[setup.customer.pk] = "CC"
    with pytest.raises(ValidationFailed, match="does not lend"):
        services.application_submit(actor=setup.users["rm"], application=new_application())


def test_soft_violation_needs_an_exception_and_the_top_level(setup, new_application, to_pending):
    app = new_application(amount="1000000", term_months=48)     # 36 months maximum (soft)
    with pytest.raises(ValidationFailed) as info:
        services.application_submit(actor=setup.users["rm"], application=app)
    assert info.value.code == "exception_required"
    app = to_pending(app, exception_reason="Project finance needs four years")
    assert app.policy_exception and app.required_levels == 3
    assert [v["code"] for v in app.policy_result["violations"]] == ["max_term"]


def test_coverage_rule_counts_collateral_and_guarantees(setup, new_application, ratings_stub):
    ratings_stub[setup.customer.pk] = "B"   # needs 50% coverage (soft)
    app = new_application(amount="2000000", collaterals=[
        {"kind": "real_estate", "market_value": "1000000", "currency": "CNY", "haircut": "0.3",
         "valuation_date": "2026-05-01"}],
        guarantors=[{"outside_name": "担保公司", "amount": "300000", "currency": "CNY", "external_agency": "中诚信",
                     "external_grade": "AAA", "external_rated_on": "2026-01-10"}])   # AAA: recovery factor 1
    assert app.collaterals.get().lendable_value == D("700000.00")
    assert app.collaterals.get().revaluation_due == dt.date(2027, 5, 1)
    app = services.application_submit(actor=setup.users["rm"], application=app)   # (0.7m + 0.3m) / 2m = 50%
    assert app.policy_result["violations"] == [] and app.policy_result["coverage"] == "0.5000"


def test_submission_needs_an_approved_unexpired_rating(setup, new_application, ratings_stub):
    from types import SimpleNamespace

    app = new_application()
    ratings_stub[setup.customer.pk] = None
    with pytest.raises(ValidationFailed, match="rating"):
        services.application_submit(actor=setup.users["rm"], application=app)
    ratings_stub[setup.customer.pk] = SimpleNamespace(pk=None, grade="A", is_expired=True)
    with pytest.raises(ValidationFailed, match="rating"):
        services.application_submit(actor=setup.users["rm"], application=app)




# --- return, reject, withdraw -----------------------------------------------------------------

def test_return_voids_the_approvals_and_starts_again(setup, new_application, to_pending):
    u = setup.users
    app = to_pending(new_application(amount="25000000"))
    app = approve(app, u["approver1"])
    app = services.application_return(actor=u["approver2"], application=app, reason="Add the 2025 audit report")
    assert app.status == S.RETURNED and app.current_level == 0 and app.return_reason
    assert not Decision.objects.filter(application=app, action="approve", voided=False).exists()
    app = to_pending(app)
    app = approve(app, u["approver1"])   # level 1 again, by the same person: the old approval was voided
    assert app.current_level == 2


def test_reject_is_final_and_needs_a_reason(setup, new_application, to_pending):
    app = to_pending(new_application())
    with pytest.raises(ValidationFailed):
        services.application_reject(actor=setup.users["approver1"], application=app, comment="")
    app = services.application_reject(actor=setup.users["approver1"], application=app, comment="Too risky")
    assert app.status == S.REJECTED
    with pytest.raises(Conflict):
        services.application_withdraw(actor=setup.users["rm"], application=app)


def test_withdraw_by_the_manager(setup, new_application):
    app = services.application_submit(actor=setup.users["rm"], application=new_application())
    app = services.application_withdraw(actor=setup.users["rm"], application=app)
    assert app.status == S.WITHDRAWN


def test_recommend_needs_an_opinion(setup, new_application):
    u = setup.users
    app = services.application_submit(actor=u["rm"], application=new_application())
    app = services.application_start_review(actor=u["analyst"], application=app)
    with pytest.raises(ValidationFailed):
        services.application_recommend(actor=u["analyst"], application=app, opinion=" ")
    with pytest.raises(NotAllowed):
        services.application_recommend(actor=u["analyst2"], application=app, opinion="yes")


def test_wrong_state_is_a_conflict(setup, new_application):
    app = new_application()
    with pytest.raises(Conflict):
        approve(app, setup.users["approver1"])


def test_stale_level_is_a_conflict(setup, new_application, to_pending):
    app = to_pending(new_application(amount="25000000"))
    stale = CreditApplication.objects.get(pk=app.pk)
    approve(app, setup.users["approver1"])
    with pytest.raises(Conflict):
        approve(stale, setup.users["approver2"])   # saw level 1, which is done already
    with pytest.raises(Conflict):
        approve(CreditApplication.objects.get(pk=app.pk), setup.users["approver2"], expected_level=1)


def test_decrease_needs_one_level(setup, new_application, to_pending):
    app = to_pending(new_application(amount="25000000"))
    for who in ("approver1", "approver2", "approver3"):
        app = approve(app, setup.users[who])
    facility = Facility.objects.get()
    dec = to_pending(new_application(amount="24000000", application_type="decrease", facility=facility))
    assert dec.required_levels == 1
    approve(dec, setup.users["approver1"])
    facility.refresh_from_db()
    assert facility.limit == D("24000000")


def test_work_queue_shows_what_awaits_each_user(setup, new_application, to_pending):
    u = setup.users
    app = to_pending(new_application(amount="25000000"))
    draft = new_application()
    assert list(selectors.work_queue(u["approver1"])) == [app]
    assert list(selectors.work_queue(u["approver2"])) == [app]   # level 2 may act at level 1
    assert list(selectors.work_queue(u["rm"])) == [draft]
    assert list(selectors.work_queue(u["auditor"])) == []
    approve(app, u["approver1"])
    assert list(selectors.work_queue(u["approver1"])) == []
    assert services.available_actions(u["approver2"], CreditApplication.objects.get(pk=app.pk)) == \
        ["approve", "reject", "return"]
    assert services.available_actions(u["auditor"], app) == []


# --- delegation -------------------------------------------------------------------------------

def test_delegation_lends_authority_for_its_period_then_expires(setup, new_application, to_pending):
    u = setup.users
    delegation = configured(services.delegation_create(actor=u["approver3"], delegator=u["approver3"], delegate=u["approver1"],
                                            start_date=dt.date(2026, 6, 10), end_date=dt.date(2026, 6, 20),
                                            reason="Annual leave"))
    assert selectors.effective_authority(u["approver1"]) == (3, u["approver3"])
    assert AuditEvent.objects.filter(object_type="credit.delegation", object_id=str(delegation.pk)).exists()
    app = to_pending(new_application(amount="25000000"))
    app = approve(app, u["approver2"])
    app = approve(app, u["approver1"])           # level 2 on approver3's authority
    assert app.decisions.get(level=2).on_behalf_of == u["approver3"]
    app2 = to_pending(new_application(amount="25000000"))
    app2 = approve(app2, u["approver2"])
    clock.set_today(dt.date(2026, 6, 21))          # the delegation ended by itself
    assert selectors.effective_authority(u["approver1"]) == (1, None)
    with pytest.raises(NotAllowed):
        approve(CreditApplication.objects.get(pk=app2.pk), u["approver1"])


def test_delegation_is_capped_at_the_delegators_authority(setup):
    u = setup.users
    with pytest.raises(ValidationFailed, match="exceed"):
        services.delegation_create(actor=u["approver1"], delegator=u["approver1"], delegate=u["approver2"],
                                   level=setup.matrix[2], start_date=dt.date(2026, 6, 1),
                                   end_date=dt.date(2026, 6, 30), reason="leave")
    with pytest.raises(NotAllowed):
        services.delegation_create(actor=u["approver1"], delegator=u["approver3"], delegate=u["approver1"],
                                   start_date=dt.date(2026, 6, 1), end_date=dt.date(2026, 6, 30), reason="self-serve")
    # the delegator's authority lowered later: the stand-in's borrowed authority follows it down
    configured(services.delegation_create(actor=u["approver3"], delegator=u["approver3"], delegate=u["approver1"],
                               start_date=dt.date(2026, 6, 1), end_date=dt.date(2026, 6, 30), reason="leave"))
    configured(services.approver_authority_propose(actor=u["riskadmin"], user=u["approver3"], level=setup.matrix[1]))
    assert selectors.effective_authority(u["approver1"]) == (2, u["approver3"])


def test_revoked_delegation_counts_no_more(setup):
    u = setup.users
    d = configured(services.delegation_create(actor=u["riskadmin"], delegator=u["approver2"], delegate=u["approver1"],
                                   start_date=dt.date(2026, 6, 1), end_date=dt.date(2026, 6, 30), reason="leave"))
    assert selectors.effective_authority(u["approver1"])[0] == 2
    services.delegation_revoke(actor=u["approver2"], delegation=d)
    assert selectors.effective_authority(u["approver1"])[0] == 1


# --- policy versions --------------------------------------------------------------------------

def test_policy_four_eyes_and_versions(setup):
    from credit.models import CreditPolicy

    u = setup.users
    draft = services.policy_create(actor=u["riskadmin"], name="Policy 2027", effective_from=dt.date(2026, 6, 1),
                                   rules=[{"grade": "A", "max_limit": "1000"}])
    with pytest.raises(NotAllowed):
        services.policy_activate(actor=u["riskadmin2"], policy=draft)   # not in the approver group
    with pytest.raises(NotAllowed):
        services.policy_activate(actor=u["riskadmin"], policy=draft)
    services.policy_activate(actor=u["approver2"], policy=draft)
    setup.policy.refresh_from_db()
    assert setup.policy.status == CreditPolicy.Status.SUPERSEDED
    assert selectors.policy_in_force() == draft
    with pytest.raises(Conflict):
        services.policy_update(actor=u["riskadmin"], policy=draft, name="changed")
    with pytest.raises(NotAllowed):
        services.policy_create(actor=u["approver1"], name="x", effective_from=dt.date(2026, 1, 1))


def test_matrix_amounts_must_grow_with_the_level(setup):
    with pytest.raises(ValidationFailed):
        services.authority_level_propose(actor=setup.users["riskadmin"], number=4, name="too small", max_amount="1")


def test_a_rating_that_expires_during_approval_blocks_the_approval(setup, new_application, to_pending, ratings_stub):
    from types import SimpleNamespace

    app = to_pending(new_application())
    ratings_stub[setup.customer.pk] = SimpleNamespace(pk=None, grade="A", is_expired=True)
    with pytest.raises(ValidationFailed, match="rating"):
        approve(app, setup.users["approver1"])


def test_the_work_queue_page_shows_a_page_at_a_time_with_its_count(setup, new_application, client_for):
    """A department's queue runs to hundreds: the page lists 50 (or ``?page_size=``), oldest first, and says how
    many wait in all; a bad page number shows the first page, a bad size the default."""
    from django.urls import reverse

    maker = setup.users["rm"]
    apps = [new_application() for _ in range(3)]
    client = client_for(maker)
    first = client.get(reverse("credit:queue"), {"page_size": 2})
    assert first.status_code == 200
    assert first.context["paginator"].count == 3 and len(first.context["rows"]) == 2
    assert [a.pk for a, _age in first.context["rows"]] == [apps[0].pk, apps[1].pk]
    second = client.get(reverse("credit:queue"), {"page_size": 2, "page": 2})
    assert [a.pk for a, _age in second.context["rows"]] == [apps[2].pk]
    junk = client.get(reverse("credit:queue"), {"page": "x", "page_size": "y"})
    assert junk.status_code == 200 and len(junk.context["rows"]) == 3
