"""Pages, API and the PDF of model validation, for the roles that may and may not use them."""
import datetime as dt
import io

import pytest

from audit.models import AuditEvent
from validation import services
from validation.models import Simulation, ValidationRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished_run(users, today, active_model, make_customer, make_rating):
    for i, (score, grade) in enumerate([(75, "A"), (55, "BB"), (5, "D"), (85, "AA")]):
        make_rating(make_customer(), dt.date(2024, 3, 1 + i), score, grade, state="approved",
                    points={"current_ratio": score})
    run = services.validation_run_start(actor=users["riskadmin"], model=active_model, period_start="2024-01-01",
                                        period_end="2024-12-31", in_worker=False)
    return services.validation_run_execute(run_id=run.pk)


@pytest.fixture
def draft_model(users, active_model):
    from ratings import services as rating_services

    return rating_services.model_new_version(actor=users["riskadmin"], model=active_model)


def test_risk_admin_starts_a_run_from_the_page(users, today, active_model, client_for,
                                               django_capture_on_commit_callbacks):
    client = client_for(users["riskadmin"])
    assert client.get("/validation/runs/new/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/validation/runs/new/", {"model": active_model.pk, "source": "portal",
                                                         "period_start": "2024-01-01", "period_end": "2024-12-31"})
    run = ValidationRun.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/validation/runs/{run.pk}/")
    run.refresh_from_db()
    assert run.status == "finished"
    assert client.get(f"/validation/runs/{run.pk}/").status_code == 200


