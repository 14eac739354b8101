"""Pages and API of the expected credit loss: roles, four-eyes, the disclosure (page, XLSX, PDF in both
languages) and constant query counts on the lists."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from provisions import services
from provisions.models import EclRun, RunState, ScenarioSet
from tests.exports import rows_of

from .conftest import PUBLISHED_OVERRIDE

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client_for, api_for):
    """Clients that ask for English (the messages checked below are the English ones)."""

    def page(user):
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    def api(user):
        client = api_for(user)
        client.credentials(HTTP_ACCEPT_LANGUAGE="en")
        return client

    return page, api

PAGES = ["provisions:run_list", "provisions:snapshot_list", "provisions:scenario_list", "provisions:assessment_list",
         "provisions:run_propose"]


@pytest.mark.parametrize("role", ["rm", "collector"])
def test_refused_roles_on_pages_and_api(client_for, api_for, users, role, published):
    run = services.ecl_run_propose(actor=users["riskadmin"], period=published, lookback=1)
    client = client_for(users[role])
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 403, name
    assert client.get(reverse("provisions:run_detail", args=[run.pk])).status_code == 403
    assert client.get(reverse("provisions:disclosure_xlsx", args=[run.pk])).status_code == 403
    api = api_for(users[role])
    for url in ["/api/v1/ecl-runs/", "/api/v1/aging-snapshots/", "/api/v1/ecl-scenarios/",
                "/api/v1/impaired-assessments/", f"/api/v1/ecl-runs/{run.pk}/disclosure/"]:
        assert api.get(url).status_code == 403, url
    assert api.post("/api/v1/ecl-runs/", {"period": "2026-05-31"}, format="json").status_code == 403


def test_auditor_reads_but_writes_nothing(client_for, api_for, users, published):
    run = services.ecl_run_propose(actor=users["riskadmin"], period=published, lookback=1)
    client = client_for(users["auditor"])
    for name in ["provisions:run_list", "provisions:snapshot_list", "provisions:scenario_list",
                 "provisions:assessment_list"]:
        assert client.get(reverse(name)).status_code == 200, name
    assert client.get(reverse("provisions:run_propose")).status_code == 403
    assert client.post(reverse("provisions:run_approve", args=[run.pk])).status_code == 403
    api = api_for(users["auditor"])
    assert api.get(f"/api/v1/ecl-runs/{run.pk}/").status_code == 200
    assert api.post(f"/api/v1/ecl-runs/{run.pk}/approve/", {}, format="json").status_code == 403
    assert api.post("/api/v1/aging-snapshots/", {"period": "2026-03-31"}, format="json").status_code == 403
    run.refresh_from_db()
    assert run.state == RunState.PROPOSED


def test_api_propose_approve_lock_and_second_person(english, users, published):
    api_for = english[1]
    admin = api_for(users["riskadmin"])
    response = admin.post("/api/v1/ecl-runs/", {"period": "2026-05-31", "lookback": 1,
                                                "override": PUBLISHED_OVERRIDE, "override_reason": "published"},
                          format="json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert D(response.json()["total_allowance"]) == D("580000.00")
    assert admin.post(f"/api/v1/ecl-runs/{pk}/approve/", {}, format="json").status_code == 403
    second = api_for(users["riskadmin2"])
    assert second.post(f"/api/v1/ecl-runs/{pk}/approve/", {"note": "checked"}, format="json").status_code == 200
    assert second.post(f"/api/v1/ecl-runs/{pk}/lock/", {}, format="json").status_code == 200
    again = admin.post("/api/v1/ecl-runs/", {"period": "2026-05-31", "lookback": 1}, format="json")
    assert again.status_code == 409 and "locked" in again.json()["detail"]
    bad = admin.post("/api/v1/ecl-runs/", {"period": "2026-05-31", "lookback": 24, "corrects": pk,
                                           "correction_reason": "x"}, format="json")
    assert bad.status_code == 400 and "longer than the history" in bad.json()["detail"]
    disclosure = api_for(users["auditor"]).get(f"/api/v1/ecl-runs/{pk}/disclosure/").json()
    assert [row["allowance"] for row in disclosure["rows"]][:5] == ["45000.00", "120000.00", "144000.00",
                                                                   "165000.00", "106000.00"]
    assert disclosure["total"]["allowance"] == "580000.00"
    lines = api_for(users["auditor"]).get(f"/api/v1/ecl-runs/{pk}/lines/").json()
    assert lines["count"] == 5
    assert EclRun.objects.get(pk=pk).state == RunState.LOCKED


def test_api_scenarios_and_assessments(english, users, published, build):
    api_for = english[1]
    admin = api_for(users["riskadmin"])
    bad = admin.post("/api/v1/ecl-scenarios/", {"name": "x", "reason": "r", "scenarios": [
        {"name": "base", "weight": "70", "factor": "1"}, {"name": "down", "weight": "20", "factor": "1.5"}]},
        format="json")
    assert bad.status_code == 400 and "100%" in bad.json()["detail"]
    negative = admin.post("/api/v1/ecl-scenarios/", {"name": "x", "reason": "r", "scenarios": [
        {"name": "base", "weight": "100", "factor": "-1"}]}, format="json")
    assert negative.status_code == 400
    assert not ScenarioSet.objects.exists()
    ok = admin.post("/api/v1/ecl-scenarios/", {"name": "x", "reason": "r", "scenarios": [
        {"name": "base", "weight": "70", "factor": "1"}, {"name": "down", "weight": "30", "factor": "1.5"}]},
        format="json")
    assert ok.status_code == 202 and ok.json()["state"] == "proposed"  # the one proposals shape
    pk = ok.json()["id"]
    assert admin.post(f"/api/v1/ecl-scenario-changes/{pk}/approve/").status_code == 403
    assert api_for(users["riskadmin2"]).post(f"/api/v1/ecl-scenario-changes/{pk}/approve/").status_code == 200
    customer = build.customer()
    response = admin.post("/api/v1/impaired-assessments/", {
        "customer": customer.pk, "period": "2026-05-31", "reason": "insolvency", "guarantees": "100"}, format="json")
    assert response.status_code == 201, response.content
    missing = admin.post("/api/v1/impaired-assessments/", {
        "customer": customer.pk, "period": "2026-02-28", "reason": "insolvency"}, format="json")
    assert missing.status_code == 400 and "no aging snapshot" in missing.json()["detail"]


def test_run_pages_four_eyes_and_disclosure_files(client_for, users, published):
    admin = client_for(users["riskadmin"])
    form = {"period": "2026-05-31", "lookback": 1, "averaging": "simple", "segment_by": "book", "min_history": 0,
            **{f"override_{k}": v for k, v in PUBLISHED_OVERRIDE.items()}, "override_reason": "published example"}
    response = admin.post(reverse("provisions:run_propose"), form)
    assert response.status_code == 302, response.content
    run = EclRun.objects.get()
    page = admin.get(reverse("provisions:run_detail", args=[run.pk]))
    assert page.status_code == 200
    assert "580,000.00" in page.content.decode() and "disclosure-movement" in page.content.decode()
    admin.post(reverse("provisions:run_approve", args=[run.pk]))
    run.refresh_from_db()
    assert run.state == RunState.PROPOSED  # the proposer cannot approve
    approver = client_for(users["approver1"])
    approver.post(reverse("provisions:run_approve", args=[run.pk]))
    run.refresh_from_db()
    assert run.state == RunState.APPROVED
    auditor = client_for(users["auditor"])
    rows = rows_of(auditor.get(reverse("provisions:disclosure_xlsx", args=[run.pk]), {"lang": "en"}), "xlsx")
    assert rows[0][:4] == ["Aging bucket", "Gross carrying amount", "Expected loss rate", "Loss allowance"]
    assert [r[3] for r in rows[1:6]] == [45000, 120000, 144000, 165000, 106000]
    total = next(r for r in rows if r[0] == "Total")
    assert total[3] == 580000
    zh = rows_of(auditor.get(reverse("provisions:disclosure_xlsx", args=[run.pk]), {"lang": "zh-hans"}), "xlsx")
    assert zh[0][0] == "账龄区间"
    for lang in ("en", "zh-hans"):
        pdf = auditor.get(reverse("provisions:disclosure_pdf", args=[run.pk]), {"lang": lang})
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_pages_for_the_risk_admin(english, users, published):
    client_for = english[0]
    admin = client_for(users["riskadmin"])
    response = admin.post(reverse("provisions:scenario_list"), {
        "name": "bad", "reason": "r", "name_0": "base", "weight_0": "50", "factor_0": "1",
        "name_1": "down", "weight_1": "20", "factor_1": "1.2", "name_2": "", "weight_2": "", "factor_2": ""})
    assert response.status_code == 200 and not ScenarioSet.objects.exists()
    assert "100%" in response.content.decode()
    response = admin.post(reverse("provisions:snapshot_list"), {"period": "2026-03-31"})
    assert response.status_code == 302
    response = admin.post(reverse("provisions:run_propose"), {
        "period": "2026-05-31", "lookback": 24, "averaging": "simple", "segment_by": "book", "min_history": 12})
    assert response.status_code == 200 and "longer than the history" in response.content.decode()
    assert not EclRun.objects.exists()


def test_list_pages_constant_queries(client_for, users, published, django_assert_max_num_queries):
    for _ in range(2):
        run = services.ecl_run_propose(actor=users["riskadmin"], period=published, lookback=1)
        services.ecl_run_reject(actor=users["approver1"], run=run, note="again")
    client = client_for(users["auditor"])
    counts = {}
    for name in ["provisions:run_list", "provisions:snapshot_list", "provisions:scenario_list",
                 "provisions:assessment_list"]:
        client.get(reverse(name))
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as first:
            client.get(reverse(name))
        counts[name] = len(first)
    for _ in range(3):
        run = services.ecl_run_propose(actor=users["riskadmin2"], period=published, lookback=1)
        services.ecl_run_reject(actor=users["approver2"], run=run, note="again")
    services.snapshot_take(actor=users["riskadmin"], period=dt.date(2026, 3, 31))
    for name, count in counts.items():
        with django_assert_max_num_queries(count):
            client.get(reverse(name))


def test_disclosure_pdf_with_hostile_text_fetches_nothing(client_for, users, published, build):
    """The disclosure shows no free text of users; hostile reasons on the run still reach no PDF as markup."""
    from tests.pdf_safety import HOSTILE, assert_safe, watching_pdfs

    run = services.ecl_run_propose(actor=users["riskadmin"], period=published, lookback=1,
                                   override={"current": "0.01"}, override_reason=HOSTILE)
    client = client_for(users["auditor"])
    for lang in ("en", "zh-hans"):
        with watching_pdfs() as seen:
            response = client.get(reverse("provisions:disclosure_pdf", args=[run.pk]), {"lang": lang})
        assert response.status_code == 200
        assert_safe(response.content, seen, name_shown=False)
    page = client.get(reverse("provisions:run_detail", args=[run.pk])).content.decode()
    assert "&lt;/style&gt;&lt;link rel=attachment" in page and "<link rel=attachment" not in page
