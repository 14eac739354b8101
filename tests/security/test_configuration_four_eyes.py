"""Every configuration change that decides credit takes four-eyes (issue 18, finding 2; design brief section 2).

The sweep tries each kind as one risk administrator alone: it must create a proposal, change nothing, refuse the
proposer's own approval, and take effect only when a second risk administrator approves it. A kind registered in
``proposals.registry`` without a case here fails the sweep, so a new kind cannot skip four-eyes silently."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Group

from accounts import services as accounts
from collection import services as collection
from collection.models import DunningGradePolicy, DunningLevel, DunningPolicy
from credit import security as credit_security
from credit import services as credit
from credit.models import ApproverAuthority, AuthorityLevel, Delegation, GroupLimit
from creditportal.core.errors import NotAllowed
from customers.models import CustomerGroup
from insurance import services as insurance
from insurance.models import InsurancePolicy, UninsuredCap
from monitoring import services as monitoring
from monitoring.models import WarningRule
from proposals import registry
from provisions import services as provisions
from provisions.models import ScenarioSet
from proposals.models import ConfigChange
from proposals.services import change_approve
from tests.config import configured

pytestmark = pytest.mark.django_db
M = D("1000000")


@pytest.fixture
def matrix(users):
    levels = [configured(credit.authority_level_propose(actor=users["riskadmin"], number=n, name=name,
                                                        max_amount=cap, weakest_grade=grade))
              for n, name, cap, grade in [(1, "Branch", 5 * M, "BB"), (2, "Head office", 20 * M, "B"),
                                          (3, "Committee", None, "CCC")]]
    for i, level in enumerate(levels, start=1):
        configured(credit.approver_authority_propose(actor=users["riskadmin"], user=users[f"approver{i}"],
                                                     level=level))
    return levels


def _roles(user):
    return sorted(user.groups.values_list("name", flat=True))


def cases(users, matrix, make_user):
    """(kind slug, what is in force now, propose as riskadmin) for every configuration change."""
    policy = DunningPolicy.objects.filter(is_active=True).first()
    level = policy.levels.order_by("order").first()
    rule = WarningRule.objects.get(code="overdue-30")
    group = CustomerGroup.objects.create(name="华东集团")
    limited = CustomerGroup.objects.create(name="华南集团")
    GroupLimit.objects.create(group=limited, limit=50 * M, currency="CNY")
    newcomer = make_user("newcomer", "credit_analyst")
    sinosure = InsurancePolicy.objects.create(
        insurer="中国出口信用保险公司", policy_number="SIN-2026-01", insured_share=D("90"), max_credit_days=180,
        notification_days=60, claim_days=120, valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 12, 31))
    policy_terms = {"insurer": "人保财险", "insured_share": "80", "max_credit_days": 90, "notification_days": 30,
                    "claim_days": 90, "valid_from": dt.date(2026, 1, 1), "valid_to": dt.date(2026, 12, 31)}
    return [
        ("insurance.policy", lambda: InsurancePolicy.objects.filter(policy_number="PICC-1").exists(),
         lambda: insurance.policy_propose(actor=users["riskadmin"], policy_number="PICC-1", **policy_terms)),
        ("insurance.policy", lambda: InsurancePolicy.objects.get(pk=sinosure.pk).notification_days,
         lambda: insurance.policy_propose(actor=users["riskadmin"], policy_number="SIN-2026-01",
                                          insurer=sinosure.insurer, insured_share="90", max_credit_days=180,
                                          notification_days=45, claim_days=120, valid_from=sinosure.valid_from,
                                          valid_to=sinosure.valid_to)),
        ("insurance.uninsured_caps", lambda: dict(UninsuredCap.objects.values_list("grade", "max_uninsured")),
         lambda: insurance.uninsured_caps_propose(actor=users["riskadmin"], caps={"BB": "5000000", "D": "0"})),
        ("collection.dunning", lambda: DunningPolicy.objects.get(pk=policy.pk).small_amount_tolerance,
         lambda: collection.dunning_policy_propose(actor=users["riskadmin"], policy=policy,
                                                   small_amount_tolerance="250.00", name=policy.name)),
        ("collection.dunning", lambda: DunningLevel.objects.get(pk=level.pk).days_past_due,
         lambda: collection.dunning_level_propose(actor=users["riskadmin"], policy=policy, level=level,
                                                  days_past_due=level.days_past_due + 1)),
        ("collection.dunning_grade",  # issue 23: the dunning policy of a rating letter
         lambda: DunningGradePolicy.objects.filter(letter="D").values_list("policy_id", flat=True).first(),
         lambda: collection.dunning_grade_propose(actor=users["riskadmin"], letter="D", policy=policy)),
        ("monitoring.warning_rule", lambda: WarningRule.objects.get(pk=rule.pk).threshold,
         lambda: monitoring.warning_rule_propose(actor=users["riskadmin"], rule=rule, threshold="60")),
        ("monitoring.warning_rule", lambda: WarningRule.objects.filter(code="overdue-45").exists(),
         lambda: monitoring.warning_rule_propose(
             actor=users["riskadmin"], code="overdue-45", name="Overdue 45", metric="overdue_days", comparison=">",
             threshold="45", severity="high", recommended_action="reduce_limit", window_days=0, periods=6,
             enabled=True, description="")),
        ("monitoring.provision_rates", lambda: monitoring.current_rates()["loss"],
         lambda: monitoring.provision_rates_propose(actor=users["riskadmin"], rates={"loss": "0.9"})),
        ("accounts.roles", lambda: _roles(newcomer),
         lambda: accounts.user_update(actor=users["riskadmin"], user=newcomer, roles=["credit_analyst", "collector"],
                                      first_name="", last_name="", email="").role_proposal),
        ("accounts.roles", lambda: _roles(users["analyst2"]),
         lambda: accounts.user_roles_propose(actor=users["riskadmin"], user=users["analyst2"], roles=["approver"])),
        ("credit.authority_level", lambda: AuthorityLevel.objects.filter(number=4).exists(),
         lambda: credit.authority_level_propose(actor=users["riskadmin"], number=4, name="Board", max_amount=None)),
        ("credit.authority_level", lambda: (AuthorityLevel.objects.get(pk=matrix[0].pk).max_amount,
                                            AuthorityLevel.objects.get(pk=matrix[0].pk).weakest_grade),
         lambda: credit.authority_level_propose(actor=users["riskadmin"], level=matrix[0], number=1, name="Branch",
                                                max_amount=8 * M, weakest_grade="CCC")),
        ("credit.approver_authority", lambda: ApproverAuthority.objects.get(user=users["approver1"]).level_id,
         lambda: credit.approver_authority_propose(actor=users["riskadmin"], user=users["approver1"],
                                                   level=matrix[2])),
        ("credit.delegation", lambda: Delegation.objects.count(),
         lambda: credit.delegation_create(actor=users["riskadmin"], delegator=users["approver3"],
                                          delegate=users["approver1"], start_date=dt.date(2026, 6, 1),
                                          end_date=dt.date(2026, 6, 30), reason="Annual leave")),
        ("credit.group_limit", lambda: GroupLimit.objects.filter(group=group).exists(),
         lambda: credit.group_limit_propose(actor=users["riskadmin"], group=group, limit=80 * M, currency="CNY")),
        ("credit.group_limit", lambda: GroupLimit.objects.get(group=limited).limit,
         lambda: credit.group_limit_propose(actor=users["riskadmin"], group=limited, limit=90 * M, currency="CNY")),
        ("credit.collateral_haircuts", lambda: credit_security.current_haircuts()["inventory"],
         lambda: credit.haircuts_propose(actor=users["riskadmin"], table={
             "inventory": {"haircut": "0.55", "revaluation_months": 3}})),
        ("credit.recovery_factors", lambda: credit_security.current_recovery_factors()["BBB"],
         lambda: credit.recovery_factors_propose(actor=users["riskadmin"], factors={"BBB": "0.75"})),
        ("provisions.scenarios", lambda: list(ScenarioSet.objects.filter(state="active").values_list("scenarios")),
         lambda: provisions.scenario_set_propose(actor=users["riskadmin"], name="2026", reason="PBoC outlook",
                                                 scenarios=[{"name": "base", "weight": "100", "factor": "1.1"}])),
    ]


def test_every_configuration_change_alone_is_only_a_proposal(users, matrix, make_user):
    covered = set()
    for slug, in_force, propose in cases(users, matrix, make_user):
        before = in_force()
        change = propose()
        assert isinstance(change, ConfigChange) and change.state == "proposed", slug
        assert change.slug == slug
        assert in_force() == before, f"{slug}: changed before a second person approved"
        with pytest.raises(NotAllowed):
            change_approve(actor=users["riskadmin"], change=change)  # the proposer alone
        for role in ("rm", "analyst", "approver2", "collector", "auditor"):
            with pytest.raises(NotAllowed):
                change_approve(actor=users[role], change=change)
        assert in_force() == before, f"{slug}: changed by a refused approval"
        change_approve(actor=users["riskadmin2"], change=change, note="four-eyes")
        assert in_force() != before, f"{slug}: the approval did not apply"
        covered.add(slug)
    assert covered == {kind.slug for kind in registry.kinds()}, "a configuration change kind without a sweep case"


def test_every_configuration_api_write_answers_202_and_changes_nothing(users, matrix, api_for):
    admin = api_for(users["riskadmin"])
    policy = DunningPolicy.objects.filter(is_active=True).first()
    group = CustomerGroup.objects.create(name="G")
    writes = [
        ("post", "/api/v1/authority-levels/", {"number": 4, "name": "Board", "max_amount": None}),
        ("patch", f"/api/v1/authority-levels/{matrix[0].pk}/", {"max_amount": "9000000"}),
        ("patch", f"/api/v1/approver-authorities/{users['approver1'].credit_authority.pk}/", {"level": 3}),
        ("post", "/api/v1/group-limits/", {"group": group.pk, "limit": "1000", "currency": "CNY"}),
        ("post", "/api/v1/delegations/", {"delegator": "approver3", "delegate": "approver1",
                                          "start_date": "2026-06-15", "end_date": "2026-06-30", "reason": "Leave"}),
        ("post", f"/api/v1/users/{users['analyst2'].pk}/roles/", {"roles": ["credit_analyst", "collector"]}),
        ("patch", f"/api/v1/dunning-policies/{policy.pk}/", {"small_amount_tolerance": "250.00"}),
        ("post", "/api/v1/dunning-grades/", {"letter": "D", "policy": policy.pk}),
        ("patch", f"/api/v1/warning-rules/{WarningRule.objects.get(code='overdue-30').pk}/", {"threshold": "60"}),
    ]
    before = (list(AuthorityLevel.objects.values_list("number", "max_amount")),
              list(ApproverAuthority.objects.values_list("user_id", "level_id")), GroupLimit.objects.count(),
              Delegation.objects.count(), _roles(users["analyst2"]), DunningGradePolicy.objects.count())
    for method, url, body in writes:
        response = getattr(admin, method)(url, body, format="json")
        assert response.status_code == 202, (url, response.status_code, response.data)
        assert response.data["state"] == "proposed", url
    after = (list(AuthorityLevel.objects.values_list("number", "max_amount")),
             list(ApproverAuthority.objects.values_list("user_id", "level_id")), GroupLimit.objects.count(),
             Delegation.objects.count(), _roles(users["analyst2"]), DunningGradePolicy.objects.count())
    assert after == before


def test_the_proposers_approval_is_refused_through_the_api_and_the_page(users, matrix, api_for, client_for):
    change = credit.group_limit_propose(actor=users["riskadmin"], group=CustomerGroup.objects.create(name="G"),
                                        limit="1000", currency="CNY")
    url = f"/api/v1/config-changes/{change.pk}/"
    assert api_for(users["riskadmin"]).post(url + "approve/", {}, format="json").status_code == 403
    client = client_for(users["riskadmin"])
    page = client.get(f"/proposals/{change.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "you cannot approve what you proposed" in page and f"/proposals/{change.pk}/approve/" not in page
    client.post(f"/proposals/{change.pk}/approve/")
    assert not GroupLimit.objects.exists()
    assert api_for(users["riskadmin2"]).post(url + "approve/", {}, format="json").status_code == 200
    assert GroupLimit.objects.get().limit == D("1000")
    assert api_for(users["riskadmin2"]).post(url + "approve/", {}, format="json").status_code == 409  # decided


def test_a_small_delegation_applies_at_once_a_large_one_is_proposed(users, matrix, settings):
    settings.DELEGATION_FOUR_EYES_ABOVE = "10000000"
    small = credit.delegation_create(actor=users["approver1"], delegator=users["approver1"],
                                     delegate=users["approver2"], start_date=dt.date(2026, 6, 1),
                                     end_date=dt.date(2026, 6, 30), reason="Leave")
    assert isinstance(small, Delegation)  # level 1: 5M, within the threshold
    large = credit.delegation_create(actor=users["approver3"], delegator=users["approver3"],
                                     delegate=users["approver2"], start_date=dt.date(2026, 6, 1),
                                     end_date=dt.date(2026, 6, 30), reason="Leave")
    assert isinstance(large, ConfigChange) and Delegation.objects.count() == 1
    with pytest.raises(NotAllowed):  # neither the delegator nor the stand-in decides it
        change_approve(actor=users["approver3"], change=large)
    with pytest.raises(NotAllowed):
        change_approve(actor=users["approver2"], change=large)
    delegation = change_approve(actor=users["riskadmin"], change=large)
    assert delegation.level.number == 3 and delegation.created_by == users["approver3"]


def test_the_proposer_may_withdraw_nobody_else(users, matrix):
    change = credit.group_limit_propose(actor=users["riskadmin"], group=CustomerGroup.objects.create(name="G"),
                                        limit="1000", currency="CNY")
    from proposals.services import change_withdraw

    with pytest.raises(NotAllowed):
        change_withdraw(actor=users["riskadmin2"], change=change)
    change_withdraw(actor=users["riskadmin"], change=change)
    change.refresh_from_db()
    assert change.state == "withdrawn" and not GroupLimit.objects.exists()


def test_a_stale_proposal_is_refused_on_approval(users, matrix):
    group = CustomerGroup.objects.create(name="G")
    first = credit.group_limit_propose(actor=users["riskadmin"], group=group, limit="1000", currency="CNY")
    GroupLimit.objects.create(group=group, limit=5, currency="CNY")  # changed meanwhile (outside the proposal)
    from creditportal.core.errors import Conflict

    with pytest.raises(Conflict):
        change_approve(actor=users["riskadmin2"], change=first)
    assert GroupLimit.objects.get(group=group).limit == 5


def test_the_other_risk_admin_finds_the_proposals_on_the_home_page(users, matrix, client_for):
    from proposals.home import home_panels

    credit.group_limit_propose(actor=users["riskadmin"], group=CustomerGroup.objects.create(name="华东集团"),
                               limit="1000", currency="CNY")
    # not to the proposer: their queue (shown to a risk administrator even when empty) does not list it
    assert [(panel["count"], panel["items"]) for panel in home_panels(users["riskadmin"])] == [(0, [])]
    assert home_panels(users["collector"]) == []
    (panel,) = home_panels(users["riskadmin2"])
    assert panel["count"] == 1 and "华东集团" in panel["items"][0]["label"]
    html = client_for(users["riskadmin2"]).get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "待我审批的配置变更" in html


def test_the_decision_page_shows_in_force_and_proposed(users, matrix, client_for):
    change = credit.authority_level_propose(actor=users["riskadmin"], level=matrix[0], number=1, name="Branch",
                                            max_amount=8 * M, weakest_grade="BB")
    page = client_for(users["riskadmin2"]).get(f"/proposals/{change.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200 and 'id="change-rows"' in html
    assert "5000000" in html and "8000000" in html and f"/proposals/{change.pk}/approve/" in html
    assert client_for(users["rm"]).get(f"/proposals/{change.pk}/").status_code == 403
