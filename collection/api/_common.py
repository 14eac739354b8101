"""What the collection API's sections share: the user model, the read permission, the customer a body
names and the CSV import action."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from creditportal.core.api import IntegerField as AsciiIntegerField
from creditportal.core.api import referenced_object
from creditportal.core.idempotency import idempotent
from customers.models import Customer

from .. import services


User = get_user_model()
VIEW = "collection.view_invoice"


def body_customer(user, customer_id):
    """The customer the request body names (400 when missing or not the caller's, as a related field)."""
    return referenced_object(Customer.objects.visible_to(user), customer_id, "customer")


def csv_import_action(schema_prefix: str, importer: str):
    """A viewset's ``POST …/import`` action: a CSV (``file`` upload, or ``content`` as text) given to the service
    ``importer`` (its name in ``collection.services``); 201 with the number of rows created. ``schema_prefix``
    keeps the schema's component names apart."""

    @extend_schema(request={"multipart/form-data": inline_serializer(f"{schema_prefix}CsvUpload",
                                                                     {"file": serializers.FileField()})},
                   responses=inline_serializer(f"{schema_prefix}ImportResult", {"created": AsciiIntegerField()}))
    @action(detail=False, methods=["post"], url_path="import")
    @idempotent
    def import_csv(self, request):
        upload = request.FILES.get("file")
        content = upload.read() if upload else request.data.get("content", "")
        result = getattr(services, importer)(actor=request.user, content=content)
        return Response({"created": result.created}, status=status.HTTP_201_CREATED)

    return import_csv
