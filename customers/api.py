"""API of the customers app. Viewsets are thin: querysets from ``visible_to``, writes through services."""
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from creditportal.core import clock
from creditportal.core.api import DecimalField as AsciiDecimalField
from creditportal.core.api import (
    CachedFieldsMixin, EstimatedCountPagination, FastListSerializer, FilterBackend, RowListMixin,
    VisibleRelatedField, model_permissions, validated,
)
from creditportal.core.querysets import VisibleRowsMixin

from . import selectors, services
from .filtersets import (
    ContactFilterSet, CustomerDocumentFilterSet, CustomerFilterSet, CustomerGroupFilterSet,
    FinancialStatementFilterSet, NegativeRecordFilterSet,
)
from .models import Contact, Customer, CustomerDocument, CustomerGroup, FinancialStatement, NegativeRecord
from .rules import RATIO_KEYS


def _reload(queryset, obj):
    """The saved object again through the view's queryset (annotations, related rows)."""
    return queryset.get(pk=obj.pk)


class CustomerChildWritesMixin:
    """Writes of an object of one customer (contact, negative record, statement) through its services:
    ``<create_service>(actor, customer, **data)`` and ``<update_service>(actor, <update_arg>=obj, **data)``;
    an update never moves the object to another customer."""

    create_service = ""
    update_service = ""
    update_arg = ""

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        customer = data.pop("customer")
        serializer.instance = getattr(services, self.create_service)(actor=self.request.user, customer=customer,
                                                                     **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("customer", None)  # the object does not move to another customer
        serializer.instance = getattr(services, self.update_service)(
            actor=self.request.user, **{self.update_arg: serializer.instance}, **data)


# --- Customers --------------------------------------------------------------------------------

class CustomerSerializer(CachedFieldsMixin, serializers.ModelSerializer):
    relationship_manager = serializers.SlugRelatedField(slug_field="username", read_only=True)
    group_name = serializers.CharField(source="group.name", read_only=True, default=None)
    latest_period_end = serializers.DateField(read_only=True, allow_null=True)
    group = VisibleRelatedField(CustomerGroup, required=False, allow_null=True)

    class Meta:
        list_serializer_class = FastListSerializer
        model = Customer
        fields = ["id", *services.CUSTOMER_FIELDS, "group_name", "relationship_manager", "latest_period_end",
                  "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"credit_code": {"validators": [], "required": False, "allow_null": True}}


class ReassignSerializer(serializers.Serializer):
    relationship_manager = serializers.SlugRelatedField(slug_field="username",
                                                        queryset=services.relationship_managers())


class CustomerReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class CustomerViewSet(RowListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Customers of the caller's portfolio (everyone's for readers with ``view_all_customers``)."""

    serializer_class = CustomerSerializer
    filter_backends = [FilterBackend]
    filterset_class = CustomerFilterSet
    pagination_class = EstimatedCountPagination  # no count of every customer per page
    action_permissions = model_permissions(Customer, "read", "create", "update", reassign="customers.reassign_customer",
                                           suspend="customers.suspend_customer", resume="customers.resume_customer")

    def get_queryset(self):
        queryset = selectors.customer_list(self.request.user).order_by("name", "id")
        if self.action == "list":  # the columns the list shows, not every column of the joined rows
            queryset = queryset.only("id", *services.CUSTOMER_FIELDS, "relationship_manager", "created_at",
                                     "updated_at", "relationship_manager__username", "group__name")
        return queryset

    def perform_create(self, serializer):
        serializer.instance = _reload(self.get_queryset(),
                                      services.customer_create(actor=self.request.user, **serializer.validated_data))

    def perform_update(self, serializer):
        customer = services.customer_update(actor=self.request.user, customer=serializer.instance,
                                            **serializer.validated_data)
        serializer.instance = _reload(self.get_queryset(), customer)

    @extend_schema(request=ReassignSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        customer = self.get_object()
        data = validated(ReassignSerializer(data=request.data))
        services.customer_reassign(actor=request.user, customer=customer,
                                   relationship_manager=data["relationship_manager"])
        return Response(CustomerSerializer(_reload(self.get_queryset(), customer)).data)

    def _status_change(self, request, service):
        customer = self.get_object()
        data = validated(CustomerReasonSerializer(data=request.data))
        service(actor=request.user, customer=customer, reason=data["reason"])
        return Response(CustomerSerializer(_reload(self.get_queryset(), customer)).data)

    @extend_schema(request=CustomerReasonSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        """Suspend the customer (no new orders); the reason is audited."""
        return self._status_change(request, services.customer_suspend)

    @extend_schema(request=CustomerReasonSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Lift the customer's suspension (approvers); who and why are audited."""
        return self._status_change(request, services.customer_resume)


# --- Groups -----------------------------------------------------------------------------------

class CustomerGroupSerializer(serializers.ModelSerializer):
    parent_company = VisibleRelatedField(Customer, allow_null=True, required=False)

    class Meta:
        model = CustomerGroup
        fields = ["id", "name", "parent_company", "notes", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"name": {"validators": []}}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if hasattr(instance, "visible_parent_id"):  # another portfolio's parent company is not named
            data["parent_company"] = instance.visible_parent_id
        return data


class CustomerGroupViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                           mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = CustomerGroupSerializer
    filter_backends = [FilterBackend]
    filterset_class = CustomerGroupFilterSet
    action_permissions = model_permissions(CustomerGroup, "read", "create", "update")

    def get_queryset(self):
        user = self.request.user
        return CustomerGroup.objects.visible_to(user).with_visible_parent(user).order_by("name")

    def perform_create(self, serializer):
        serializer.instance = services.group_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        group = serializer.instance
        data = {"name": group.name, "parent_company": group.parent_company, "notes": group.notes,
                **serializer.validated_data}
        serializer.instance = services.group_update(actor=self.request.user, group=group, **data)


# --- Children: shared behaviour ---------------------------------------------------------------

def CustomerField(**kwargs):
    """A customer id, accepted only among the customers the caller can see (others: "does not exist")."""
    return VisibleRelatedField(Customer, **kwargs)


class ContactSerializer(serializers.ModelSerializer):
    customer = CustomerField()

    class Meta:
        model = Contact
        fields = ["id", "customer", *services.CONTACT_FIELDS, "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class ContactViewSet(VisibleRowsMixin, CustomerChildWritesMixin, viewsets.ModelViewSet):
    serializer_class = ContactSerializer
    create_service, update_service, update_arg = "contact_create", "contact_update", "contact"
    filter_backends = [FilterBackend]
    filterset_class = ContactFilterSet
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    action_permissions = model_permissions(Contact, "read", "create", "update", "destroy")
    queryset = Contact.objects.order_by("customer_id", "-is_primary", "name", "id")

    def perform_destroy(self, instance):
        services.contact_delete(actor=self.request.user, contact=instance)


class NegativeRecordSerializer(serializers.ModelSerializer):
    customer = CustomerField()
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = NegativeRecord
        fields = ["id", "customer", *services.NEGATIVE_RECORD_FIELDS, "recorded_by", "created_at"]
        read_only_fields = ["created_at"]


class NegativeRecordViewSet(VisibleRowsMixin, CustomerChildWritesMixin, mixins.ListModelMixin,
                            mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                            viewsets.GenericViewSet):
    serializer_class = NegativeRecordSerializer
    create_service, update_service, update_arg = "negative_record_create", "negative_record_update", "record"
    filter_backends = [FilterBackend]
    filterset_class = NegativeRecordFilterSet
    action_permissions = model_permissions(NegativeRecord, "read", "create", "update")
    queryset = NegativeRecord.objects.select_related("recorded_by").order_by("-occurred_on", "-id")



# --- Documents --------------------------------------------------------------------------------

class CustomerDocumentSerializer(serializers.ModelSerializer):
    customer = CustomerField()
    file = serializers.FileField(write_only=True)
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    expired = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = CustomerDocument
        fields = ["id", "customer", "doc_type", "title", "file", "original_name", "content_type", "size", "sha256",
                  "expires_on", "expired", "uploaded_by", "uploaded_at", "download_url"]
        read_only_fields = ["original_name", "content_type", "size", "sha256", "uploaded_at"]

    def get_expired(self, document) -> bool:
        return document.is_expired(clock.today())

    def get_download_url(self, document) -> str:
        from django.urls import reverse

        return reverse("customer-document-download", kwargs={"pk": document.pk})


class CustomerDocumentViewSet(VisibleRowsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                              mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Documents of the credit file: upload as ``multipart/form-data``; the download is audited."""

    serializer_class = CustomerDocumentSerializer
    parser_classes = [MultiPartParser, FormParser]
    filter_backends = [FilterBackend]
    filterset_class = CustomerDocumentFilterSet
    action_permissions = model_permissions(CustomerDocument, "read", "create", "destroy",
                                           download="customers.view_customerdocument")
    queryset = CustomerDocument.objects.select_related("uploaded_by").order_by("-uploaded_at", "-id")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.document_upload(
            actor=self.request.user, customer=data["customer"], doc_type=data["doc_type"],
            uploaded_file=data["file"], title=data.get("title", ""), expires_on=data.get("expires_on"))

    def perform_destroy(self, instance):
        services.document_delete(actor=self.request.user, document=instance)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        document = self.get_object()
        handle = services.document_open(actor=request.user, document=document)
        return FileResponse(handle, as_attachment=True, filename=document.original_name,
                            content_type=document.content_type)


# --- Financial statements ---------------------------------------------------------------------

RatiosSerializer = inline_serializer("StatementRatios", {
    key: AsciiDecimalField(max_digits=24, decimal_places=4, allow_null=True, read_only=True)
    for key in RATIO_KEYS
})


class FinancialStatementSerializer(serializers.ModelSerializer):
    customer = CustomerField()
    source = serializers.CharField(read_only=True)  # plain text: keeps the schema's enum names unambiguous
    ratios = serializers.SerializerMethodField()
    negative_equity = serializers.SerializerMethodField()
    loss_after_profit = serializers.SerializerMethodField()

    class Meta:
        model = FinancialStatement
        fields = ["id", "customer", *services.STATEMENT_FIELDS, "layout", "source", "ratios", "negative_equity",
                  "loss_after_profit", "created_at", "updated_at"]
        read_only_fields = ["layout", "source", "created_at", "updated_at"]
        # ``lines`` ({code of customers.chart: amount}) gives a statement of the general enterprise format, whose
        # key figures (total_assets…) then come from the lines; without ``lines`` the key figures are the statement.
        extra_kwargs = {name: {"required": False} for name in ("total_assets", "total_liabilities", "equity")}
        validators = []  # the service reports a duplicate period with a clear message

    def _analysis(self, statement):
        analyses = self.context.setdefault("analyses", {})
        if statement.pk not in analyses:
            analyses.update(selectors.ratios_for_statements([statement]))
        return analyses.get(statement.pk, {})

    @extend_schema_field(RatiosSerializer)
    def get_ratios(self, statement):
        ratios = self._analysis(statement).get("ratios", {})
        return {k: (format(v, "f") if v is not None else None) for k, v in ratios.items()}

    def get_negative_equity(self, statement) -> bool:
        return bool(self._analysis(statement).get("negative_equity"))

    def get_loss_after_profit(self, statement) -> bool:
        return bool(self._analysis(statement).get("loss_after_profit"))


ChartLineSerializer = inline_serializer("StatementChartLine", {
    "code": serializers.CharField(), "name_zh": serializers.CharField(), "name_en": serializers.CharField(),
    "statement": serializers.CharField(), "section": serializers.CharField(), "kind": serializers.CharField(),
    "parent": serializers.CharField(allow_null=True), "sign": serializers.IntegerField(),
}, many=True)


class StatementImportSerializer(serializers.Serializer):
    customer = CustomerField()
    file = serializers.FileField()


class FinancialStatementViewSet(VisibleRowsMixin, CustomerChildWritesMixin, mixins.ListModelMixin,
                                mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                                viewsets.GenericViewSet):
    """Statements with their ratios (read-only, computed); ``import`` takes a CSV/XLSX file."""

    create_service, update_service, update_arg = "statement_create", "statement_update", "statement"

    serializer_class = FinancialStatementSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filter_backends = [FilterBackend]
    filterset_class = FinancialStatementFilterSet
    action_permissions = model_permissions(FinancialStatement, "read", "create", "update",
                                           import_file="customers.add_financialstatement",
                                           chart="customers.view_financialstatement")
    queryset = FinancialStatement.objects.order_by("customer_id", "-period_end", "id")

    def get_serializer(self, *args, **kwargs):
        # Ratios of a whole page in one query (growth needs each customer's other periods).
        instance = args[0] if args else kwargs.get("instance")
        if kwargs.get("many") and instance is not None:
            instance = list(instance)
            args = (instance, *args[1:]) if args else args
            if not args:
                kwargs["instance"] = instance
            context = self.get_serializer_context()
            context["analyses"] = selectors.ratios_for_statements(instance)
            kwargs["context"] = context
        return super().get_serializer(*args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": StatementImportSerializer},
        responses={201: FinancialStatementSerializer(many=True),
                   400: inline_serializer("StatementImportRejected", {
                       "detail": serializers.CharField(), "code": serializers.CharField(),
                       "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
                   })},
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_file(self, request):
        data = validated(StatementImportSerializer(data=request.data, context=self.get_serializer_context()))
        created = services.statements_import(actor=request.user, customer=data["customer"],
                                             uploaded_file=data["file"])
        serializer = self.get_serializer(created, many=True)
        return Response(serializer.data, status=status.HTTP_201_CREATED)


    @extend_schema(responses={200: ChartLineSerializer})
    @action(detail=False, methods=["get"], url_path="chart", filter_backends=[], pagination_class=None)
    def chart(self, request):
        """The lines of the general enterprise format (``customers.chart``): what ``lines`` takes."""
        from . import chart as statement_chart

        return Response([{"code": line.code, "name_zh": line.zh, "name_en": line.en, "statement": line.statement,
                          "section": line.section, "kind": line.kind, "parent": line.parent, "sign": line.sign}
                         for line in statement_chart.LINES])


def register(router):
    router.register("customers", CustomerViewSet, basename="customer")
    router.register("customer-groups", CustomerGroupViewSet, basename="customer-group")
    router.register("contacts", ContactViewSet, basename="contact")
    router.register("customer-documents", CustomerDocumentViewSet, basename="customer-document")
    router.register("negative-records", NegativeRecordViewSet, basename="negative-record")
    router.register("financial-statements", FinancialStatementViewSet, basename="financial-statement")
