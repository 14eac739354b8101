"""Every id a user submits is resolved among the objects they may see (``visible_to``), through one primitive.

- A guarantor naming another portfolio's customer is refused, and its name never shows.
- No existence oracle: a write naming another portfolio's object answers exactly as one naming a missing
  object (the same status and the same body, the id aside), never 403 for the one and 400 for the other.
- Sweep: every writable related field of every API serializer is a ``VisibleRelatedField`` (or a
  configuration lookup listed below), so a new serializer cannot take ``Model.objects.all()`` again.
"""
import io
import json

import pytest
from django.core.management import call_command
from rest_framework import relations
from rest_framework.test import APIClient

from creditportal.core.api import VisibleRelatedField

pytestmark = pytest.mark.django_db
MISSING = 987654321


@pytest.fixture
def demo(settings, tmp_path):
    from django.contrib.auth import get_user_model

    from customers.models import Customer

    settings.MEDIA_ROOT = str(tmp_path)
    call_command("load_demo", "--small", stdout=io.StringIO())
    users = get_user_model().objects
    rm, rm2 = users.get(username="rm"), users.get(username="rm2")
    mine = Customer.objects.filter(relationship_manager=rm).order_by("pk")
    theirs = Customer.objects.filter(relationship_manager=rm2).order_by("pk").first()
    assert mine.count() >= 2 and theirs is not None
    client = APIClient()
    client.force_authenticate(rm)
    return {"rm": rm, "client": client, "mine": mine[0], "mine2": mine[1], "theirs": theirs}


def _application(customer, **extra):
    return {"customer": customer, "amount": "100000.00", "currency": "CNY", "term_months": 12,
            "purpose": "working capital", **extra}


def _same_answer(client, url, make_body, their_id, method="post"):
    """The answers for another portfolio's id and for a missing id, with the id masked: they must match."""
    send = getattr(client, method)
    theirs = send(url, make_body(their_id), format="json", HTTP_ACCEPT_LANGUAGE="en")
    missing = send(url, make_body(MISSING), format="json", HTTP_ACCEPT_LANGUAGE="en")
    mask = lambda r, pk: (r.status_code, r.content.decode().replace(str(pk), "<id>"))  # noqa: E731
    assert mask(theirs, their_id) == mask(missing, MISSING), (url, theirs.content, missing.content)
    assert theirs.status_code == 400, (url, theirs.status_code, theirs.content)
    return theirs


def test_guarantor_of_another_portfolio_is_refused_like_a_missing_one(demo):
    from credit.models import Guarantor

    client, theirs = demo["client"], demo["theirs"]
    before = Guarantor.objects.count()
    body = lambda pk: _application(demo["mine"].pk, guarantors=[  # noqa: E731
        {"customer": pk, "amount": "5000.00", "currency": "CNY"}])
    answer = _same_answer(client, "/api/v1/applications/", body, theirs.pk)
    assert "guarantors" in answer.json()["errors"]
    assert theirs.name not in answer.content.decode()
    assert Guarantor.objects.count() == before

    created = client.post("/api/v1/applications/", _application(demo["mine"].pk), format="json")
    assert created.status_code == 201, created.content
    url = f"/api/v1/applications/{created.json()['id']}/"
    answer = _same_answer(client, url, lambda pk: {"guarantors": [{"customer": pk, "amount": "5.00",
                                                                   "currency": "CNY"}]}, theirs.pk, "patch")
    assert theirs.name not in answer.content.decode()
    detail = client.get(url).content.decode()
    assert theirs.name not in detail and not Guarantor.objects.filter(customer=theirs).exists()
    # one of the manager's own customers may guarantee
    ok = client.patch(url, {"guarantors": [{"customer": demo["mine2"].pk, "amount": "5.00", "currency": "CNY"}]},
                      format="json")
    assert ok.status_code == 200, ok.content


def test_guarantor_service_refuses_another_portfolio(demo):
    from credit import services
    from creditportal.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        services.application_create(actor=demo["rm"], customer=demo["mine"], amount="1000", currency="CNY",
                                    term_months=12, purpose="x",
                                    guarantors=[{"customer": demo["theirs"], "amount": "10", "currency": "CNY"}])


