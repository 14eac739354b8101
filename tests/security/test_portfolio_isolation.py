"""A relationship manager reaches no other portfolio's objects by guessing ids, through the API or the pages.

The demo portfolio is loaded (two relationship managers, every kind of object). For every API route that
names one object (``/api/v1/<things>/{id}/`` and its detail actions, file downloads included) whose model is
scoped with ``visible_to``, the ids of objects outside the manager's portfolio are tried: each answer is 404
(or 403), never the object. The same for every page whose URL names one object by pk.
"""
import io
import re

import pytest
from django.core.management import call_command
from django.urls import resolve
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db
DETAIL = re.compile(r"^/api/v1/[a-z-]+/\{id\}/(?:[a-z-]+/)?$")


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    call_command("load_demo", "--small", stdout=io.StringIO())
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from customers import services
    from customers.models import Customer, DocumentType

    users = get_user_model().objects
    other = users.get(username="rm2")
    theirs = Customer.objects.filter(relationship_manager=other).first()
    services.document_upload(actor=other, customer=theirs, doc_type=DocumentType.values[0],
                             uploaded_file=SimpleUploadedFile("annual.pdf", b"%PDF-1.4\n%%EOF\n",
                                                              content_type="application/pdf"))
    return users.get(username="rm")


def detail_routes():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        if DETAIL.match(path) and "get" in item:
            yield path


def route_model(path):
    """The model a detail route serves: its viewset's queryset, or its serializer's model."""
    view = resolve(path.replace("{id}", "1")).func
    if getattr(view.cls, "queryset", None) is not None:
        return view.cls.queryset.model
    viewset = view.cls()
    viewset.action, viewset.request, viewset.format_kwarg = view.actions.get("get"), None, None
    serializer = getattr(view.cls, "serializer_class", None) or viewset.get_serializer_class()
    return getattr(getattr(serializer, "Meta", None), "model", None)


def outside_portfolio(model, manager):
    """Objects of other portfolios, found from the customer path itself where the model is customer-scoped
    (so that a broken ``visible_to`` cannot hide them from this test), else from ``visible_to``."""
    queryset = model.objects.all()
    path = getattr(queryset, "customer_path", None)
    if path is not None:
        prefix = f"{path}__" if path else ""
        return queryset.exclude(**{f"{prefix}relationship_manager": manager})
    return queryset.exclude(pk__in=model.objects.visible_to(manager).values("pk"))


def test_a_relationship_manager_cannot_reach_another_portfolio_by_id(demo):
    client = APIClient()
    client.force_authenticate(demo)
    tried, refused = {}, []
    for path in detail_routes():
        model = route_model(path)
        if model is None or not hasattr(model.objects, "visible_to"):
            continue
        hidden = list(outside_portfolio(model, demo).values_list("pk", flat=True)[:3])
        if not hidden:
            continue
        tried[path] = len(hidden)
        for pk in hidden:
            response = client.get(path.replace("{id}", str(pk)))
            if response.status_code not in (403, 404):
                refused.append(f"{path} id={pk}: {response.status_code}")
    assert refused == [], refused
    # the demo portfolio has another manager's customers, statements, applications, facilities, invoices...
    assert len(tried) >= 10, sorted(tried)
    assert any("download" in path for path in tried), sorted(tried)




def page_routes():
    """(url name, model) of every page whose only URL argument is the pk of an object that the API also serves
    by id: the path segment before the pk names it (``credit/applications/<pk>/`` → ``/api/v1/applications/``)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    api = {path.split("/")[3]: path for path in detail_routes() if path.count("/") == 5}

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and hasattr(pattern.callback, "view_class") and pattern.name:
                route = prefix + str(pattern.pattern)
                match = re.search(r"([a-z-]+)/<(?:int:)?pk>/", route)
                if namespace and match and set(pattern.pattern.converters) <= {"pk"} and match.group(1) in api \
                        and "get" in pattern.callback.view_class.http_method_names \
                        and hasattr(pattern.callback.view_class, "get"):
                    yield f"{namespace}:{pattern.name}", route_model(api[match.group(1)])

    yield from walk(get_resolver().url_patterns, "", None)


def test_a_relationship_manager_cannot_open_another_portfolio_page_by_id(demo, client):
    from django.urls import reverse

    client.force_login(demo)
    tried, refused = {}, []
    for name, model in page_routes():
        if model is None or not hasattr(model.objects, "visible_to"):
            continue
        hidden = list(outside_portfolio(model, demo).values_list("pk", flat=True)[:2])
        if not hidden:
            continue
        tried[name] = len(hidden)
        for pk in hidden:
            response = client.get(reverse(name, kwargs={"pk": pk}))
            if response.status_code not in (403, 404):
                refused.append(f"{name} pk={pk}: {response.status_code}")
    assert refused == [], refused
    assert len(tried) >= 10, sorted(tried)
