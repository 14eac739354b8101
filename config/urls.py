import re

from django.contrib import admin
from django.urls import Resolver404, URLResolver, include, path
from django.urls.resolvers import RoutePattern
from django.utils.functional import cached_property
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from accounts.api import TokenView
from creditportal.core.csp import csp_override
from creditportal.core.discovery import app_modules

from . import metrics, views

# Each app registers its API routes in ``<app>/api.py``'s ``register(router)``.
router = DefaultRouter()
for _app, module in app_modules("api"):
    module.register(router)

def grouped_by_prefix(patterns, prefixes):
    """The router's routes (~300 regexes, tried one after the other) grouped under one regex per registered
    prefix and the character after it (``^invoices/`` → the list and detail routes without it,
    ``^invoices\\.`` → their format-suffix twins), keeping the order: a request is matched against ~90
    groups first and then the few routes of its own, instead of every route registered before it.

    Only routes of one registration (consecutive routes of one viewset) share a group, and a path cannot
    match both a ``prefix/`` and a ``prefix.`` route, so the same route answers each URL as before; a group
    that matches but none of its routes falls through to the next, as a single route does. Names,
    reversing and the schema's paths are unchanged."""
    from django.urls import re_path

    # plain prefixes only ("ratings/(?P<rating_pk>…)/report" is a regex: such routes are grouped under the
    # plain part, or stay as they are); the longest first, so "customer-groups" is not taken for "customer"
    ordered = sorted((p for p in prefixes if re.fullmatch(r"[\w/-]+", p)), key=len, reverse=True)
    groups, block, owner = [], {}, object()
    for pattern in patterns:
        regex = str(pattern.pattern)
        viewset = getattr(pattern.callback, "cls", None)
        if viewset is not owner:
            block, owner = {}, viewset  # a new registration: groups are not shared across registrations
        key = None
        for prefix in ordered:
            rest = regex[len(prefix) + 1:]
            if regex.startswith(f"^{prefix}") and (rest.startswith("/") or rest.startswith("\\.")):
                key = f"^{prefix}/" if rest.startswith("/") else f"^{prefix}\\."
                rest = rest[1:] if rest.startswith("/") else rest[2:]
                break
        if key is None or viewset is None:
            groups.append((None, pattern))
            continue
        route = re_path(f"^{rest}", pattern.callback, pattern.default_args, name=pattern.name)
        if key in block:
            block[key].append(route)
        else:
            block[key] = [route]
            groups.append((key, block[key]))
    result = []
    for key, pattern in groups:
        if key is not None:
            pattern = re_path(key, include(pattern))
            pattern.first_segment = key[1:].split("/")[0].split("\\")[0]  # "^ratings/batches/" → "ratings"
        result.append(pattern)
    return result


class SegmentIndexedResolver(URLResolver):
    """An ``include`` whose routes (from ``grouped_by_prefix``) are looked up by the path's first segment:
    a group ``^invoices/`` can only match a path whose first segment (up to "/" or ".") is "invoices", so
    the path is matched against the groups of its segment and the ungrouped routes, in their order, instead
    of raising and catching "no match" in each of the ~90 groups before it. Reversing, the schema and the
    checks see every route (``url_patterns`` is unchanged); a segment not in the index is matched against
    the ungrouped routes only (no growth of the index with unknown paths)."""

    @cached_property
    def _by_segment(self):
        segments = {getattr(p, "first_segment", None) for p in self.url_patterns} - {None}

        def resolver(segment):
            patterns = [p for p in self.url_patterns if getattr(p, "first_segment", segment) == segment]
            return URLResolver(self.pattern, patterns, self.default_kwargs, self.app_name, self.namespace)

        return {segment: resolver(segment) for segment in segments}, resolver(None)

    def resolve(self, path):
        path = str(path)
        match = self.pattern.match(path)
        if not match:
            raise Resolver404({"path": path})
        segment = re.match(r"[^/.]*", match[0]).group()
        by_segment, ungrouped = self._by_segment
        return by_segment.get(segment, ungrouped).resolve(path)


PAGE_APPS = ["accounts", "audit", "proposals", "customers", "creditinfo", "ratings", "credit", "collection", "insurance", "monitoring", "provisions", "reports",
             "validation"]

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),  # Prometheus, bearer METRICS_TOKEN (config/metrics.py)
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/auth/token/", TokenView.as_view(), name="api-token"),
    SegmentIndexedResolver(RoutePattern("api/v1/"), grouped_by_prefix(
        router.urls, [prefix for prefix, _viewset, _basename in router.registry])),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Third-party documentation pages: Swagger UI's start script is served as a file (the split view); both
    # UIs set inline styles, Redoc also starts with an inline script and runs a worker from a blob.
    path("api/docs/", csp_override(SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
                                   style_src=["'self'", "'unsafe-inline'"]), name="api-docs"),
    path("api/redoc/", csp_override(SpectacularRedocView.as_view(url_name="api-schema"),
                                    script_src=["'self'", "'unsafe-inline'"], style_src=["'self'", "'unsafe-inline'"],
                                    worker_src=["'self'", "blob:"]), name="api-redoc"),
    *[path(f"{app}/", include(f"{app}.urls")) for app in PAGE_APPS],
]

handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
