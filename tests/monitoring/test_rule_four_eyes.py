"""Warning rules are configuration with four-eyes: one risk administrator proposes a new rule or a change of one
(enabling or disabling it included), another approves it, and only then does it take effect (before, one risk
administrator's "Save" changed which alerts every customer would raise at once)."""
from decimal import Decimal as D

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from creditportal.core.errors import Conflict, NotAllowed, ValidationFailed
from monitoring import services
from monitoring.models import WarningRule, WarningRuleChange
from proposals import services as proposals

pytestmark = pytest.mark.django_db

NEW_RULE = {"name": "Overdue more than 45 days", "metric": "overdue_days", "comparison": ">", "threshold": "45",
            "severity": "high", "recommended_action": "reduce_limit", "window_days": 0, "periods": 6,
            "enabled": True, "description": ""}


def test_a_change_takes_effect_only_when_another_risk_admin_approves_it(users):
    rule = WarningRule.objects.get(code="overdue-30")
    change = services.warning_rule_propose(actor=users["riskadmin"], rule=rule, threshold="60", severity="critical",
                                           name=rule.name)
    assert change.kind == "update" and change.state == "proposed"
    assert change.values == {"threshold": "60", "severity": "critical"}  # only what changes
    assert change.previous == {"threshold": "30", "severity": "high"}
    rule.refresh_from_db()
    assert rule.threshold == D("30") and rule.severity == "high"  # nothing applies yet
    with pytest.raises(NotAllowed):
        proposals.change_approve(actor=users["riskadmin"], change=change)  # the proposer
    for role in ("collector", "auditor", "approver1", "analyst"):
        with pytest.raises(NotAllowed):
            proposals.change_approve(actor=users[role], change=change)
        with pytest.raises(NotAllowed):
            proposals.change_reject(actor=users[role], change=change, note="no")
    with pytest.raises(Conflict):  # one open proposal per rule
        services.warning_rule_propose(actor=users["riskadmin2"], rule=rule, threshold="90")
    other = services.warning_rule_propose(actor=users["riskadmin2"], rule=WarningRule.objects.get(code="overdue-90"),
                                          enabled=False)  # another rule may have its own
    assert other.values == {"enabled": False} and other.previous == {"enabled": True}
    applied = proposals.change_approve(actor=users["riskadmin2"], change=change, note="per policy")
    assert applied.pk == rule.pk and applied.threshold == D("60") and applied.severity == "critical"
    assert applied.updated_by == users["riskadmin2"]
    change.refresh_from_db()
    assert change.state == "approved" and change.decided_by == users["riskadmin2"] and change.rule_id == rule.pk
    with pytest.raises(Conflict):
        proposals.change_approve(actor=users["riskadmin2"], change=change)
    # disabling a rule is a change like any other: it stays enabled until approved
    assert WarningRule.objects.get(code="overdue-90").enabled
    proposals.change_approve(actor=users["riskadmin"], change=other)
    assert not WarningRule.objects.get(code="overdue-90").enabled
    events = set(AuditEvent.objects.filter(object_type__in=["monitoring.warningrulechange", "monitoring.warningrule"])
                 .values_list("object_type", "action", "verb"))
    assert {("monitoring.warningrulechange", "create", ""), ("monitoring.warningrulechange", "transition", "approve"),
            ("monitoring.warningrule", "update", "")} <= events


def test_a_new_rule_exists_only_once_approved(users):
    change = services.warning_rule_propose(actor=users["riskadmin"], code="overdue-45", **NEW_RULE)
    assert change.kind == "create" and change.rule is None and change.previous == {}
    assert change.values["threshold"] == "45" and change.values["enabled"] is True
    assert not WarningRule.objects.filter(code="overdue-45").exists()
    with pytest.raises(Conflict):  # the same code proposed twice
        services.warning_rule_propose(actor=users["riskadmin2"], code="overdue-45", **NEW_RULE)
    with pytest.raises(ValidationFailed):  # a code in use
        services.warning_rule_propose(actor=users["riskadmin"], code="overdue-30", **NEW_RULE)
    with pytest.raises(NotAllowed):
        proposals.change_approve(actor=users["riskadmin"], change=change)
    rule = proposals.change_approve(actor=users["riskadmin2"], change=change)
    assert rule.code == "overdue-45" and rule.threshold == D("45") and rule.severity == "high"
    assert WarningRuleChange.objects.get(pk=change.pk).rule_id == rule.pk
    assert AuditEvent.objects.filter(object_type="monitoring.warningrule", object_id=str(rule.pk),
                                     action="create").exists()


