"""Every URL pattern and API route, for every role and for an anonymous visitor: allowed or refused
according to the one role table (``creditportal.core.access.ROLE_PERMISSIONS``) and the permission each
view declares (``permission_required`` on pages, ``action_permissions`` on API viewsets).

A route whose view declares no permission must be listed in ``PUBLIC`` or ``SIGNED_IN``; a new view
that forgets to declare one therefore fails here. Object ids are ones that do not exist: the permission
gate must answer before the object is looked up (403), while an allowed role gets past it (404/400/200).
"""
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from creditportal.core import access

ROLES = access.ROLES
# Reachable without login.
PUBLIC = {"healthz", "set_language", "accounts:login", "api-token", "api-schema", "api-docs", "api-redoc",
          "api-root",
          "metrics"}  # no login, no role: a bearer token (METRICS_TOKEN), tests/ops/test_metrics.py
# Any signed-in user (own data only, enforced by querysets).
# The own language and profile are the user's preferences, not business data (an auditor may set them).
SIGNED_IN = {"home", "accounts:logout", "accounts:password_change", "accounts:password_done",
             "accounts:profile", "accounts:set_language",
             "accounts:notification_list", "accounts:notification_open", "notification-list",
             "notification-detail", "notification-read"}
SKIP_PREFIXES = ("admin:",)  # Django admin: staff only, its own checks
WRITE_METHODS = {"post", "put", "patch", "delete"}
# POSTs an auditor may make although they change no business data: asking for a batch of reports.
AUDITOR_REQUESTS = {"reports.request_report_batch"}
# Pages a reader (the auditor too) may post to although they change no business data: the dashboard's figures
# recomputed into the cache ("Refresh now": derived data, no row but the outbox's task); the whole audit trail's
# hash chain checked now (the auditor's own verification: its result kept, no business data).
AUDITOR_REQUEST_PAGES = {"monitoring:dashboard_refresh", "audit:chain_check"}


def _walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p, f"{namespace}{p.name}" if p.name else None


def _concrete(route: str) -> str:
    route = re.sub(r"\(\?P<format>[^)]*\)", "json", route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "987654", route)
    route = route.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\.", ".")
    route = re.sub(r"<(?:int:)?\w*pk>|<int:\w+>", "987654", route)
    route = re.sub(r"<(?:str:|slug:|path:)?\w+>", "987654", route)
    route = route.replace("/?", "/")
    return "/" + route.lstrip("/")


def _page_permission(view_class, initkwargs, url, method="get"):
    """What the page asks for at this URL and method (``get_permission_required`` may depend on both)."""
    from django.test import RequestFactory
    from django.urls import resolve

    view = view_class(**initkwargs)
    view.setup(RequestFactory().generic(method.upper(), url), **resolve(url).kwargs)
    needed = view.get_permission_required()
    if isinstance(needed, (set, frozenset)):
        return needed
    return list(needed) if len(needed) != 1 else needed[0]


def _cases():
    cases = []
    for route, pattern, name in _walk(get_resolver().url_patterns):
        if name and name.startswith(SKIP_PREFIXES) or route.startswith("admin/"):
            continue
        callback = pattern.callback
        view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        actions = getattr(callback, "actions", None)
        url = _concrete(route)
        if "format" in route and ".json" in url or "(?P<format>" in route:
            continue  # format-suffix duplicates of the same view
        if actions:  # a DRF viewset route
            for method, action in actions.items():
                needed = getattr(view_class, "action_permissions", {}).get(action, "MISSING")
                cases.append((name, url, method, needed))
        elif view_class is not None and hasattr(view_class, "permission_required"):
            for method in ("get", "post"):
                if hasattr(view_class, method):
                    needed = _page_permission(view_class, getattr(callback, "view_initkwargs", {}), url, method)
                    cases.append((name, url, method, needed))
        else:
            cases.append((name, url, "get", "PUBLIC" if name in PUBLIC else "SIGNED_IN" if name in SIGNED_IN
                          else getattr(view_class, "required_permission", "UNDECLARED")))
    return cases


def test_every_view_declares_its_permission(db):
    undeclared = [(name, url, method) for name, url, method, needed in _cases() if needed in ("MISSING", "UNDECLARED")]
    assert undeclared == []


@pytest.mark.django_db
@pytest.mark.parametrize("role", [*ROLES, None], ids=[*ROLES, "anonymous"])
def test_role_matrix(role, make_user, client):
    user = make_user("matrix-user", role) if role else None
    if user:
        client.force_login(user)
    wrong = []
    for name, url, method, needed in _cases():
        if needed in ("MISSING", "UNDECLARED"):
            continue
        if needed == "PUBLIC":
            continue
        if role is None:
            expected_allowed = False
        elif needed == "SIGNED_IN" or needed is None:
            expected_allowed = True
        elif isinstance(needed, (set, frozenset)):
            expected_allowed = any(user.has_perm(p) for p in needed)
        else:
            perms = needed if isinstance(needed, (list, tuple)) else [needed]
            expected_allowed = all(user.has_perm(p) for p in perms)
        response = getattr(client, method)(url, **({"content_type": "application/json", "data": "{}"}
                                                      if method in WRITE_METHODS else {}))
        status = response.status_code
        if status >= 500:
            wrong.append((name, method, url, status, "server error"))
            continue
        refused = status in (401, 403) or (status == 302 and "/accounts/login/" in response.get("Location", ""))
        if expected_allowed and refused:
            wrong.append((name, method, url, status, "refused but allowed by the table"))
        if not expected_allowed and not refused and status != 405:
            wrong.append((name, method, url, status, "allowed but refused by the table"))
    assert wrong == []


@pytest.mark.django_db
def test_auditor_reaches_zero_writes(make_user, client):
    auditor = make_user("audit-person", access.AUDITOR)
    client.force_login(auditor)
    reached = []
    for name, url, method, needed in _cases():
        if method not in WRITE_METHODS or needed in ("PUBLIC", "SIGNED_IN", None) or (isinstance(needed, str) and needed in AUDITOR_REQUESTS) or name in AUDITOR_REQUEST_PAGES:
            continue
        status = getattr(client, method)(url, content_type="application/json", data="{}").status_code
        if status not in (401, 403, 405):
            reached.append((name, method, url, status))
    assert reached == []
