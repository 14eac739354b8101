"""Insurance pages and API: each refused to the roles that may not use it, the writes through the services."""
import datetime as dt
from decimal import Decimal as D

import pytest

from insurance.models import BuyerLimit, InsuranceClaim, InsurerNotification
from proposals.models import Proposal
from tests.factories import invoice

pytestmark = pytest.mark.django_db

READ_PAGES = ["/insurance/policies/", "/insurance/buyer-limits/", "/insurance/claims/"]


def test_every_staff_role_reads_the_pages(users, client_for, insured, today):
    for role in ("rm", "analyst", "approver1", "collector", "riskadmin", "auditor"):
        client = client_for(users[role])
        for url in READ_PAGES:
            assert client.get(url).status_code == 200, (role, url)


def test_write_pages_are_refused_to_the_roles_that_may_not(users, client_for, insured, today):
    limit = BuyerLimit.objects.get(customer=insured)
    refused = {
        "/insurance/policies/propose/": ["rm", "analyst", "approver1", "collector", "auditor"],
        "/insurance/caps/propose/": ["rm", "analyst", "approver1", "collector", "auditor"],
        "/insurance/buyer-limits/new/": ["rm", "approver1", "collector", "auditor"],
        f"/insurance/buyer-limits/{limit.pk}/reduce/": ["rm", "approver1", "collector", "auditor"],
        "/insurance/notifications/new/": ["rm", "approver1", "riskadmin", "auditor"],
        "/insurance/claims/new/": ["rm", "approver1", "riskadmin", "auditor"],
    }
    for url, roles in refused.items():
        for role in roles:
            assert client_for(users[role]).get(url).status_code == 403, (role, url)
    assert client_for(users["riskadmin"]).get("/insurance/policies/propose/").status_code == 200
    assert client_for(users["analyst"]).get(f"/insurance/buyer-limits/{limit.pk}/reduce/").status_code == 200
    assert client_for(users["collector"]).get("/insurance/claims/new/").status_code == 200


def test_another_portfolios_buyer_limit_answers_404(users, client_for, insured, make_customer, today):
    # rm2 has no insurance write permission: the page refuses (403) before looking anything up
    limit = BuyerLimit.objects.get(customer=insured)
    assert client_for(users["rm2"]).get(f"/insurance/buyer-limits/{limit.pk}/grant/").status_code == 403
    assert client_for(users["analyst"]).get("/insurance/buyer-limits/999999/grant/").status_code == 404


def test_rm_sees_only_the_portfolios_buyer_limits(users, api_for, insured, today):
    assert len(api_for(users["rm"]).get("/api/v1/buyer-limits/").data["results"]) == 1
    assert api_for(users["rm2"]).get("/api/v1/buyer-limits/").data["results"] == []
    assert api_for(users["rm2"]).get(f"/api/v1/insurance-coverage/{insured.pk}/").status_code == 404


def test_policy_proposal_page_makes_a_proposal_only(users, client_for, today):
    response = client_for(users["riskadmin"]).post("/insurance/policies/propose/", {
        "policy_number": "PICC-9", "insurer": "人保财险", "insured_share": "80", "max_credit_days": "90",
        "notification_days": "30", "claim_days": "90", "valid_from": "2026-01-01", "valid_to": "2026-12-31",
        "currency": "CNY", "notes": ""})
    assert response.status_code == 302
    assert Proposal.objects.filter(kind="insurance.policy", state="proposed").count() == 1
    bad = client_for(users["riskadmin"]).post("/insurance/policies/propose/", {
        "policy_number": "PICC-10", "insurer": "人保财险", "insured_share": "120", "max_credit_days": "90",
        "notification_days": "30", "claim_days": "90", "valid_from": "2026-01-01", "valid_to": "2026-12-31",
        "currency": "CNY"})
    assert bad.status_code == 200 and "percentage up to 100" in bad.content.decode()


