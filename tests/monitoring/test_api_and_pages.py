"""API and pages: actions, scoping, the refused roles, and the dashboard's constant query count."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from monitoring import services
from monitoring.models import Alert, AssetClassification, WarningRule

from .conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert(build, system):
    customer = build.customer()
    build.invoice(customer, "1000", days_past_due=45)
    services.alerts_evaluate(actor=system, customer_ids=[customer.pk])
    return Alert.objects.get(customer=customer, rule__code="overdue-30")


def test_alert_actions_through_the_api(api_for, users, alert):
    api = api_for(users["analyst"])
    url = f"/api/v1/alerts/{alert.pk}/"
    assert api.get("/api/v1/alerts/").data["count"] == 1
    response = api.post(url + "acknowledge/", {"comment": "looking"}, format="json")
    assert response.status_code == 200 and response.data["status"] == "acknowledged"
    assert api.post(url + "acknowledge/", {}, format="json").status_code == 409
    assert api.post(url + "resolve/", {"comment": ""}, format="json").status_code == 400
    response = api.post(url + "resolve/", {"comment": "plan agreed"}, format="json")
    assert response.status_code == 200 and response.data["status"] == "resolved"
    assert api.post(url + "dismiss/", {"comment": "x"}, format="json").status_code == 409


def test_relationship_manager_sees_own_portfolio_only(api_for, users, alert):
    assert api_for(users["rm"]).get("/api/v1/alerts/").data["count"] == 1
    assert api_for(users["rm2"]).get("/api/v1/alerts/").data["count"] == 0
    assert api_for(users["rm2"]).post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {}).status_code == 404


def test_auditor_is_refused_every_write(api_for, client_for, users, alert, system):
    services.classification_run(actor=system, period=TODAY)
    classification = AssetClassification.objects.first()
    rule = WarningRule.objects.first()
    api = api_for(users["auditor"])
    writes = [
        (f"/api/v1/alerts/{alert.pk}/acknowledge/", {}),
        (f"/api/v1/alerts/{alert.pk}/resolve/", {"comment": "x"}),
        (f"/api/v1/alerts/{alert.pk}/dismiss/", {"comment": "x"}),
        (f"/api/v1/alerts/{alert.pk}/start-action/", {"action": "ask_collateral"}),
        ("/api/v1/warning-rules/", {"code": "x", "name": "x", "metric": "overdue_days", "comparison": ">",
                                    "threshold": "1", "severity": "low"}),
        (f"/api/v1/classifications/{classification.pk}/reclassify/", {"tier": "loss", "reason": "x"}),
        (f"/api/v1/classifications/{classification.pk}/approve/", {}),
        (f"/api/v1/classifications/{classification.pk}/reject/", {}),
        ("/api/v1/classifications/run/", {}),
        ("/api/v1/provision-runs/", {}),
        ("/api/v1/watchlist/", {"customer": alert.customer_id, "reason": "x"}),
    ]
    for url, data in writes:
        assert api.post(url, data, format="json").status_code == 403, url
    assert api.patch(f"/api/v1/warning-rules/{rule.pk}/", {"threshold": "5"}, format="json").status_code == 403
    # reads are allowed
    for url in ("/api/v1/alerts/", "/api/v1/warning-rules/", "/api/v1/classifications/", "/api/v1/provision-runs/",
                "/api/v1/watchlist/", "/api/v1/dashboard/"):
        assert api.get(url).status_code == 200, url
    client = client_for(users["auditor"])
    page_writes = [
        reverse("monitoring:alert_transition", args=[alert.pk, "acknowledge"]),
        reverse("monitoring:alert_action", args=[alert.pk]),
        reverse("monitoring:alert_watch", args=[alert.pk]),
        reverse("monitoring:rule_create"), reverse("monitoring:rule_edit", args=[rule.pk]),
        reverse("monitoring:classification_run"), reverse("monitoring:provision_run"),
        reverse("monitoring:provision_rates"),
        reverse("monitoring:watchlist_add", args=[alert.customer_id]),
    ]
    for url in page_writes:
        assert client.post(url, {"comment": "x", "reason": "x"}).status_code == 403, url
    response = client.post(reverse("monitoring:classification_detail", args=[classification.pk]),
                           {"tier": "loss", "reason": "x"})
    classification.refresh_from_db()
    assert classification.status == "confirmed"
    alert.refresh_from_db()
    assert alert.status == "open"


def test_classification_four_eyes_through_the_api(api_for, users, system, build):
    customer = build.customer()
    build.invoice(customer, days_past_due=100)
    services.classification_run(actor=system, period=TODAY)
    row = AssetClassification.objects.get(customer=customer)
    url = f"/api/v1/classifications/{row.pk}/"
    analyst = api_for(users["analyst"])
    assert analyst.post(url + "reclassify/", {"tier": "normal", "reason": "x"}, format="json").status_code == 400
    assert analyst.post(url + "reclassify/", {"tier": "doubtful", "reason": "x"}, format="json").status_code == 200
    assert analyst.post(url + "approve/", {}, format="json").status_code == 403
    response = api_for(users["approver1"]).post(url + "approve/", {}, format="json")
    assert response.status_code == 200 and response.data["tier"] == "doubtful"


def test_rule_configuration_by_risk_admin(api_for, users):
    rule = WarningRule.objects.get(code="overdue-30")
    api = api_for(users["riskadmin"])
    response = api.patch(f"/api/v1/warning-rules/{rule.pk}/", {"threshold": "45", "severity": "critical"},
                         format="json")
    assert response.status_code == 202 and response.data["state"] == "proposed"  # four-eyes: a proposal
    rule.refresh_from_db()
    assert rule.threshold == D("30") and rule.severity != "critical"
    response = api_for(users["riskadmin2"]).post(f"/api/v1/warning-rule-changes/{response.data['id']}/approve/",
                                                 {}, format="json")
    assert response.status_code == 200
    rule.refresh_from_db()
    assert rule.threshold == D("45") and rule.severity == "critical"
    assert api.patch(f"/api/v1/warning-rules/{rule.pk}/", {"comparison": "~"}, format="json").status_code == 400
    assert api_for(users["analyst"]).patch(f"/api/v1/warning-rules/{rule.pk}/", {"threshold": "1"},
                                           format="json").status_code == 403


def test_provision_run_api(api_for, users, build):
    customer = build.customer()
    build.invoice(customer, "1000", days_past_due=100)
    api = api_for(users["riskadmin"])
    response = api.post("/api/v1/provision-runs/", {"period": "2026-06-30"}, format="json")
    assert response.status_code == 201 and response.data["total_provision"] == "250.00"
    run_id = response.data["id"]
    assert api.get(f"/api/v1/provision-runs/{run_id}/comparison/").status_code == 200
    assert api.get(f"/api/v1/provision-runs/{run_id}/lines/").data["count"] == 1


def test_watchlist_api(api_for, users, build):
    customer = build.customer()
    api = api_for(users["analyst"])
    response = api.post("/api/v1/watchlist/", {"customer": customer.pk, "reason": "late payer"}, format="json")
    assert response.status_code == 201
    assert api.post("/api/v1/watchlist/", {"customer": customer.pk, "reason": "again"}, format="json").status_code == 400
    entry = response.data["id"]
    assert api.post(f"/api/v1/watchlist/{entry}/end/").status_code == 200


def _portfolio(build, system, n):
    group = build.group()
    for i in range(n):
        customer = build.customer(group=group if i % 3 == 0 else None, industry="CFG"[i % 3])
        build.invoice(customer, str(1000 + i), days_past_due=(i * 37) % 400)
        build.rating(customer, ["A", "BBB", "BB", "B"][i % 4])
    services.alerts_evaluate(actor=system)
    services.provision_run(actor=system, period=TODAY)


def test_dashboard_query_count_does_not_grow(build, system, users, client_for, api_for,
                                             django_assert_max_num_queries):
    from django.core.cache import cache

    # the live computation (a cold snapshot: the cache is emptied before each request); the snapshot's own
    # flat count is tests/monitoring/test_dashboard_snapshot.py
    _portfolio(build, system, 3)
    client = client_for(users["riskadmin"])
    with django_assert_max_num_queries(25) as small:
        assert client.get(reverse("monitoring:dashboard")).status_code == 200
    _portfolio(build, system, 30)
    cache.clear()
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("monitoring:dashboard"))
    assert response.status_code == 200
    api = api_for(users["auditor"])
    cache.clear()
    with django_assert_max_num_queries(len(small.captured_queries)):
        data = api.get("/api/v1/dashboard/").json()
    assert D(data["total_exposure"]) > 0 and len(data["top_customers"]) == 10
    assert client_for(users["rm"]).get(reverse("monitoring:dashboard")).status_code == 403


def test_pages_render(build, system, users, client_for, alert):
    services.provision_run(actor=system, period=TODAY)
    classification = AssetClassification.objects.first()
    client = client_for(users["analyst"])
    for name, args in [("alert_list", []), ("alert_detail", [alert.pk]), ("rule_list", []), ("watchlist", []),
                       ("classification_list", []), ("classification_detail", [classification.pk]),
                       ("provision_run_list", []), ("dashboard", []), ("exposure_list", []),
                       ("watchlist_add", [alert.customer_id])]:
        response = client.get(reverse(f"monitoring:{name}", args=args))
        assert response.status_code == 200, name
    assert client.get(reverse("monitoring:alert_list") + "?severity=high&sort=customer&mine=1").status_code == 200
    response = client.get(reverse("home"))
    assert response.status_code == 200
    response = client.post(reverse("monitoring:alert_transition", args=[alert.pk, "acknowledge"]), {"comment": "ok"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == "acknowledged"


def test_recommended_actions_go_through_the_owning_services(build, system, users):
    from creditportal.core.errors import NotAllowed

    customer = build.customer()
    facility = build.facility(customer, "10000")
    build.invoice(customer, "9500", days_past_due=100)
    services.alerts_evaluate(actor=system, customer_ids=[customer.pk])
    alert = Alert.objects.get(customer=customer, rule__code="overdue-90")
    # the analyst may handle alerts but not suspend a facility: credit's own check refuses
    with pytest.raises(NotAllowed):
        services.alert_start_action(actor=users["analyst"], alert=alert, action="suspend", comment="stop")
    facility.refresh_from_db()
    assert facility.status == "active"
    alert = services.alert_start_action(actor=users["approver1"], alert=alert, action="suspend", comment="stop")
    facility.refresh_from_db()
    assert facility.status == "suspended" and alert.status == "acknowledged" and str(facility.pk) in alert.action_taken
    other = Alert.objects.get(customer=customer, rule__code="utilisation-90")
    services.alert_start_action(actor=users["approver1"], alert=other, action="reduce_limit", new_limit="8000",
                                comment="cut")
    facility.refresh_from_db()
    assert facility.limit == D("8000")


def test_customer_page_alerts_tab(build, system, users, client_for, alert):
    response = client_for(users["rm"]).get(reverse("customers:customer_detail", args=[alert.customer_id]) + "?tab=alerts")
    assert response.status_code == 200
    assert alert.rule.name in response.content.decode()


def _alerts(build, system, n):
    customers = [build.customer() for _ in range(n)]
    for c in customers:
        build.invoice(c, "100", days_past_due=100)
    services.alerts_evaluate(actor=system, customer_ids=[c.pk for c in customers])


def test_alert_list_query_count_is_constant(build, system, users, client_for, api_for,
                                            django_assert_max_num_queries):
    _alerts(build, system, 2)
    client, api = client_for(users["analyst"]), api_for(users["analyst"])
    with django_assert_max_num_queries(20) as page_small:
        assert client.get(reverse("monitoring:alert_list")).status_code == 200
    with django_assert_max_num_queries(20) as api_small:
        assert api.get("/api/v1/alerts/").status_code == 200
    _alerts(build, system, 12)
    with django_assert_max_num_queries(len(page_small.captured_queries)):
        assert client.get(reverse("monitoring:alert_list")).status_code == 200
    with django_assert_max_num_queries(len(api_small.captured_queries)):
        assert api.get("/api/v1/alerts/").status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_acknowledging_at_once_give_one_transition(users):
    import threading

    from django.db import connection

    from accounts.system import system_user
    from creditportal.core import clock
    from creditportal.core.errors import Conflict
    from .conftest import Builder

    clock.set_today(TODAY)
    build = Builder(users)
    customer = build.customer()
    build.invoice(customer, days_past_due=40)
    services.alerts_evaluate(actor=system_user(), customer_ids=[customer.pk])
    alert = Alert.objects.get(customer=customer, rule__code="overdue-30")
    results, barrier = [], threading.Barrier(2)

    def act(user):
        try:
            barrier.wait()
            services.alert_acknowledge(actor=user, alert=alert, comment=user.username)
            results.append("ok")
        except Conflict:
            results.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(users[name],)) for name in ("analyst", "analyst2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict", "ok"]


def test_home_panels(build, system, users, client_for):
    from monitoring.home import home_panels

    customer = build.customer()
    build.invoice(customer, "100", days_past_due=100)
    services.alerts_evaluate(actor=system, customer_ids=[customer.pk])
    services.classification_run(actor=system, period=TODAY)
    row = AssetClassification.objects.get(customer=customer)
    services.classification_request(actor=users["analyst"], classification=row, tier="loss", reason="fraud")
    panels = {p["title"]: p for p in home_panels(users["approver1"])}
    awaiting = [p for p in panels.values() if p["count"] == 1 and "classification" in p["url"]]
    assert awaiting and awaiting[0]["items"][0]["url"].endswith(f"/{row.pk}/")
    from django.utils import translation

    with translation.override("en"):
        rm_panels = {str(p["title"]): p for p in home_panels(users["rm"])}
    assert rm_panels["My open alerts"]["count"] == 2  # the customer's two overdue alerts fall to its manager
    assert rm_panels["My book"]["count"] == 1  # and their book shows the customer
    assert home_panels(users["auditor"]) == []
    assert client_for(users["approver1"]).get(reverse("home")).status_code == 200
