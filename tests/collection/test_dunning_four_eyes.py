"""The dunning policy and its levels are configuration with four-eyes: one risk administrator proposes a new policy,
a change of one (activating it included), a new, changed or removed level; another approves it, and only then does
the next dunning run use it (before, one risk administrator's "Save" changed every customer's dunning at once)."""
from decimal import Decimal as D

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from collection import services
from collection.models import DunningLevel, DunningPolicy, DunningPolicyChange
from creditportal.core.errors import Conflict, NotAllowed, ValidationFailed
from proposals import services as proposals

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_a_policy_change_takes_effect_only_when_another_risk_admin_approves_it(users, policy):
    change = services.dunning_policy_propose(actor=users["riskadmin"], policy=policy, small_amount_tolerance="250.00",
                                             late_fee_daily_rate="0.0005", name=policy.name)
    assert change.kind == "policy_update" and change.state == "proposed"
    assert change.values == {"small_amount_tolerance": "250.00"} and change.previous == {"small_amount_tolerance": "100.00"}
    assert DunningPolicy.objects.get(pk=policy.pk).small_amount_tolerance == D("100.00")  # nothing applies yet
    with pytest.raises(NotAllowed):
        proposals.change_approve(actor=users["riskadmin"], change=change)  # the proposer
    for role in ("collector", "auditor", "approver1", "rm"):
        with pytest.raises(NotAllowed):
            proposals.change_approve(actor=users[role], change=change)
        with pytest.raises(NotAllowed):
            proposals.change_reject(actor=users[role], change=change, note="no")
        with pytest.raises(NotAllowed):
            services.dunning_policy_propose(actor=users[role], policy=policy, small_amount_tolerance="1")
    with pytest.raises(Conflict):  # one open proposal per policy, levels included
        services.dunning_level_propose(actor=users["riskadmin2"], policy=policy, order=5, name="诉讼",
                                       days_past_due=180, action="litigation")
    applied = proposals.change_approve(actor=users["riskadmin2"], change=change, note="agreed")
    assert applied.small_amount_tolerance == D("250.00") and applied.updated_by == users["riskadmin2"]
    change.refresh_from_db()
    assert change.state == "approved" and change.decided_by == users["riskadmin2"]
    with pytest.raises(Conflict):
        proposals.change_approve(actor=users["riskadmin2"], change=change)
    events = set(AuditEvent.objects.filter(object_type__in=["collection.dunningpolicychange",
                                                            "collection.dunningpolicy"])
                 .values_list("object_type", "action", "verb"))
    assert {("collection.dunningpolicychange", "create", ""), ("collection.dunningpolicychange", "transition", "approve"),
            ("collection.dunningpolicy", "update", "")} <= events


def test_levels_are_added_changed_and_removed_on_approval(users, policy):
    maker, checker = users["riskadmin"], users["riskadmin2"]
    with pytest.raises(ValidationFailed):  # a higher level must start later: refused when proposed
        services.dunning_level_propose(actor=maker, policy=policy, order=6, name="bad", days_past_due=10,
                                       action="litigation")
    change = services.dunning_level_propose(actor=maker, policy=policy, order=5, name="诉讼", days_past_due=180,
                                            action="litigation")
    assert change.kind == "level_create" and not policy.levels.filter(order=5).exists()
    proposals.change_approve(actor=checker, change=change)
    level = policy.levels.get(order=5)
    assert level.days_past_due == 180 and DunningPolicyChange.objects.get(pk=change.pk).level_id == level.pk

    change = services.dunning_level_propose(actor=checker, policy=policy, level=level, days_past_due=150)
    assert change.values == {"days_past_due": 150} and change.previous == {"days_past_due": 180}
    proposals.change_approve(actor=maker, change=change)
    assert DunningLevel.objects.get(pk=level.pk).days_past_due == 150

    change = services.dunning_level_propose(actor=maker, policy=policy, level=level, delete=True)
    assert change.kind == "level_delete" and DunningLevel.objects.filter(pk=level.pk).exists()
    proposals.change_approve(actor=checker, change=change)
    assert not DunningLevel.objects.filter(pk=level.pk).exists()
    assert AuditEvent.objects.filter(object_type="collection.dunninglevel", action="delete").exists()