def test_api_policy_and_caps_writes_answer_202(users, api_for, today):
    admin = api_for(users["riskadmin"])
    r = admin.post("/api/v1/insurance-policies/propose/", {
        "policy_number": "PICC-9", "insurer": "人保财险", "insured_share": "80", "max_credit_days": 90,
        "notification_days": 30, "claim_days": 90, "valid_from": "2026-01-01", "valid_to": "2026-12-31"},
        format="json")
    assert r.status_code == 202 and r.data["state"] == "proposed"
    r = admin.post("/api/v1/insurance-policies/caps/", {"caps": {"BB": "5000000"}}, format="json")
    assert r.status_code == 202
    assert admin.post("/api/v1/insurance-policies/caps/", {"caps": {"ZZ": "1"}}, format="json").status_code == 400
    for role in ("rm", "analyst", "approver1", "collector", "auditor"):
        assert api_for(users[role]).post("/api/v1/insurance-policies/caps/", {"caps": {}},
                                         format="json").status_code == 403, role


def test_api_buyer_limit_notification_and_claim(users, api_for, insured, sinosure, make_customer, today):
    other = make_customer()
    analyst = api_for(users["analyst"])
    r = analyst.post("/api/v1/buyer-limits/", {"policy": sinosure.pk, "customer": other.pk, "amount": "300000",
                                               "currency": "CNY"}, format="json")
    assert r.status_code == 201, r.data
    r = analyst.post(f"/api/v1/buyer-limits/{r.data['id']}/grant/", {"amount": "250000", "valid_from": "2026-06-01"},
                     format="json")
    assert r.status_code == 200 and r.data["state"] == "granted"
    assert api_for(users["collector"]).post("/api/v1/buyer-limits/", {}, format="json").status_code == 403

    inv = invoice(insured, "200000", number="INV-A1", due=dt.date(2026, 4, 1), created_by=users["rm"])
    collector = api_for(users["collector"])
    r = collector.post("/api/v1/insurer-notifications/", {"invoice": inv.pk, "notified_on": "2026-06-10",
                                                          "reference": "SIN-RPT-7"}, format="json")
    assert r.status_code == 201, r.data
    assert InsurerNotification.objects.filter(invoice=inv).exists()
    r = collector.post("/api/v1/insurance-claims/", {"invoice": inv.pk, "filed_on": "2026-06-15",
                                                     "amount": "200000"}, format="json")
    assert r.status_code == 201, r.data
    claim = InsuranceClaim.objects.get(invoice=inv)
    assert collector.post(f"/api/v1/insurance-claims/{claim.pk}/reject/", {"note": ""},
                          format="json").status_code == 400
    assert api_for(users["rm"]).post(f"/api/v1/insurance-claims/{claim.pk}/accept/", {},
                                     format="json").status_code == 403
    r = api_for(users["analyst"]).get(f"/api/v1/insurance-coverage/{insured.pk}/")
    assert r.status_code == 200
    assert (r.data["insured"], r.data["uninsured"], r.data["insured_share"]) == ("540000.00", "460000.00", "0.5400")


def test_customer_tab_shows_the_split_and_the_deadlines(users, client_for, insured, today,
                                                        django_assert_max_num_queries):
    invoice(insured, "200000", number="INV-T1", due=dt.date(2026, 4, 16), created_by=users["rm"])
    client = client_for(users["rm"])
    with django_assert_max_num_queries(60):
        page = client.get(f"/customers/{insured.pk}/?tab=insurance")
    html = page.content.decode()
    assert page.status_code == 200
    assert "540,000.00" in html and "INV-T1" in html and "2026-06-15" in html
    assert D("540000") == BuyerLimit.objects.get(customer=insured).amount * D("0.9")


def test_the_header_shows_the_insured_part(insured, today):
    from monitoring.header import customer_header

    assert customer_header(insured).insured == D("540000.00")
