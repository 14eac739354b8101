"""API of outside credit information: imports (upload, read), the changes they found, a customer's records in
force. Reads through ``visible_to``; the upload through ``services.outside_import``."""
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from creditportal.core.api import FilterBackend, VisibleRelatedField, model_permissions
from creditportal.core.canonical import jsonable
from creditportal.core.querysets import VisibleRowsMixin
from customers.models import Customer

from . import selectors, services
from .adapters import adapter_choices
from .filtersets import OutsideChangeFilterSet, OutsideImportFilterSet
from .models import OutsideChange, OutsideImport


class OutsideImportSerializer(serializers.ModelSerializer):
    customer = VisibleRelatedField(Customer)
    file = serializers.FileField(write_only=True)
    adapter = serializers.ChoiceField(choices=(), default="portal")
    imported_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = OutsideImport
        fields = ["id", "customer", "file", "adapter", "source", "as_of", "kinds", "original_name", "file_sha256",
                  "content_sha256", "record_count", "imported_by", "created_at"]
        read_only_fields = ["source", "as_of", "kinds", "original_name", "file_sha256", "content_sha256",
                            "record_count", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["adapter"].choices = adapter_choices()


class OutsideImportViewSet(VisibleRowsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                           viewsets.GenericViewSet):
    """Imports of outside information: upload as ``multipart/form-data`` (``customer``, ``file``, ``adapter``); a bad
    file imports nothing (400, the row named)."""

    serializer_class = OutsideImportSerializer
    parser_classes = [MultiPartParser, FormParser]
    filter_backends = [FilterBackend]
    filterset_class = OutsideImportFilterSet
    action_permissions = model_permissions(OutsideImport, "read", "create")
    queryset = OutsideImport.objects.select_related("imported_by").order_by("-as_of", "-id")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.outside_import(actor=self.request.user, customer=data["customer"],
                                                      uploaded_file=data["file"], adapter=data["adapter"])


class OutsideChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = OutsideChange
        fields = ["id", "customer", "outside_import", "kind", "detected_on", "detail"]


class OutsideChangeViewSet(VisibleRowsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = OutsideChangeSerializer
    filter_backends = [FilterBackend]
    filterset_class = OutsideChangeFilterSet
    action_permissions = {"list": "creditinfo.view_outsideimport", "retrieve": "creditinfo.view_outsideimport"}
    queryset = OutsideChange.objects.order_by("-detected_on", "-id")


def _record(obj, fields):
    return {name: getattr(obj, name) for name in fields} | {"source": obj.source, "as_of": obj.as_of,
                                                             "import": obj.outside_import_id}


class OutsideInformationSerializer(serializers.ModelSerializer):
    """The customer the records belong to (the records themselves: ``OutsideInformationViewSet.retrieve``)."""

    class Meta:
        model = Customer
        fields = ["id"]


class OutsideInformationViewSet(VisibleRowsMixin, viewsets.GenericViewSet):
    """The records in force for one customer (``/outside-information/<customer id>/``), by kind."""

    action_permissions = {"retrieve": "creditinfo.view_outsideimport"}
    serializer_class = OutsideInformationSerializer
    queryset = Customer.objects.all()

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def retrieve(self, request, pk=None):
        customer = get_object_or_404(self.get_queryset(), pk=pk)
        r = selectors.current_records([customer.pk])[customer.pk]
        reg, rep = r["registration"], r["credit_report"]
        data = {
            "customer": customer.pk,
            "registration": None if reg is None else {
                **_record(reg, ["status", "registered_capital", "paid_in_capital", "currency", "legal_representative",
                                "actual_controller", "changes"]),
                "shareholders": [{"name": s.name, "share": s.share} for s in reg.shareholders.all()]},
            "court_records": [_record(c, ["kind", "case_number", "court", "filed_on", "amount", "currency", "closed"])
                              for c in r["court_records"]],
            "penalties": [_record(p, ["decision_number", "authority", "decided_on", "reason", "amount", "currency"])
                          for p in r["penalties"]],
            "tax_ratings": [_record(t, ["year", "rating"]) for t in r["tax_ratings"]],
            "pledges": [_record(p, ["kind", "registration_number", "pledgee", "amount", "currency", "registered_on",
                                    "released"]) for p in r["pledges"]],
            "credit_report": None if rep is None else {
                **_record(rep, ["report_date", "currency", "overdue_amount", "guarantees_given", "queries_3m"]),
                "loans": [{"lender": l.lender, "outstanding": l.outstanding, "overdue": l.overdue}
                          for l in rep.loans.all()]},
        }
        return Response(jsonable(data))


def register(router):
    router.register("outside-imports", OutsideImportViewSet, basename="outside-import")
    router.register("outside-changes", OutsideChangeViewSet, basename="outside-change")
    router.register("outside-information", OutsideInformationViewSet, basename="outside-information")