def test_refused_and_rejected_proposals_change_nothing(users):
    rule = WarningRule.objects.get(code="overdue-30")
    with pytest.raises(ValidationFailed):  # nothing changes
        services.warning_rule_propose(actor=users["riskadmin"], rule=rule, threshold="30.0000", enabled=True)
    with pytest.raises(ValidationFailed):
        services.warning_rule_propose(actor=users["riskadmin"], rule=rule, comparison="~")
    with pytest.raises(ValidationFailed):  # a new rule needs its condition
        services.warning_rule_propose(actor=users["riskadmin"], code="x-rule", name="x")
    for role in ("collector", "auditor"):
        with pytest.raises(NotAllowed):
            services.warning_rule_propose(actor=users[role], rule=rule, threshold="1")
        with pytest.raises(NotAllowed):
            services.warning_rule_propose(actor=users[role], code="x-rule", **NEW_RULE)
    change = services.warning_rule_propose(actor=users["riskadmin"], rule=rule, enabled=False)
    with pytest.raises(NotAllowed):
        proposals.change_reject(actor=users["riskadmin"], change=change, note="changed my mind")
    with pytest.raises(ValidationFailed):
        proposals.change_reject(actor=users["riskadmin2"], change=change, note=" ")
    proposals.change_reject(actor=users["riskadmin2"], change=change, note="we need this rule")
    change.refresh_from_db()
    assert change.state == "rejected" and change.decision_note == "we need this rule"
    assert WarningRule.objects.get(pk=rule.pk).enabled
    # decided: a new proposal of the rule is possible again
    services.warning_rule_propose(actor=users["riskadmin"], rule=rule, threshold="31")
    assert WarningRuleChange.objects.filter(code=rule.code, state="proposed").count() == 1


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_the_pages_propose_show_before_and_after_and_the_other_risk_admin_approves(users):
    rule = WarningRule.objects.get(code="overdue-30")
    maker, checker = _client(users["riskadmin"]), _client(users["riskadmin2"])
    form = {k: getattr(rule, k) for k in ("code", "name", "metric", "comparison", "window_days", "periods",
                                          "severity", "recommended_action", "description")}
    form.update(threshold="60", enabled="")  # disable it and raise the threshold
    response = maker.post(reverse("monitoring:rule_edit", args=[rule.pk]), form)
    assert response.status_code == 302
    change = WarningRuleChange.objects.get(state="proposed")
    assert response.url == reverse("monitoring:rule_change_detail", args=[change.pk])
    rule.refresh_from_db()
    assert rule.enabled and rule.threshold == D("30")
    detail = reverse("monitoring:rule_change_detail", args=[change.pk])
    approve = reverse("monitoring:rule_change_approve", args=[change.pk])
    page = maker.get(detail, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert approve not in page and "you cannot approve what you proposed" in page  # not to the proposer
    page = checker.get(detail, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert approve in page and 'id="rule-change-rows"' in page
    rows = page.split('id="rule-change-rows"')[1].split("</table>")[0]
    assert "Threshold" in rows and "30" in rows and "60" in rows and "Enabled" in rows and "yes" in rows
    assert "Severity" not in rows  # unchanged fields are not listed
    listing = checker.get(reverse("monitoring:rule_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="pending-rule-changes"' in listing and detail in listing
    edit = maker.get(reverse("monitoring:rule_edit", args=[rule.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="pending-rule-change"' in edit
    # the proposer's own approval, posted anyway, is refused; the refused roles get 403
    maker.post(approve)
    assert WarningRule.objects.get(pk=rule.pk).enabled
    for role in ("collector", "auditor"):
        assert _client(users[role]).post(approve).status_code == 403
        assert _client(users[role]).post(reverse("monitoring:rule_change_reject", args=[change.pk]),
                                            {"note": "x"}).status_code == 403
    assert WarningRule.objects.get(pk=rule.pk).enabled
    assert checker.post(approve, {"note": "ok"}).status_code == 302
    rule.refresh_from_db()
    assert not rule.enabled and rule.threshold == D("60")
    page = checker.get(detail, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已批准" in page and approve not in page


def test_a_new_rule_through_the_page_and_a_rejection_with_its_reason(users):
    maker, checker = _client(users["riskadmin"]), _client(users["riskadmin2"])
    response = maker.post(reverse("monitoring:rule_create"), {"code": "overdue-45", **NEW_RULE, "enabled": "on"})
    assert response.status_code == 302
    change = WarningRuleChange.objects.get(code="overdue-45")
    assert not WarningRule.objects.filter(code="overdue-45").exists()
    page = checker.get(reverse("monitoring:rule_change_detail", args=[change.pk]),
                       HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "新规则" in page
    reject = reverse("monitoring:rule_change_reject", args=[change.pk])
    checker.post(reject, {"note": ""})  # the reason is required
    assert WarningRuleChange.objects.get(pk=change.pk).state == "proposed"
    checker.post(reject, {"note": "covered by overdue-30"})
    assert WarningRuleChange.objects.get(pk=change.pk).state == "rejected"
    assert not WarningRule.objects.filter(code="overdue-45").exists()


def test_the_api_proposes_and_another_risk_admin_decides(users, api_for):
    rule = WarningRule.objects.get(code="overdue-30")
    maker, checker = api_for(users["riskadmin"]), api_for(users["riskadmin2"])
    response = maker.patch(f"/api/v1/warning-rules/{rule.pk}/", {"enabled": False}, format="json")
    assert response.status_code == 202, response.data
    assert response.data["values"] == {"enabled": False} and response.data["previous"] == {"enabled": True}
    url = f"/api/v1/warning-rule-changes/{response.data['id']}/"
    assert maker.get(f"/api/v1/warning-rules/{rule.pk}/").data["enabled"] is True
    assert maker.post(url + "approve/", {}, format="json").status_code == 403  # the proposer
    for role in ("collector", "auditor"):
        assert api_for(users[role]).post(url + "approve/", {}, format="json").status_code == 403
        assert api_for(users[role]).post(url + "reject/", {"note": "x"}, format="json").status_code == 403
        assert api_for(users[role]).patch(f"/api/v1/warning-rules/{rule.pk}/", {"enabled": True},
                                          format="json").status_code == 403
    assert api_for(users["auditor"]).get(url).status_code == 200  # reads are allowed
    assert checker.patch(f"/api/v1/warning-rules/{rule.pk}/", {"threshold": "5"},
                         format="json").status_code == 409  # one open proposal per rule
    assert checker.post(url + "reject/", {"note": ""}, format="json").status_code == 400
    response = checker.post(url + "approve/", {"note": "agreed"}, format="json")
    assert response.status_code == 200 and response.data["state"] == "approved"
    assert checker.post(url + "approve/", {}, format="json").status_code == 409
    assert maker.get(f"/api/v1/warning-rules/{rule.pk}/").data["enabled"] is False

    response = maker.post("/api/v1/warning-rules/", {"code": "overdue-45", **NEW_RULE}, format="json")
    assert response.status_code == 202 and response.data["kind"] == "create"
    assert maker.get("/api/v1/warning-rule-changes/").data["count"] == 2
    assert not WarningRule.objects.filter(code="overdue-45").exists()
    response = checker.post(f"/api/v1/warning-rule-changes/{response.data['id']}/approve/", {}, format="json")
    assert response.status_code == 200 and response.data["rule"] == WarningRule.objects.get(code="overdue-45").pk


def test_the_other_risk_admin_finds_the_proposals_on_the_home_page(users):
    from monitoring.home import home_panels

    url = reverse("monitoring:rule_list")

    def rule_panels(user):
        return [p for p in home_panels(user) if p["url"] == url]

    assert rule_panels(users["riskadmin2"]) == []
    services.warning_rule_propose(actor=users["riskadmin"], code="overdue-45", **NEW_RULE)
    assert rule_panels(users["riskadmin"]) == []  # not to the proposer
    assert rule_panels(users["collector"]) == []
    (panel,) = rule_panels(users["riskadmin2"])
    assert panel["count"] == 1 and "overdue-45" in panel["items"][0]["label"]
    html = _client(users["riskadmin2"]).get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "待我审批的预警规则" in html


def test_the_rule_list_and_the_proposals_api_take_a_constant_number_of_queries(users, api_for,
                                                                             django_assert_max_num_queries):
    client, api = _client(users["riskadmin2"]), api_for(users["riskadmin2"])

    def measure():
        with django_assert_max_num_queries(30) as page:
            assert client.get(reverse("monitoring:rule_list")).status_code == 200
        with django_assert_max_num_queries(12) as listing:
            assert api.get("/api/v1/warning-rule-changes/").status_code == 200
        return len(page.captured_queries), len(listing.captured_queries)

    services.warning_rule_propose(actor=users["riskadmin"], code="overdue-45", **NEW_RULE)
    measure()  # warm the per-process caches (permissions, session)
    one = measure()
    for code in ("overdue-90", "utilisation-90", "overdue-30"):
        services.warning_rule_propose(actor=users["riskadmin"], rule=WarningRule.objects.get(code=code),
                                      enabled=False)
    assert measure() == one


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvals_or_two_proposals_at_once_give_exactly_one(users):
    from tests.threads import run_at_once

    rule = WarningRule.objects.get(code="overdue-30")
    results = run_at_once([
        lambda: services.warning_rule_propose(actor=users["riskadmin"], rule=rule, threshold="40"),
        lambda: services.warning_rule_propose(actor=users["riskadmin2"], rule=rule, threshold="50"),
    ])
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "WarningRuleChange"], results
    change = WarningRuleChange.objects.get(state="proposed")
    checker = users["riskadmin2" if change.proposed_by_id == users["riskadmin"].pk else "riskadmin"]
    results = run_at_once([lambda: proposals.change_approve(actor=checker, change=change)] * 2)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "WarningRule"], results
    assert AuditEvent.objects.filter(object_type="monitoring.warningrulechange", verb="approve").count() == 1
    assert WarningRule.objects.get(pk=rule.pk).threshold == D(change.values["threshold"])
