"""Provision rates are configuration with four-eyes: one risk administrator proposes, another approves, and only
then do the rates apply (before, one risk administrator's "Save the rates" changed every later provision)."""
from decimal import Decimal as D

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from creditportal.core.errors import Conflict, NotAllowed, ValidationFailed
from monitoring import services
from monitoring.models import ProvisionRateChange
from proposals import services as proposals

pytestmark = pytest.mark.django_db


def test_rates_apply_only_after_a_second_risk_admin_approves(users):
    before = services.current_rates()
    change = services.provision_rates_propose(actor=users["riskadmin"], rates={**before, "normal": "0.015"})
    assert change.rates == {"normal": "0.015"} and change.previous == {"normal": str(before["normal"])}
    assert services.current_rates() == before  # nothing applies yet
    with pytest.raises(NotAllowed):
        proposals.change_approve(actor=users["riskadmin"], change=change)  # the proposer
    for role in ("collector", "auditor", "approver1"):
        with pytest.raises(NotAllowed):
            proposals.change_approve(actor=users[role], change=change)
    with pytest.raises(Conflict):  # one proposal at a time
        services.provision_rates_propose(actor=users["riskadmin2"], rates={"loss": "0.9"})
    rates = proposals.change_approve(actor=users["riskadmin2"], change=change, note="per policy")
    assert rates["normal"] == D("0.015") and rates["loss"] == before["loss"]
    change.refresh_from_db()
    assert change.state == "approved" and change.decided_by == users["riskadmin2"]
    with pytest.raises(Conflict):
        proposals.change_approve(actor=users["riskadmin2"], change=change)
    verbs = set(AuditEvent.objects.filter(object_type__startswith="monitoring.provisionrate")
                .values_list("object_type", "verb"))
    assert {("monitoring.provisionratechange", ""), ("monitoring.provisionratechange", "approve"),
            ("monitoring.provisionrate", "")} <= verbs


def test_refused_and_rejected_proposals_change_nothing(users):
    before = services.current_rates()
    with pytest.raises(ValidationFailed):
        services.provision_rates_propose(actor=users["riskadmin"], rates=before)  # nothing changes
    with pytest.raises(ValidationFailed):
        services.provision_rates_propose(actor=users["riskadmin"], rates={"loss": "1.5"})
    with pytest.raises(NotAllowed):
        services.provision_rates_propose(actor=users["collector"], rates={"loss": "0.9"})
    change = services.provision_rates_propose(actor=users["riskadmin"], rates={"loss": "0.9"})
    with pytest.raises(ValidationFailed):
        proposals.change_reject(actor=users["riskadmin2"], change=change, note=" ")
    proposals.change_reject(actor=users["riskadmin2"], change=change, note="no reason to lower it")
    assert services.current_rates() == before
    assert ProvisionRateChange.objects.get().state == "rejected"


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_the_provisions_page_proposes_and_the_other_risk_admin_approves(users):
    url = reverse("monitoring:provision_run_list")
    maker, checker = _client(users["riskadmin"]), _client(users["riskadmin2"])
    # the page takes percentages (30 for 30 %); the rates are kept as fractions
    rates = {k: str(v * 100) for k, v in services.current_rates().items()}
    response = maker.post(reverse("monitoring:provision_rates"), {**rates, "substandard": "30"})
    assert response.status_code == 302
    assert services.current_rates()["substandard"] == D("0.25")
    change = ProvisionRateChange.objects.get(state="proposed")
    page = maker.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="pending-rate-change"' in page
    assert reverse("monitoring:provision_rates_approve", args=[change.pk]) not in page  # not to the proposer
    page = checker.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("monitoring:provision_rates_approve", args=[change.pk]) in page
    # the proposer's own approval, posted anyway, is refused
    maker.post(reverse("monitoring:provision_rates_approve", args=[change.pk]))
    assert services.current_rates()["substandard"] == D("0.25")
    checker.post(reverse("monitoring:provision_rates_approve", args=[change.pk]))
    assert services.current_rates()["substandard"] == D("0.3")
    assert _client(users["collector"]).post(reverse("monitoring:provision_rates_approve", args=[change.pk])
                                               ).status_code == 403


def test_the_other_risk_admin_finds_the_proposal_on_the_home_page(users):
    from monitoring.home import home_panels

    url = reverse("monitoring:provision_run_list")

    def rate_panels(user):
        return [p for p in home_panels(user) if p["url"] == url]

    assert rate_panels(users["riskadmin2"]) == []
    services.provision_rates_propose(actor=users["riskadmin"], rates={"loss": "0.9"})
    assert rate_panels(users["riskadmin"]) == []  # not to the proposer
    assert rate_panels(users["collector"]) == []
    (panel,) = rate_panels(users["riskadmin2"])
    assert panel["count"] == 1 and "riskadmin" in panel["items"][0]["label"]
    html = _client(users["riskadmin2"]).get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "待我审批的拨备比例" in html
