"""The big lists' JSON written by orjson (``creditportal.core.api.RowJSONRenderer``): byte for byte what DRF's
``JSONRenderer`` writes, and DRF's own renderer for anything orjson would write its own way."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import models
from rest_framework.renderers import JSONRenderer

from creditportal.core import api as core_api
from tests.row_lists import drf_path, fresh_statements, token_client  # noqa: F401 - fresh_statements: autouse

TEXTS = ["", "plain", "华东集团有限公司", "emoji 🙂 and ½", 'quote " and backslash \\', "</script><!--",
         "\x00\x01\x07\x08\t\n\x0b\x0c\r\x1b\x1f\x7f", "line\u2028separator\u2029paragraph", "\ud7ff\ue000\uffff"]


class Kind(models.TextChoices):
    CORPORATE = "corporate", "Corporate"


def both(data, media_type="application/json", context=None):
    context = context if context is not None else {}
    return core_api.RowJSONRenderer().render(data, media_type, context), JSONRenderer().render(data, media_type, context)


@pytest.mark.parametrize("text", TEXTS)
def test_strings_are_written_as_drf_writes_them(text):
    fast, drf = both({"results": [{"name": text, "id": 1}], "next": None})
    assert fast == drf


def test_scalars_nesting_and_the_page_envelope():
    data = {"count": 123456, "count_exact": False, "next": "http://testserver/api/v1/invoices/?page=2",
            "previous": None, "results": [{"id": 2**63 - 1, "low": -(2**63), "zero": 0, "yes": True, "no": False,
                                          "none": None, "nested": {"list": [1, "a", None, [], {}]}}]}
    fast, drf = both(data)
    assert fast == drf


@pytest.mark.parametrize("value", [2**64, -(2**64) - 1, Kind.CORPORATE, dt.date(2026, 1, 2),
                                   dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc), D("1.50"), 1.5e16])
def test_values_orjson_would_write_its_own_way_go_to_drf(value):
    fast, drf = both({"value": value})
    assert fast == drf


def test_an_indent_asked_for_goes_to_drf():
    data = {"results": [{"name": "甲", "id": 1}]}
    fast, drf = both(data, "application/json; indent=4")
    assert fast == drf and b"\n    " in fast
    assert core_api.RowJSONRenderer().render(None, "application/json", {}) == b""


@pytest.mark.parametrize("accept", [None, "application/json", "application/json; indent=2"])
def test_the_lists_answer_the_same_bytes_with_either_renderer(users, make_customer, monkeypatch, accept):
    make_customer(name="华东\u2028集团 \"甲\"")
    client = token_client(users["analyst"])
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    used = []
    render = core_api.RowJSONRenderer.render
    monkeypatch.setattr(core_api.RowJSONRenderer, "render", lambda self, *a, **k: used.append(1) or render(self, *a, **k))
    rows = client.get("/api/v1/customers/", **headers)
    assert used, "the row list is written by RowJSONRenderer"
    monkeypatch.undo()
    drf_path(monkeypatch)
    drf = client.get("/api/v1/customers/", **headers)
    assert rows.status_code == drf.status_code == 200
    assert rows.content == drf.content


def test_the_browsable_api_is_not_touched(users, make_customer):
    make_customer()
    response = token_client(users["analyst"]).get("/api/v1/customers/?format=api")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")


def test_negotiation_is_remembered_per_accept_header_and_format(users, make_customer):
    make_customer()
    core_api.CachedContentNegotiation._choices.clear()
    client = token_client(users["analyst"])
    for _ in range(2):  # decided, then remembered: the same answers
        assert client.get("/api/v1/customers/")["Content-Type"] == "application/json"
        assert client.get("/api/v1/customers/?format=api")["Content-Type"].startswith("text/html")
        assert client.get("/api/v1/customers/", HTTP_ACCEPT="text/html")["Content-Type"].startswith("text/html")
        assert client.get("/api/v1/customers/", HTTP_ACCEPT="application/json; indent=2").content.startswith(b"{\n")
        assert client.get("/api/v1/customers/", HTTP_ACCEPT="application/xml").status_code == 406  # never remembered
        assert client.get("/api/v1/customers/?format=yaml").status_code == 404
    assert len(core_api.CachedContentNegotiation._choices) == 4