def test_a_new_policy_and_its_activation_wait_for_approval(users, policy):
    change = services.dunning_policy_propose(actor=users["riskadmin"], name="Strict", is_active=True,
                                             small_amount_tolerance="0", late_fee_daily_rate="0.001",
                                             letter_language="en")
    assert change.kind == "policy_create" and not DunningPolicy.objects.filter(name="Strict").exists()
    with pytest.raises(Conflict):  # the same new policy proposed twice
        services.dunning_policy_propose(actor=users["riskadmin2"], name="Strict")
    with pytest.raises(ValidationFailed):  # a name in use
        services.dunning_policy_propose(actor=users["riskadmin"], name=policy.name)
    with pytest.raises(ValidationFailed):
        services.dunning_policy_propose(actor=users["riskadmin"], name="Rate", late_fee_daily_rate="0.5")
    assert DunningPolicy.objects.get(pk=policy.pk).is_active
    strict = proposals.change_approve(actor=users["riskadmin2"], change=change)
    assert strict.is_active and strict.late_fee_daily_rate == D("0.001")
    assert not DunningPolicy.objects.get(pk=policy.pk).is_active  # one active policy
    assert services.active_policy().pk == strict.pk


def test_a_rejection_needs_its_reason_and_changes_nothing(users, policy):
    change = services.dunning_policy_propose(actor=users["riskadmin"], policy=policy, letter_language="en")
    with pytest.raises(NotAllowed):
        proposals.change_reject(actor=users["riskadmin"], change=change, note="mine")
    with pytest.raises(ValidationFailed):
        proposals.change_reject(actor=users["riskadmin2"], change=change, note=" ")
    proposals.change_reject(actor=users["riskadmin2"], change=change, note="customers read Chinese")
    change.refresh_from_db()
    assert change.state == "rejected" and change.decision_note == "customers read Chinese"
    assert DunningPolicy.objects.get(pk=policy.pk).letter_language == "zh-hans"
    with pytest.raises(ValidationFailed):  # nothing changes
        services.dunning_policy_propose(actor=users["riskadmin"], policy=policy, letter_language="zh-hans")


