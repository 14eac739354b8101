"""The API and the pages: the workflow over HTTP, 409 for the wrong state, scoping, the auditor refused."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from credit import services
from credit.models import AuthorityLevel, CreditApplication, Facility

pytestmark = pytest.mark.django_db


def test_workflow_through_the_api(setup, api_for):
    u = setup.users
    body = {"customer": setup.customer.pk, "amount": "6000000.00", "currency": "CNY", "term_months": 12,
            "product": "trade_credit", "purpose": "Seasonal stock",
            "collaterals": [{"kind": "deposit", "market_value": "1000000", "currency": "CNY", "haircut": "0",
                             "valuation_date": "2026-06-01"}],
            "covenants": [{"ratio": "debt_to_equity", "comparison": "<=", "threshold": "2.5",
                           "frequency": "each_statement"}]}
    created = api_for(u["rm"]).post("/api/v1/applications/", body, format="json")
    assert created.status_code == 201, created.data
    pk = created.data["id"]
    assert created.data["available_actions"] == ["submit", "withdraw"]
    assert created.data["collaterals"][0]["lendable_value"] == "1000000.00"
    url = f"/api/v1/applications/{pk}/"
    assert api_for(u["rm"]).post(url + "submit/", {}, format="json").status_code == 200
    assert api_for(u["analyst"]).post(url + "start-review/", {}, format="json").status_code == 200
    response = api_for(u["analyst"]).post(url + "recommend/", {"opinion": "Recommend"}, format="json")
    assert response.status_code == 200 and response.data["required_levels"] == 2
    wrong = api_for(u["approver1"]).post(url + "approve/", {"level": 2}, format="json")
    assert wrong.status_code == 409
    assert api_for(u["approver1"]).post(url + "approve/", {"comment": "ok"}, format="json").status_code == 200
    refused = api_for(u["approver1"]).post(url + "approve/", {}, format="json")
    assert refused.status_code == 403 and refused.data["detail"]
    done = api_for(u["approver2"]).post(url + "approve/", {"level": 2}, format="json")
    assert done.status_code == 200 and done.data["status"] == "facility_opened"
    assert [d["action"] for d in done.data["decisions"]][-2:] == ["approve", "open_facility"]
    again = api_for(u["approver3"]).post(url + "approve/", {}, format="json")
    assert again.status_code == 409 and again.data["code"] == "conflict"


def test_submit_errors_are_listed(setup, api_for):
    app = services.application_create(actor=setup.users["rm"], customer=setup.customer, amount="60000000",
                                      currency="CNY", term_months=12, purpose="big")
    response = api_for(setup.users["rm"]).post(f"/api/v1/applications/{app.pk}/submit/", {}, format="json")
    assert response.status_code == 400 and response.data["code"] == "policy_violation"
    assert response.data["errors"]["policy"]


def test_facility_check_suspend_resume_and_orders(setup, api_for):
    u = setup.users
    f = Facility.objects.create(customer=setup.customer, limit=D("1000000"), currency="CNY",
                                start_date=dt.date(2026, 1, 1), expiry_date=dt.date(2026, 12, 31))
    rm = api_for(u["rm"])
    ok = rm.post(f"/api/v1/facilities/{f.pk}/check/", {"amount": "900000"}, format="json")
    assert ok.status_code == 200 and ok.data["allowed"] is True
    order = rm.post("/api/v1/orders/", {"facility": f.pk, "reference": "SO-1", "amount": "100000", "currency": "USD"},
                    format="json")
    assert order.status_code == 201   # USD 100k = CNY 700k reserved
    over = rm.post(f"/api/v1/facilities/{f.pk}/check/", {"amount": "300000.01", "currency": "CNY"}, format="json")
    assert over.data["allowed"] is False and [r["code"] for r in over.data["reasons"]] == ["over_free_limit"]
    listed = rm.get("/api/v1/facilities/")
    assert listed.data["results"][0]["utilised"] == "700000.00"
    assert listed.data["results"][0]["utilisation_percent"] == "70.0"
    assert rm.post(f"/api/v1/facilities/{f.pk}/suspend/", {"reason": "Overdue 30 days"}, format="json").status_code == 200
    suspended = rm.post(f"/api/v1/facilities/{f.pk}/check/", {"amount": "1"}, format="json")
    assert [r["code"] for r in suspended.data["reasons"]] == ["suspended"]
    refused = rm.post("/api/v1/orders/", {"facility": f.pk, "reference": "SO-2", "amount": "1", "currency": "CNY"},
                      format="json")
    assert refused.status_code == 400
    assert rm.post(f"/api/v1/facilities/{f.pk}/suspend/", {"reason": "again"}, format="json").status_code == 409
    assert rm.post(f"/api/v1/facilities/{f.pk}/resume/", {"reason": "Paid"}, format="json").status_code == 403
    assert api_for(u["approver1"]).post(f"/api/v1/facilities/{f.pk}/resume/", {"reason": "Paid"},
                                        format="json").status_code == 200
    assert rm.post(f"/api/v1/facilities/{f.pk}/reduce-limit/", {"new_limit": "500000", "reason": "x"},
                   format="json").status_code == 403   # a manager may suspend, not change the limit
    reduced = api_for(u["approver1"]).post(f"/api/v1/facilities/{f.pk}/reduce-limit/",
                                           {"new_limit": "500000", "reason": "Late payments"}, format="json")
    assert reduced.status_code == 200 and reduced.data["limit"] == "500000.00"


def test_check_reports_expiry_and_rating(setup, api_for, ratings_stub):
    f = Facility.objects.create(customer=setup.customer, limit=D("1000"), currency="CNY",
                                start_date=dt.date(2025, 1, 1), expiry_date=dt.date(2026, 6, 1))
    ratings_stub[setup.customer.pk] = None
    data = api_for(setup.users["rm"]).post(f"/api/v1/facilities/{f.pk}/check/", {"amount": "1"}, format="json").data
    assert [r["code"] for r in data["reasons"]] == ["expired", "rating_expired"]


def test_nightly_expiry_and_system_user_suspension(setup):
    from accounts.system import system_user
    from credit import tasks

    f = Facility.objects.create(customer=setup.customer, limit=D("1000"), currency="CNY",
                                start_date=dt.date(2025, 1, 1), expiry_date=dt.date(2026, 6, 14))
    g = Facility.objects.create(customer=setup.customer, limit=D("1000"), currency="CNY",
                                start_date=dt.date(2025, 1, 1), expiry_date=dt.date(2026, 6, 15))
    assert tasks.expire_facilities() == 1
    assert tasks.expire_facilities() == 0
    f.refresh_from_db()
    g.refresh_from_db()
    assert (f.status, g.status) == ("expired", "active")
    services.facility_suspend(actor=system_user(), facility=g, reason="Dunning level 3: suspend deliveries")
    g.refresh_from_db()
    assert g.status == "suspended"
    from config.celery import app

    assert app.conf.beat_schedule["credit-expire-facilities"]["task"] == "credit.tasks.expire_facilities"


def test_covenant_breach_on_a_new_statement(setup, new_application, to_pending):
    from customers.models import FinancialStatement

    from credit.models import CovenantBreach
    from creditportal.core.events import subscribe

    seen = []
    subscribe("credit.covenant_breached", lambda **kw: seen.append(kw))
    app = to_pending(new_application(covenants=[{"ratio": "debt_to_equity", "comparison": "<=", "threshold": "2"}]))
    services.application_approve(actor=setup.users["approver1"], application=app)
    statement = FinancialStatement.objects.create(
        customer=setup.customer, period_end=dt.date(2025, 12, 31), total_assets=D("1000"), total_liabilities=D("750"),
        equity=D("250"), created_by=setup.users["rm"])
    breaches = services.covenants_test_statement(actor=services.system_actor(), statement_id=statement.pk)
    assert len(breaches) == 1 and breaches[0].value == D("3.0000")
    assert services.covenants_test_statement(actor=services.system_actor(), statement_id=statement.pk) == []
    assert CovenantBreach.objects.count() == 1


def test_statement_saved_event_runs_the_covenant_task(setup, new_application, to_pending, django_capture_on_commit_callbacks):
    from customers.models import FinancialStatement

    from credit.models import CovenantBreach
    from creditportal.core.events import publish_on_commit

    app = to_pending(new_application(covenants=[{"ratio": "equity_ratio", "comparison": ">=", "threshold": "0.3"}]))
    services.application_approve(actor=setup.users["approver1"], application=app)
    statement = FinancialStatement.objects.create(
        customer=setup.customer, period_end=dt.date(2025, 12, 31), total_assets=D("1000"), total_liabilities=D("800"),
        equity=D("200"), created_by=setup.users["rm"])
    with django_capture_on_commit_callbacks(execute=True):
        publish_on_commit("customers.statement_saved", statement_id=statement.pk, customer_id=setup.customer.pk)
    assert CovenantBreach.objects.filter(covenant__application=app).count() == 1


# --- the auditor: reads everything, writes nothing ----------------------------------------

def test_auditor_is_refused_every_api_action(setup, api_for, new_application, to_pending):
    app = to_pending(new_application())
    f = Facility.objects.create(customer=setup.customer, limit=D("1000"), currency="CNY",
                                start_date=dt.date(2026, 1, 1), expiry_date=dt.date(2027, 1, 1))
    auditor = api_for(setup.users["auditor"])
    assert auditor.get(f"/api/v1/applications/{app.pk}/").status_code == 200
    assert auditor.get("/api/v1/credit-policies/").status_code == 200
    assert auditor.get(f"/api/v1/applications/{app.pk}/").data["available_actions"] == []
    base = f"/api/v1/applications/{app.pk}/"
    posts = [base + a + "/" for a in ("submit", "start-review", "recommend", "approve", "reject", "return", "withdraw")]
    posts += [f"/api/v1/facilities/{f.pk}/{a}/" for a in ("check", "suspend", "resume", "reduce-limit", "close")]
    posts += ["/api/v1/applications/", "/api/v1/orders/", "/api/v1/credit-policies/", "/api/v1/authority-levels/",
              "/api/v1/approver-authorities/", "/api/v1/delegations/", "/api/v1/group-limits/",
              f"/api/v1/credit-policies/{setup.policy.pk}/activate/"]
    for url in posts:
        response = auditor.post(url, {"reason": "x", "comment": "x", "opinion": "x"}, format="json")
        assert response.status_code == 403, url
    assert auditor.patch(base, {"amount": "1"}, format="json").status_code == 403
    assert auditor.patch(f"/api/v1/authority-levels/{setup.matrix[0].pk}/", {"name": "x"},
                         format="json").status_code == 403


def test_auditor_is_refused_every_page_action(setup, client_for, new_application, to_pending):
    app = to_pending(new_application())
    f = Facility.objects.create(customer=setup.customer, limit=D("1000"), currency="CNY",
                                start_date=dt.date(2026, 1, 1), expiry_date=dt.date(2027, 1, 1))
    client = client_for(setup.users["auditor"])
    page = client.get(reverse("credit:application_detail", args=[app.pk]))
    assert page.status_code == 200 and b'formaction="' not in page.content
    for action in ("submit", "start_review", "recommend", "approve", "reject", "return", "withdraw"):
        response = client.post(reverse("credit:application_action", args=[app.pk, action]), {"comment": "x"})
        assert response.status_code == 403, action
    for kind in ("collateral", "guarantor", "covenant"):
        assert client.post(reverse("credit:application_item", args=[app.pk, kind]), {}).status_code == 403
    for name in ("order", "suspend", "resume", "reduce_limit", "close", "cancel_order"):
        response = client.post(reverse(f"credit:facility_{name}", args=[f.pk]), {"reason": "x"})
        assert response.status_code == 403, name
    assert client.get(reverse("credit:application_create")).status_code == 403
    assert client.post(reverse("credit:policy_activate", args=[setup.policy.pk])).status_code == 403
    assert client.post(reverse("credit:delegation_create"), {"reason": "x"}).status_code == 403
    assert client.post(reverse("credit:delegation_revoke", args=[1])).status_code == 403
    app.refresh_from_db()
    assert app.status == CreditApplication.Status.PENDING_APPROVAL
    f.refresh_from_db()
    assert f.status == "active"


def test_pages_render_and_show_only_allowed_actions(setup, client_for, new_application, to_pending):
    app = to_pending(new_application(amount="25000000", collaterals=[
        {"kind": "real_estate", "market_value": "1000", "currency": "CNY", "haircut": "0.5"}]))
    client = client_for(setup.users["approver1"])
    page = client.get(reverse("credit:application_detail", args=[app.pk])).content.decode()
    assert "1 of 3" in page or "1 / 3" in page or "level 1" in page
    assert reverse("credit:application_action", args=[app.pk, "approve"]) in page
    assert reverse("credit:application_action", args=[app.pk, "withdraw"]) not in page
    response = client.post(reverse("credit:application_action", args=[app.pk, "approve"]), {"comment": "ok", "level": 1})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.current_level == 2
    for name in ("credit:queue", "credit:application_list", "credit:facility_list", "credit:policy_list",
                 "credit:matrix"):
        assert client.get(reverse(name)).status_code == 200, name
    assert client.get(reverse("credit:policy_detail", args=[setup.policy.pk])).status_code == 200
    home = client_for(setup.users["approver2"]).get(reverse("home")).content.decode()
    assert f"#{app.pk}" in home


def test_manager_files_an_application_on_the_page(setup, client_for):
    client = client_for(setup.users["rm"])
    response = client.post(reverse("credit:application_create"), {
        "customer": setup.customer.pk, "application_type": "new", "amount": "1000000", "currency": "CNY",
        "term_months": "12", "product": "trade_credit", "purpose": "Stock"})
    assert response.status_code == 302
    app = CreditApplication.objects.get()
    response = client.post(reverse("credit:application_item", args=[app.pk, "collateral"]), {
        "kind": "deposit", "market_value": "500", "currency": "CNY", "haircut": "0", "valuation_date": "2026-06-01"})
    assert app.collaterals.count() == 1
    client.post(reverse("credit:application_action", args=[app.pk, "submit"]))
    app.refresh_from_db()
    assert app.status == "submitted"
    f = Facility.objects.create(customer=setup.customer, limit=D("1000"), currency="CNY",
                                start_date=dt.date(2026, 1, 1), expiry_date=dt.date(2027, 1, 1))
    detail = client.get(reverse("credit:facility_detail", args=[f.pk]))
    assert detail.status_code == 200 and b"progress-bar" in detail.content
    checked = client.get(reverse("credit:facility_detail", args=[f.pk]), {"amount": "2000", "currency": "CNY"})
    assert "free limit" in checked.content.decode()


def test_list_endpoints_have_constant_queries(setup, api_for, new_application, django_assert_max_num_queries):
    for i in range(5):
        new_application(amount=str(1000 + i))
        Facility.objects.create(customer=setup.customer, limit=D("1000"), currency="CNY",
                                start_date=dt.date(2026, 1, 1), expiry_date=dt.date(2027, 1, 1))
    client = api_for(setup.users["analyst"])
    with django_assert_max_num_queries(12):
        assert len(client.get("/api/v1/applications/").data["results"]) == 5
    with django_assert_max_num_queries(12):
        assert len(client.get("/api/v1/facilities/").data["results"]) == 5


def test_pages_are_translated_into_chinese(setup, client_for, new_application, settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "zh-hans"
    app = new_application()
    client = client_for(setup.users["rm"])
    with translation.override("zh-hans"):
        page = client.get(reverse("credit:application_detail", args=[app.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert "政策检查" in text and "审批记录" in text


def test_risk_admin_configures_through_the_api_and_an_approver_activates(setup, api_for):
    from customers.models import CustomerGroup

    admin, u = api_for(setup.users["riskadmin"]), setup.users
    created = admin.post("/api/v1/credit-policies/", {
        "name": "2027", "effective_from": "2026-07-01",
        "rules": [{"grade": "A", "max_limit": "1000000", "max_term_months": 12}]}, format="json")
    assert created.status_code == 201, created.data
    pk = created.data["id"]
    assert created.data["status"] == "draft" and created.data["rules"][0]["grade"] == "A"
    assert admin.patch(f"/api/v1/credit-policies/{pk}/", {"name": "2027 v2"}, format="json").status_code == 200
    assert admin.post(f"/api/v1/credit-policies/{pk}/activate/").status_code == 403
    activated = api_for(u["approver2"]).post(f"/api/v1/credit-policies/{pk}/activate/")
    assert activated.status_code == 200 and activated.data["status"] == "in_force"
    assert admin.patch(f"/api/v1/credit-policies/{pk}/", {"name": "x"}, format="json").status_code == 409
    checker = api_for(u["riskadmin2"])

    def approved(response):  # configuration takes four-eyes: 202 with the proposal, the other risk admin approves
        assert response.status_code == 202, response.data
        decided = checker.post(f"/api/v1/config-changes/{response.data['id']}/approve/", {}, format="json")
        assert decided.status_code == 200 and decided.data["state"] == "approved", decided.data
        return decided

    level = admin.post("/api/v1/authority-levels/", {"number": 4, "name": "Board", "max_amount": None}, format="json")
    approved(level)
    assert AuthorityLevel.objects.filter(number=4, name="Board", max_amount=None).exists()
    moved = admin.patch(f"/api/v1/approver-authorities/{setup.users['approver3'].credit_authority.pk}/",
                        {"level": 4}, format="json")
    assert moved.data["values"]["level"] == 4
    approved(moved)
    assert admin.get(f"/api/v1/approver-authorities/{setup.users['approver3'].credit_authority.pk}/").data["level"] == 4
    group = CustomerGroup.objects.create(name="G")
    approved(admin.post("/api/v1/group-limits/", {"group": group.pk, "limit": "1000", "currency": "CNY"},
                        format="json"))
    delegation = api_for(u["approver2"]).post("/api/v1/delegations/", {
        "delegator": "approver2", "delegate": "approver1", "start_date": "2026-06-15", "end_date": "2026-06-30",
        "reason": "Leave"}, format="json")
    approved(delegation)  # level 2 (20M) is above DELEGATION_FOUR_EYES_ABOVE
    in_force = api_for(u["approver2"]).get("/api/v1/delegations/").data
    rows = in_force["results"] if isinstance(in_force, dict) else in_force
    assert [d["in_force_today"] for d in rows if d["delegate"] == "approver1"] == [True]
    for url in ("/api/v1/credit-policies/", "/api/v1/authority-levels/", "/api/v1/approver-authorities/",
                "/api/v1/delegations/", "/api/v1/group-limits/", "/api/v1/covenant-breaches/"):
        assert api_for(u["collector"]).get(url).status_code == 200, url
    assert api_for(u["rm"]).post("/api/v1/authority-levels/", {"number": 5, "name": "x"},
                                 format="json").status_code == 403