def test_no_existence_oracle_on_writes(demo):
    from credit.models import Facility

    client, theirs = demo["client"], demo["theirs"]
    their_facility = Facility.objects.filter(customer__relationship_manager__username="rm2").first()
    assert their_facility is not None
    cases = [
        ("/api/v1/applications/", lambda pk: _application(pk), theirs.pk),
        ("/api/v1/applications/", lambda pk: _application(demo["mine"].pk, application_type="increase",
                                                          facility=pk), their_facility.pk),
        ("/api/v1/orders/", lambda pk: {"facility": pk, "reference": "PO-1", "amount": "10.00", "currency": "CNY"},
         their_facility.pk),
        ("/api/v1/contacts/", lambda pk: {"customer": pk, "name": "Zhang"}, theirs.pk),
        ("/api/v1/invoices/", lambda pk: {"customer": pk, "number": "INV-X", "issue_date": "2026-01-05",
                                          "due_date": "2026-02-05", "amount": "10.00", "currency": "CNY"}, theirs.pk),
        ("/api/v1/payments/", lambda pk: {"customer": pk, "received_on": "2026-01-05", "amount": "10.00",
                                          "currency": "CNY", "reference": "R-1"}, theirs.pk),
        ("/api/v1/customer-groups/", lambda pk: {"name": "Probe group", "parent_company": pk}, theirs.pk),
    ]
    for url, body, pk in cases:
        answer = _same_answer(client, url, body, pk)
        assert theirs.name not in answer.content.decode()


# Writable related fields that are not portfolio-scoped on purpose: configuration looked up by its key.
CONFIG_LOOKUPS = {
    ("ApproverAuthoritySerializer", "level"),  # authority levels: configuration every user of the matrix sees
    ("DelegationSerializer", "level"),
    ("RatingModelSerializer", "scale"),  # rating scales: configuration
}


def _api_serializers():
    """The serializer of every API write (POST, PUT, PATCH), as the schema generator sees it."""
    from drf_spectacular.generators import SchemaGenerator

    generator = SchemaGenerator()
    generator._initialise_endpoints()
    seen = set()
    for _path, _pattern, method, view in generator._get_paths_and_endpoints():
        if method.upper() not in ("POST", "PUT", "PATCH"):
            continue
        try:
            klass = view.get_serializer_class()
        except Exception:  # noqa: BLE001 - a view without one
            continue
        seen.add(klass)
    return seen


def _writable_related(serializer, owner=""):
    for name, field in serializer.fields.items():
        child = getattr(field, "child", None) or getattr(field, "child_relation", None)
        if hasattr(field, "fields"):
            yield from _writable_related(field, type(field).__name__)
        elif child is not None and hasattr(child, "fields"):
            yield from _writable_related(child, type(child).__name__)
        elif isinstance(child or field, relations.RelatedField) and not field.read_only:
            yield owner or type(serializer).__name__, name, child or field


def test_every_submitted_id_goes_through_the_visible_field(demo):
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    request = Request(APIRequestFactory().post("/"))
    request.user = demo["rm"]
    found, wrong = 0, []
    import credit.api
    import customers.api
    import monitoring.api
    import validation.api

    classes = _api_serializers() | {credit.api.ApplicationWriteSerializer, credit.api.GuarantorSerializer,
                                    credit.api.OrderSerializer, credit.api.GroupLimitSerializer,
                                    customers.api.CustomerGroupSerializer, monitoring.api.WatchlistSerializer,
                                    validation.api.ValidationRunSerializer, validation.api.SimulationSerializer}
    for klass in classes:
        try:
            serializer = klass(context={"request": request})
            serializer.fields  # noqa: B018 - build them
        except Exception:  # noqa: BLE001 - serializers that need arguments are not body serializers
            continue
        for owner, name, field in _writable_related(serializer):
            if isinstance(field, relations.SlugRelatedField) and (owner, name) in CONFIG_LOOKUPS:
                continue
            if isinstance(field, relations.SlugRelatedField) and field.slug_field == "username":
                continue  # users are named by username among the role's members (not portfolio objects)
            found += 1
            if not isinstance(field, VisibleRelatedField):
                wrong.append(f"{owner}.{name}: {type(field).__name__}")
    assert found >= 8
    assert wrong == [], json.dumps(sorted(set(wrong)), indent=1)


def test_visible_field_fails_closed_without_a_request(demo):
    from customers.models import Customer

    field = VisibleRelatedField(Customer)
    field.bind("customer", type("S", (), {"context": {}, "parent": None})())
    assert not field.get_queryset().exists()
