from importlib import import_module

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from accounts.api import TokenView

from . import views

# Each app registers its API routes in ``<app>/api.py``'s ``register(router)``.
router = DefaultRouter()
for app in settings.LOCAL_APPS:
    try:
        module = import_module(f"{app}.api")
    except ModuleNotFoundError as exc:
        if exc.name != f"{app}.api":
            raise
        continue
    module.register(router)

def grouped_by_prefix(patterns, prefixes):
    """The router's routes (~300 regexes, tried one after the other) grouped under one regex per registered
    prefix (``^invoices`` → its routes without the prefix), in the same order: a request is matched against
    the ~70 prefixes first and then the few routes of its own, instead of every route registered before it.
    A prefix that matches but none of its routes falls through to the next group, as before, so the same
    route answers each URL; names, reversing and the schema's paths are unchanged."""
    import re

    from django.urls import re_path

    # plain prefixes only ("ratings/(?P<rating_pk>…)/report" is a regex: its routes stay as they are);
    # the longest first, so "customer-groups" is not taken for "customer"
    ordered = sorted((p for p in prefixes if re.fullmatch(r"[\w/-]+", p)), key=len, reverse=True)
    groups = []
    for pattern in patterns:
        regex = str(pattern.pattern)
        prefix = next((p for p in ordered if regex.startswith(f"^{p}") and regex[len(p) + 1:][:1] in ("/", "\\")),
                      None)
        if prefix is None:
            groups.append((None, pattern))
            continue
        route = re_path(f"^{regex[len(prefix) + 1:]}", pattern.callback, pattern.default_args, name=pattern.name)
        if groups and groups[-1][0] == prefix:
            groups[-1][1].append(route)
        else:
            groups.append((prefix, [route]))
    return [pattern if prefix is None else re_path(f"^{prefix}", include(pattern))
            for prefix, pattern in groups]


PAGE_APPS = ["accounts", "audit", "customers", "ratings", "credit", "collection", "monitoring", "reports",
             "validation"]

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/auth/token/", TokenView.as_view(), name="api-token"),
    path("api/v1/", include(grouped_by_prefix(router.urls, [prefix for prefix, _viewset, _basename in router.registry]))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    *[path(f"{app}/", include(f"{app}.urls")) for app in PAGE_APPS],
]
