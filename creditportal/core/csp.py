"""Content-Security-Policy on every response (Django 5.2 has none built in).

The portal's pages need no inline script or style: scripts and styles come from the portal's own static
files (``'self'``), data for charts travels in ``json_script`` blocks (``type="application/json"``, not run),
and behaviour is wired by static scripts (``creditportal/portal.js``). An injected ``<script>``, ``on*=``
attribute, ``style`` attribute, form target elsewhere, ``<base>``, plugin or frame is refused by the browser.

``settings.CONTENT_SECURITY_POLICY`` is the policy (directive → sources). A view whose third-party page
cannot live with it (the API documentation's Swagger UI and Redoc) is wrapped in ``csp_override``.
"""
from __future__ import annotations

import functools

from django.conf import settings

HEADER = "Content-Security-Policy"

DEFAULT_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],  # Bootstrap's icons are data: SVGs in its stylesheet
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def render(policy: dict) -> str:
    return "; ".join(f"{name} {' '.join(sources)}".strip() for name, sources in policy.items())


def policy() -> dict:
    return getattr(settings, "CONTENT_SECURITY_POLICY", None) or DEFAULT_POLICY


def csp_override(view=None, **directives):
    """``csp_override(view, script_src=[...])``: the portal's policy with these directives replaced."""
    def wrap(view_function):
        @functools.wraps(view_function)
        def wrapped(request, *args, **kwargs):
            response = view_function(request, *args, **kwargs)
            merged = {**policy(), **{name.replace("_", "-"): sources for name, sources in directives.items()}}
            response[HEADER] = render(merged)
            return response
        return wrapped
    return wrap(view) if view is not None else wrap


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.header = render(policy())

    def __call__(self, request):
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = self.header
        return response
