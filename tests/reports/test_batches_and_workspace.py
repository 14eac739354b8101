from urllib.parse import parse_qsl
"""Batches (one PDF per rating of the period, idempotent, audited) and the auditor's read-only workspace."""
import datetime as dt
import io
import re
import zipfile

import pytest

from audit.models import AuditEvent
from reports import services
from reports.models import ReportBatch, StoredReport


@pytest.mark.django_db
def test_batch_zip_has_one_pdf_per_rating_of_the_period(make_customer, approve_rating, users, client_for,
                                                        api_for, media, settings,
                                                        django_capture_on_commit_callbacks):
    settings.REPORTS_PREGENERATE = False
    in_q3 = [approve_rating(make_customer(f"客户{i}号有限公司", name_en=f"Customer {i}"), on=day)
             for i, day in enumerate([dt.date(2026, 7, 20), dt.date(2026, 9, 30)])]
    approve_rating(make_customer("第四季度客户", name_en="Q4 customer"), on=dt.date(2026, 10, 2))

    client = client_for(users["auditor"])
    query = "kind=rating_reports&period_start=2026-07-01&period_end=2026-09-30&language=en"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/reports/batches/request", dict(parse_qsl(query)))
    assert response.status_code == 302
    batch = ReportBatch.objects.get()
    assert batch.status == ReportBatch.Status.DONE and (batch.total, batch.completed) == (2, 2)

    page = client.get(f"/reports/batches/{batch.pk}/")
    assert page.status_code == 200 and b"100%" in page.content and b"hx-trigger" not in page.content
    download = client.get(f"/reports/batches/{batch.pk}/download")
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(content))
    pdfs = [n for n in archive.namelist() if n.endswith(".pdf")]
    assert len(pdfs) == 2
    assert {n.split("-en")[0] for n in pdfs} == {f"RR-2026-{r.pk:06d}" for r in in_q3}
    assert all(archive.read(n).startswith(b"%PDF") for n in pdfs)
    assert "manifest.csv" in archive.namelist()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD, object_type="reports.reportbatch",
                                     actor_username="auditor").count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.RUN, verb="build_batch").count() == 1

    # Asking again gives the same batch; building again changes nothing; a rebuild gives the same ZIP.
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/reports/batches/request", dict(parse_qsl(query))).url.endswith(f"/reports/batches/{batch.pk}/")
    api = api_for(users["auditor"])
    assert api.post("/api/v1/report-batches/for-period/", dict(parse_qsl(query)), format="json").json()["id"] == batch.pk
    assert ReportBatch.objects.count() == 1
    services.report_batch_build(batch_id=batch.pk)
    first_sha = batch.sha256
    ReportBatch.objects.filter(pk=batch.pk).update(status=ReportBatch.Status.FAILED)
    services.report_batch_build(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == ReportBatch.Status.DONE and batch.sha256 == first_sha
    assert StoredReport.objects.count() == 2  # the PDFs were generated once

    # Others may not ask or download
    assert client_for(users["rm"]).post("/reports/batches/request", dict(parse_qsl(query))).status_code == 403
    assert api_for(users["analyst"]).get(f"/api/v1/report-batches/{batch.pk}/download/").status_code == 403


def test_batch_request_validates(users, today):
    from creditportal.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        services.report_batch_request(actor=users["auditor"], period_start=dt.date(2026, 9, 30),
                                      period_end=dt.date(2026, 7, 1))


POST_FORM = re.compile(r'<form[^>]*method="post"[^>]*>', re.I)


@pytest.mark.django_db
def test_auditor_workspace_shows_no_write_actions(make_customer, users, client_for, today):
    from ratings.models import Rating, RatingModel

    customer = make_customer()
    Rating.objects.create(
        customer=customer, model=RatingModel.objects.first(), state="approved", model_definition={}, inputs={},
        inputs_sha256="0" * 64, quantitative_sha256="0" * 64, result={}, score="50", model_grade="BB",
        grade="BB", letter="B", pd="0.02", created_by=users["analyst"], approved_by=users["analyst2"],
        approved_on=dt.date(2026, 8, 1), approved_at=dt.datetime(2026, 8, 1, 3, tzinfo=dt.timezone.utc))
    client = client_for(users["auditor"])
    pages = ["/reports/", "/reports/?what=ratings&outcome=grade:BB&customer=华夏", "/reports/?what=applications",
             f"/reports/?what=decisions&user={users['approver1'].pk}", "/reports/stored/", "/reports/portfolio/",
             "/reports/batches/", "/audit/", "/"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        forms = POST_FORM.findall(html)
        # only the language switch, the log-out button, asking for a batch of reports and the list's own settings
        # (saved filters, columns: the user's preferences, no business data) post anything
        assert all("set_language" in f or "/i18n/" in f or "/accounts/language/" in f or "logout" in f or "/reports/batches/request" in f
                   or "data-list-settings" in f for f in forms), (url, forms)
        for word in ("/approve", "/edit", "/delete", "/new", "/submit", "/override"):
            assert f'{word}"' not in html and f"{word}/" not in html, (url, word)
    listing = client.get("/reports/?what=ratings&outcome=grade:BB").content.decode()
    assert "华夏精密制造有限公司" in listing and "report.pdf?lang=en" in listing and "report.pdf?lang=zh-hans" in listing


@pytest.mark.django_db
def test_workspace_queries_do_not_grow_with_rows(make_customer, users, client_for, today,
                                                 django_assert_max_num_queries):
    from ratings.models import Rating, RatingModel

    model = RatingModel.objects.first()
    for i in range(6):
        Rating.objects.create(
            customer=make_customer(f"客户{i}"), model=model, state="approved", model_definition={}, inputs={},
            inputs_sha256="0" * 64, quantitative_sha256="0" * 64, result={}, score="50", model_grade="BB",
            grade="BB", letter="B", pd="0.02", created_by=users["analyst"], approved_by=users["analyst2"],
            approved_on=dt.date(2026, 8, 1))
    client = client_for(users["auditor"])
    client.get("/reports/")  # warm caches (menu, permissions)
    with django_assert_max_num_queries(14):
        response = client.get("/reports/?what=ratings")
    assert response.content.decode().count("report.pdf?lang=en") == 6