def test_the_pages_propose_show_before_and_after_and_the_other_risk_admin_approves(users, policy):
    maker, checker = _client(users["riskadmin"]), _client(users["riskadmin2"])
    level = policy.levels.get(order=2)
    response = maker.post(reverse("collection:level_edit", args=[policy.pk, level.pk]),
                          {"order": 2, "name": level.name, "days_past_due": 20, "action": level.action})
    assert response.status_code == 302, response.content.decode()[:2000]
    change = DunningPolicyChange.objects.get(state="proposed")
    assert response.url == reverse("collection:dunning_change_detail", args=[change.pk])
    assert DunningLevel.objects.get(pk=level.pk).days_past_due == 15
    detail = reverse("collection:dunning_change_detail", args=[change.pk])
    approve = reverse("collection:dunning_change_approve", args=[change.pk])
    page = maker.get(detail, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert approve not in page and "you cannot approve what you proposed" in page
    page = checker.get(detail, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    rows = page.split('id="dunning-change-rows"')[1].split("</table>")[0]
    assert approve in page and "15" in rows and "20" in rows and "Action" not in rows
    listing = checker.get(reverse("collection:policy_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="pending-dunning-changes"' in listing and detail in listing
    edit = maker.get(reverse("collection:policy_edit", args=[policy.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="pending-dunning-change"' in edit
    maker.post(approve)  # the proposer's own approval, posted anyway, is refused
    assert DunningLevel.objects.get(pk=level.pk).days_past_due == 15
    for role in ("collector", "auditor"):
        assert _client(users[role]).post(approve).status_code == 403
        assert _client(users[role]).post(reverse("collection:dunning_change_reject", args=[change.pk]),
                                         {"note": "x"}).status_code == 403
    assert checker.post(approve, {"note": "ok"}).status_code == 302
    assert DunningLevel.objects.get(pk=level.pk).days_past_due == 20
    page = checker.get(detail, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已批准" in page and approve not in page


def test_the_policy_page_proposes_a_change(users, policy):
    maker = _client(users["riskadmin"])
    response = maker.post(reverse("collection:policy_edit", args=[policy.pk]), {
        "name": policy.name, "name_en": policy.name_en, "is_active": "on", "small_amount_tolerance": "300.00",
        "late_fee_daily_rate": "0.05",
        "case_open_order": "3", "letter_language": "zh-hans"})
    assert response.status_code == 302
    change = DunningPolicyChange.objects.get(state="proposed")
    assert change.values == {"small_amount_tolerance": "300.00"}
    assert DunningPolicy.objects.get(pk=policy.pk).small_amount_tolerance == D("100.00")
    page = _client(users["riskadmin2"]).get(reverse("collection:dunning_change_detail", args=[change.pk]),
                                            HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "政策变更" in page and "300.00" in page and "100.00" in page


def test_the_api_decides_and_refuses_the_proposer_and_other_roles(users, api_for, policy):
    maker, checker = api_for(users["riskadmin"]), api_for(users["riskadmin2"])
    r = maker.patch(f"/api/v1/dunning-policies/{policy.pk}/", {"case_open_order": 4}, format="json")
    assert r.status_code == 202, r.json()
    url = f"/api/v1/dunning-policy-changes/{r.json()['id']}/"
    assert maker.post(url + "approve/", {}, format="json").status_code == 403
    for role in ("collector", "auditor"):
        assert api_for(users[role]).post(url + "approve/", {}, format="json").status_code == 403
        assert api_for(users[role]).post(url + "reject/", {"note": "x"}, format="json").status_code == 403
    assert api_for(users["auditor"]).get(url).status_code == 200
    assert checker.patch(f"/api/v1/dunning-policies/{policy.pk}/", {"case_open_order": 2},
                         format="json").status_code == 409
    assert checker.post(url + "reject/", {"note": ""}, format="json").status_code == 400
    r = checker.post(url + "approve/", {}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "approved"
    assert checker.post(url + "approve/", {}, format="json").status_code == 409
    assert DunningPolicy.objects.get(pk=policy.pk).case_open_order == 4
    assert checker.get("/api/v1/dunning-policy-changes/").json()["count"] == 1


def test_the_other_risk_admin_finds_the_proposal_on_the_home_page(users, policy):
    from collection.home import home_panels

    url = reverse("collection:policy_list")

    def panels(user):
        return [p for p in home_panels(user) if p["url"] == url]

    assert panels(users["riskadmin2"]) == []
    services.dunning_policy_propose(actor=users["riskadmin"], policy=policy, case_open_order=4)
    assert panels(users["riskadmin"]) == [] and panels(users["collector"]) == []
    (panel,) = panels(users["riskadmin2"])
    assert panel["count"] == 1 and "riskadmin" in panel["items"][0]["label"]
    html = _client(users["riskadmin2"]).get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "待我审批的催收政策变更" in html


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_once_give_exactly_one(users, policy):
    from tests.threads import run_at_once

    change = services.dunning_level_propose(actor=users["riskadmin"], policy=policy, order=5, name="诉讼",
                                            days_past_due=180, action="litigation")
    results = run_at_once([lambda: proposals.change_approve(actor=users["riskadmin2"], change=change)] * 2)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "DunningPolicy"], results
    assert DunningLevel.objects.filter(policy=policy, order=5).count() == 1


def test_the_policy_list_and_the_proposals_api_take_a_constant_number_of_queries(users, api_for, policy,
                                                                               django_assert_max_num_queries):
    client, api = _client(users["riskadmin2"]), api_for(users["riskadmin2"])

    def measure():
        with django_assert_max_num_queries(30) as page:
            assert client.get(reverse("collection:policy_list")).status_code == 200
        with django_assert_max_num_queries(12) as listing:
            assert api.get("/api/v1/dunning-policy-changes/").status_code == 200
        return len(page.captured_queries), len(listing.captured_queries)

    services.dunning_policy_propose(actor=users["riskadmin"], policy=policy, case_open_order=4)
    measure()  # warm the per-process caches (permissions, session)
    one = measure()
    for name in ("Strict", "Lenient", "Export"):
        services.dunning_policy_propose(actor=users["riskadmin"], name=name)
    assert measure() == one
