"""Who reaches the reports: the role matrix over the reports' routes, scoping by portfolio, refusals."""
import pytest

from creditportal.core import access
from tests.security.test_role_matrix import WRITE_METHODS, _cases

REPORT_ROUTE_NAMES = ("reports:", "rating-report", "application-memo", "portfolio-report", "stored-report",
                      "report-batch")


def _report_cases():
    return [c for c in _cases() if c[0] and c[0].startswith(REPORT_ROUTE_NAMES)]


def test_reports_routes_are_covered():
    names = {c[0] for c in _report_cases()}
    assert {"reports:workspace", "reports:rating_report", "rating-report-report", "report-batch-for-period",
            "stored-report-download"} <= names


@pytest.mark.django_db
@pytest.mark.parametrize("role", [*access.ROLES, None], ids=[*access.ROLES, "anonymous"])
def test_reports_role_matrix(role, make_user, client):
    user = make_user("matrix-user", role) if role else None
    if user:
        client.force_login(user)
    wrong = []
    for name, url, method, needed in _report_cases():
        perms = needed if isinstance(needed, (list, tuple)) else [needed]
        allowed = bool(user) and all(user.has_perm(p) for p in perms)
        response = getattr(client, method)(url, **({"content_type": "application/json", "data": "{}"}
                                                      if method in WRITE_METHODS else {}))
        status = response.status_code
        refused = status in (401, 403) or (status == 302 and "/accounts/login/" in response.get("Location", ""))
        if status >= 500 or allowed == refused:
            wrong.append((name, method, url, status))
    assert wrong == []


def test_the_only_report_route_that_posts_is_asking_for_a_batch():
    """The auditor's workspace writes no business data: the one POST asks for a batch of documents."""
    assert {c[3] for c in _report_cases() if c[2] in WRITE_METHODS} == {"reports.request_report_batch"}


def test_collector_has_no_report_rights(make_user):
    collector = make_user("col", access.COLLECTOR)
    assert not collector.has_perm("reports.download_report")
    assert not collector.has_perm("reports.view_storedreport")


def test_report_urls_resolve_beside_the_owning_apps_routes():
    from django.urls import resolve

    assert resolve("/api/v1/ratings/5/report.pdf").url_name == "rating-report-report"
    assert resolve("/api/v1/applications/5/memo.pdf").url_name == "application-memo-memo"
    assert resolve("/api/v1/portfolio-reports/2026-09/report.pdf").url_name == "portfolio-report-report"
    assert resolve("/reports/ratings/5/report.pdf").url_name == "rating_report"
    assert resolve("/api/v1/ratings/5/").url_name != "rating-report-report"


@pytest.mark.django_db
def test_portfolio_reports_are_offered_only_to_who_can_download_them(users, client_for):
    """A collector was offered "Portfolio reports" in the menu and got a list of months without one link."""
    from django.urls import reverse

    from creditportal.core.navigation import menu_for

    url = reverse("reports:portfolio_list")

    def in_menu(user):
        return any(link == url for _group, items in menu_for(user) for _label, link in items)

    assert not in_menu(users["collector"])
    assert client_for(users["collector"]).get(url).status_code == 403
    for role in ("analyst", "auditor", "riskadmin"):
        assert in_menu(users[role])
        page = client_for(users[role]).get(url)
        assert page.status_code == 200
        assert reverse("reports:portfolio_report", args=[2026, 1]).split("2026")[0] in page.content.decode()