def test_auditor_reads_the_report_and_pdf_but_cannot_run(users, finished_run, client_for, active_model,
                                                         django_assert_max_num_queries):
    client = client_for(users["auditor"])
    with django_assert_max_num_queries(15):
        assert client.get("/validation/").status_code == 200
    page = client.get(f"/validation/runs/{finished_run.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert b"Calibration per grade" in page.content or "Calibration per grade" in page.content.decode()
    pdf = client.get(f"/validation/runs/{finished_run.pk}/report.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content[:4] == b"%PDF"
    assert AuditEvent.objects.filter(action="download", object_id=str(finished_run.pk),
                                     verb="validation_report_pdf").exists()
    # cannot run anything
    assert client.get("/validation/runs/new/").status_code == 403
    assert client.post("/validation/runs/new/", {"model": active_model.pk}).status_code == 403
    assert client.post("/validation/simulations/new/", {}).status_code == 403
    assert client.post("/validation/outcomes/import/", {}).status_code == 403
    api = client_for(users["auditor"])
    assert api.post("/api/v1/validation-runs/", {"model": active_model.pk, "period_start": "2024-01-01",
                                                 "period_end": "2024-12-31"}).status_code == 403
    assert ValidationRun.objects.count() == 1


def test_pdf_in_chinese_renders_text(users, finished_run):
    from pypdf import PdfReader

    from validation.report_pdf import validation_report_pdf

    data = validation_report_pdf(finished_run, language="zh-hans")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "AUC" in text and str(finished_run.pk) in text
    assert "模型验证报告" in text and "按等级校准" in text          # Chinese renders (CJK font embedded)


def test_relationship_manager_is_refused(users, finished_run, client_for, api_for):
    client = client_for(users["rm"])
    for url in ("/validation/", f"/validation/runs/{finished_run.pk}/", f"/validation/runs/{finished_run.pk}/report.pdf",
                "/validation/simulations/new/"):
        assert client.get(url).status_code == 403, url
    api = api_for(users["rm"])
    assert api.get("/api/v1/validation-runs/").status_code == 403
    assert api.get(f"/api/v1/validation-runs/{finished_run.pk}/").status_code == 403
    assert api.get("/api/v1/simulations/").status_code == 403


def test_api_lists_runs_and_downloads_the_report(users, finished_run, api_for):
    api = api_for(users["analyst"])
    listing = api.get("/api/v1/validation-runs/")
    assert listing.status_code == 200
    row = listing.json()["results"][0]
    assert row["id"] == finished_run.pk and "results" not in row and abs(row["auc"] - finished_run.auc) < 1e-12
    detail = api.get(f"/api/v1/validation-runs/{finished_run.pk}/").json()
    assert detail["results"]["count"] == 4
    pdf = api.get(f"/api/v1/validation-runs/{finished_run.pk}/report.pdf/")
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"
    assert api.get(f"/api/v1/validation-runs/{finished_run.pk}/report.pdf").status_code == 301   # to the above


def test_api_simulation_and_activation(users, today, draft_model, api_for, django_capture_on_commit_callbacks):
    api = api_for(users["riskadmin"])
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/api/v1/simulations/", {"rating_model": draft_model.pk}, format="json")
    assert created.status_code == 201, created.content
    sim_id = created.json()["id"]
    body = api.get(f"/api/v1/simulations/{sim_id}/").json()
    assert body["status"] == "finished" and body["percent"] == 100 and "matrix" in body["results"]
    # the maker's side cannot activate; an approver can (four-eyes in ratings.services)
    assert api.post(f"/api/v1/simulations/{sim_id}/activate-model/").status_code == 403
    assert api_for(users["approver1"]).post(f"/api/v1/simulations/{sim_id}/activate-policy/").status_code == 400
    response = api_for(users["approver1"]).post(f"/api/v1/simulations/{sim_id}/activate-model/")
    assert response.status_code == 200
    draft_model.refresh_from_db()
    assert draft_model.state == "active"
    # bad input: neither a model nor a policy
    assert api.post("/api/v1/simulations/", {}, format="json").status_code == 400


def test_simulation_pages_progress_and_activation(users, today, draft_model, client_for,
                                                  django_capture_on_commit_callbacks):
    client = client_for(users["riskadmin"])
    assert client.get(f"/validation/simulations/new/?rating_model={draft_model.pk}").status_code == 200
    sim = services.simulation_start(actor=users["riskadmin"], rating_model=draft_model, in_worker=False)
    page = client.get(f"/validation/simulations/{sim.pk}/")
    assert page.status_code == 200 and b"hx-trigger" in page.content          # polling while queued
    services.simulation_execute(simulation_id=sim.pk)
    progress = client.get(f"/validation/simulations/{sim.pk}/progress/", HTTP_HX_REQUEST="true")
    assert progress.status_code == 200 and progress["HX-Refresh"] == "true" and b"100%" in progress.content
    approver = client_for(users["approver2"])
    page = approver.get(f"/validation/simulations/{sim.pk}/")
    assert f"/validation/simulations/{sim.pk}/activate-model/".encode() in page.content
    approver.post(f"/validation/simulations/{sim.pk}/activate-model/")
    draft_model.refresh_from_db()
    assert draft_model.state == "active"
    assert Simulation.objects.count() == 1


def test_import_page_lists_every_bad_row(users, today, client_for):
    client = client_for(users["riskadmin"])
    bad = io.BytesIO(b"customer,external_id,rating_date,score,grade,inputs,outcome\n,X,2024-13-01,1,,,0\n,Y,2024-01-01,,,,2\n")
    bad.name = "bad.csv"
    response = client.post("/validation/outcomes/import/", {"file": bad})
    assert response.status_code == 200
    text = response.content.decode()
    assert "line 2" in text or "2" in text
    from validation.models import OutcomeImport

    assert not OutcomeImport.objects.exists()


def test_default_definition_page(users, today, client_for):
    client = client_for(users["riskadmin"])
    assert client.get("/validation/default-definition/").status_code == 200
    response = client.post("/validation/default-definition/", {"default_grades": "C, D", "days_past_due": "60",
                                                               "horizon_months": "12"})
    assert response.status_code == 302
    from validation.models import DefaultDefinition

    assert DefaultDefinition.current().as_dict() == {"default_grades": ["C", "D"], "days_past_due": 60,
                                                     "horizon_months": 12}
    assert client_for(users["auditor"]).get("/validation/default-definition/").status_code == 403


def test_pages_render_in_chinese(users, finished_run, today, draft_model, client_for):
    sim = services.simulation_start(actor=users["riskadmin"], rating_model=draft_model, in_worker=False)
    services.simulation_execute(simulation_id=sim.pk)
    client = client_for(users["approver1"])
    client.cookies["django_language"] = "zh-hans"
    page = client.get(f"/validation/runs/{finished_run.pk}/").content.decode()
    assert "按等级校准" in page and "评级迁移" in page
    page = client.get(f"/validation/simulations/{sim.pk}/").content.decode()
    assert "相对当前启用版本的等级变动" in page and "启用此版本" in page
    assert "模型验证" in client.get("/validation/").content.decode()


def test_a_run_with_open_outcome_windows_says_its_figures_are_provisional(users, finished_run, client_for):
    """Ratings of 2024 with a 12-month horizon: windows still open at the business date are counted as no
    default so far; the page and the PDF must say that the figures are provisional, and how many."""
    from validation.models import ValidationRun

    run = ValidationRun.objects.get(pk=finished_run.pk)
    results = dict(run.results)
    results["incomplete_windows"] = 3
    ValidationRun.objects.filter(pk=run.pk).update(results=results)
    page = client_for(users["auditor"]).get(f"/validation/runs/{run.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="incomplete-windows"' in page and "3 of the 4 ratings have an outcome window" in page
    results["incomplete_windows"] = 0
    ValidationRun.objects.filter(pk=run.pk).update(results=results)
    page = client_for(users["auditor"]).get(f"/validation/runs/{run.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="incomplete-windows"' not in page


def test_validation_report_with_a_hostile_model_name_embeds_nothing(users, today, active_model, make_customer,
                                                                     make_rating):
    """Security issue, finding 1: the model's name is a risk administrator's text."""
    from tests.pdf_safety import HOSTILE, assert_safe, watching_pdfs
    from validation.report_pdf import validation_report_pdf

    type(active_model).objects.filter(pk=active_model.pk).update(name=HOSTILE[:110])
    active_model.refresh_from_db()
    for i, (score, grade) in enumerate([(75, "A"), (5, "D")]):
        make_rating(make_customer(), dt.date(2024, 3, 1 + i), score, grade, state="approved",
                    points={"current_ratio": score})
    run = services.validation_run_start(actor=users["riskadmin"], model=active_model, period_start="2024-01-01",
                                        period_end="2024-12-31", in_worker=False)
    run = services.validation_run_execute(run_id=run.pk)
    with watching_pdfs() as seen:
        data = validation_report_pdf(run, language="en")
    assert_safe(data, seen)
