"""Filter fuzz: hostile query values on every list, API and pages alike, never answer 5xx.

Every API list route (the schema's GET operations without a path parameter, each with the query parameters
the schema declares) and every page without a path parameter gets the values below: letters where a number
or date is expected, a NUL byte, dates at the ends of the calendar, a negative number, an integer wider than
PostgreSQL's bigint, fullwidth digits. Each parameter alone on the API (a 400 names it), all of them at once
plus each of the page's FilterSet fields alone on the pages (a page shows the error). The portfolio report
takes its month in the path: those months are tried as well. The demo portfolio is loaded so that the
filters meet rows.
"""
import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

HOSTILE = ["abc", "\x00", "a\x00b", "0001-01-01", "9999-12-31", "-1", "99999999999999999999999", "１２３",
           "２０２６-０１-０１", "0001-01"]
# query names the pages read by hand, besides their FilterSet's fields
PAGE_NAMES = ["customer", "period", "start", "end", "status", "q", "search", "sort", "ordering", "page", "page_size",
              "tier", "severity", "rule", "age", "grade", "industry", "group", "bucket", "all", "mine", "manual",
              "kind", "state", "user", "model", "tab", "as_of", "open", "manager", "collector", "lang", "month",
              "year", "period_start", "period_end", "date", "from", "to", "currency", "rating_model",
              "credit_policy", "outcome_import", "partial"]
ROLES = ["auditor", "riskadmin", "rm"]  # every reader of everything, the configuration, one portfolio
MONTHS = ["0001-01", "9999-12", "2026-13", "2026-00", "0000-01"]


@pytest.fixture
def demo(settings, tmp_path):
    from django.contrib.auth import get_user_model

    settings.MEDIA_ROOT = str(tmp_path)
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    call_command("load_demo", "--small", stdout=io.StringIO())
    return {u.username: u for u in get_user_model().objects.filter(username__in=ROLES)}


def _api_lists():
    """(path, [query parameter names]) of every API GET without a path parameter."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in sorted(schema["paths"].items()):
        get = item.get("get")
        if not get or "{" in path or not path.startswith("/api/v1/"):
            continue
        names = [p["name"] for p in get.get("parameters", []) if p.get("in") == "query"]
        yield path, names


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def _pages():
    """(url, view class) of every page without a path parameter (the API, admin and schema left out)."""
    for route, pattern in _walk(get_resolver().url_patterns):
        if route.startswith(("api", "admin", "^api")) or "<" in route or "(?P" in route:
            continue
        view_class = getattr(pattern.callback, "view_class", None)
        if view_class is None or not hasattr(view_class, "get"):
            continue
        url = "/" + route.replace("^", "").replace("$", "").replace("\\Z", "")
        if re.search(r"logout|set_language|i18n|healthz|export\.|template\.|\.pdf|\.csv|\.xlsx", url):
            continue
        yield url, view_class


def _get(client, url, params, failures, **headers):
    try:
        response = client.get(url, params, **headers)
    except Exception as exc:  # noqa: BLE001 - a server error raised through the test client
        failures.append(f"{url} {params!r}: {type(exc).__name__}: {str(exc)[:200]}")
        return None
    if response.status_code >= 500:
        failures.append(f"{url} {params!r}: {response.status_code}")
    return response


def test_api_lists_never_answer_5xx_and_name_the_bad_parameter(demo):
    failures, tried = [], 0
    for role in ("auditor", "rm"):
        client = APIClient()
        client.force_authenticate(demo[role])
        for path, names in _api_lists():
            for name in names:
                for value in HOSTILE:
                    tried += 1
                    response = _get(client, path, {name: value}, failures, HTTP_ACCEPT_LANGUAGE="en")
                    if response is not None and response.status_code == 400 and name not in ("format",):
                        body = response.json()
                        if name not in (body.get("errors") or {}) and name not in body.get("detail", ""):
                            failures.append(f"{path} {name}={value!r}: 400 without naming {name}: {body}")
    assert tried > 500
    assert failures == [], "\n".join(failures)


def test_api_portfolio_report_months(demo):
    failures = []
    client = APIClient()
    client.force_authenticate(demo["auditor"])
    for month in MONTHS:
        response = _get(client, f"/api/v1/portfolio-reports/{month}/report.pdf", {}, failures)
        assert response is None or response.status_code in (400, 404), (month, response.status_code)
    assert failures == [], "\n".join(failures)


def test_pages_never_answer_5xx(demo):
    failures, tried = [], 0
    pages = list(_pages())
    assert len(pages) > 40
    for role in ROLES:
        client = Client(raise_request_exception=True)
        client.force_login(demo[role])
        for url, view_class in pages:
            filterset = getattr(view_class, "filterset_class", None)
            names = list(getattr(filterset, "base_filters", {}) or {})
            for value in HOSTILE:
                tried += 1
                _get(client, url, {name: value for name in PAGE_NAMES + names}, failures, HTTP_ACCEPT_LANGUAGE="en")
            if role == "auditor":  # each FilterSet field alone (the auditor reads every list)
                for name in names:
                    for value in HOSTILE:
                        tried += 1
                        _get(client, url, {name: value}, failures, HTTP_ACCEPT_LANGUAGE="en")
    for month in MONTHS:
        year, mon = month.split("-")
        _get(client, f"/reports/portfolio/{int(year)}-{int(mon)}.pdf", {}, failures)
    assert tried > 500
    assert failures == [], "\n".join(failures)
