"""Invoices, payments, claim payouts and aging."""
from __future__ import annotations

from django.db.models import F
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from creditportal.core import clock
from creditportal.core.api import DecimalField as AsciiDecimalField, IntegerField as AsciiIntegerField
from creditportal.core.api import CachedFieldsMixin, EstimatedCountPagination, FastListSerializer, RowListMixin
from creditportal.core.api import model_permissions, validated
from creditportal.core.idempotency import idempotent
from creditportal.core.querysets import VisibleRowsMixin

from .. import selectors, services
from ..selectors import DaysBetween
from ..filtersets import InvoiceFilterSet, PaymentFilterSet
from ..models import ClaimPayout, Invoice, Payment, outstanding_expression
from ._common import VIEW, csv_import_action, body_customer


class InvoiceSerializer(CachedFieldsMixin, serializers.ModelSerializer):
    outstanding = AsciiDecimalField(max_digits=18, decimal_places=2, read_only=True)
    customer = AsciiIntegerField(source="customer_id")
    facility = AsciiIntegerField(source="facility_id", required=False, allow_null=True)
    status = serializers.CharField(read_only=True, help_text="open, paid or written_off")
    payment_term_days = AsciiIntegerField(read_only=True, help_text="The term it was issued on: days from issue to due.")

    class Meta:
        list_serializer_class = FastListSerializer
        model = Invoice
        fields = ["id", "number", "customer", "facility", "issue_date", "due_date", "amount", "currency",
                  "paid_amount", "written_off_amount", "outstanding", "paid_on", "status", "description",
                  "payment_term_days"]
        read_only_fields = ["paid_amount", "written_off_amount", "paid_on", "status"]


class InvoiceDetailSerializer(InvoiceSerializer):
    payment_terms = serializers.SerializerMethodField(
        help_text="term_days (issue → due), allowed_days (approved on the facility's application, else the policy's "
                  "longest term for the customer's grade), source (facility or policy), grade, and beyond: issued on "
                  "a term longer than allowed.")

    class Meta(InvoiceSerializer.Meta):
        fields = [*InvoiceSerializer.Meta.fields, "payment_terms"]

    def get_payment_terms(self, invoice) -> dict:
        return selectors.invoice_terms([invoice])[invoice.pk]


class AllocationLineSerializer(serializers.Serializer):
    invoice = AsciiIntegerField()
    amount = AsciiDecimalField(max_digits=18, decimal_places=2)


class PaymentSerializer(CachedFieldsMixin, serializers.ModelSerializer):
    customer = AsciiIntegerField(source="customer_id")
    allocations = AllocationLineSerializer(many=True, required=False, write_only=True)
    allocated = serializers.SerializerMethodField()

    class Meta:
        list_serializer_class = FastListSerializer
        model = Payment
        fields = ["id", "customer", "received_on", "amount", "currency", "reference", "allocated_amount",
                  "is_recovery", "case", "allocations", "allocated"]
        read_only_fields = ["allocated_amount", "is_recovery", "case"]

    def get_allocated(self, payment) -> list[dict]:
        return [{"invoice": a.invoice_id, "amount": str(a.amount)} for a in payment.allocations.all()]


class ClaimPayoutSerializer(serializers.ModelSerializer):
    customer = AsciiIntegerField(source="customer_id")
    invoice = AsciiIntegerField(source="invoice_id", required=False, allow_null=True)

    class Meta:
        model = ClaimPayout
        fields = ["id", "customer", "invoice", "kind", "paid_on", "amount", "currency", "reason"]


class InvoiceViewSet(VisibleRowsMixin, RowListMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilterSet
    ordering_fields = ["due_date", "issue_date", "amount", "number"]
    search_fields = ["number", "customer__name"]
    pagination_class = EstimatedCountPagination  # ~1M rows: no full count per page (see its docstring)
    row_expressions = {"outstanding": outstanding_expression(),  # the properties
                       "payment_term_days": DaysBetween(F("due_date"), F("issue_date"))}
    action_permissions = {"list": VIEW, "retrieve": VIEW, "create": "collection.add_invoice",
                          "import_csv": "collection.add_invoice"}
    queryset = Invoice.objects.order_by("due_date", "pk")

    def get_serializer_class(self):
        return InvoiceDetailSerializer if self.action == "retrieve" else self.serializer_class

    @idempotent
    def create(self, request, *args, **kwargs):
        d = validated(self.get_serializer(data=request.data))
        invoice = services.invoice_create(
            actor=request.user, customer=body_customer(request.user, d["customer_id"]), number=d["number"],
            issue_date=d["issue_date"], due_date=d["due_date"], amount=d["amount"], currency=d.get("currency", "CNY"),
            description=d.get("description", ""), facility=d.get("facility_id"))
        return Response(InvoiceSerializer(invoice).data, status=status.HTTP_201_CREATED)

    import_csv = csv_import_action("", "invoices_import")


class PaymentViewSet(VisibleRowsMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilterSet
    ordering_fields = ["received_on", "amount"]
    pagination_class = EstimatedCountPagination
    action_permissions = model_permissions(Payment, "read", "create", import_csv="collection.add_payment")
    queryset = Payment.objects.prefetch_related("allocations").order_by("-received_on", "-pk")

    @idempotent
    def create(self, request, *args, **kwargs):
        d = validated(self.get_serializer(data=request.data))
        allocations = [(line["invoice"], line["amount"]) for line in d.get("allocations", [])] or None
        payment = services.payment_post(actor=request.user, customer=body_customer(request.user, d["customer_id"]),
                                        amount=d["amount"], received_on=d["received_on"],
                                        currency=d.get("currency", "CNY"), reference=d.get("reference", ""),
                                        allocations=allocations)
        payment = Payment.objects.prefetch_related("allocations").get(pk=payment.pk)
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)

    import_csv = csv_import_action("Payment", "payments_import")


class ClaimPayoutViewSet(VisibleRowsMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ClaimPayoutSerializer
    action_permissions = model_permissions(ClaimPayout, "read", "create")
    queryset = ClaimPayout.objects.order_by("-paid_on", "-pk")

    @idempotent
    def create(self, request, *args, **kwargs):
        d = validated(self.get_serializer(data=request.data))
        claim = services.claim_payout_create(actor=request.user, customer=body_customer(request.user, d["customer_id"]),
                                             amount=d["amount"], currency=d.get("currency", "CNY"),
                                             paid_on=d["paid_on"], reason=d["reason"], kind=d.get("kind", "claim"),
                                             invoice=d.get("invoice_id"))
        return Response(ClaimPayoutSerializer(claim).data, status=status.HTTP_201_CREATED)


class AgingViewSet(viewsets.ViewSet):
    """Aging by bucket per customer (paginated) and for the portfolio, in the reporting currency, with DSO.

    Filters: ``manager``, ``collector`` (user ids), ``industry`` (section letter), ``customer``; ``sort``.
    """

    action_permissions = {"list": VIEW}

    # One object (a page of customers plus the portfolio), not a list: a plain object type keeps
    # drf-spectacular from wrapping the ``list`` action's answer in an array.
    @extend_schema(responses=OpenApiTypes.OBJECT, description="Paginated ``results`` (one row per customer) with "
                   "``count``, ``next``, ``previous``, the ``portfolio`` totals and ``as_of``.")
    def list(self, request):
        from creditportal.core.money import RateTable

        from ..filtersets import aging_filtered

        as_of = clock.today()
        table = RateTable(as_of)
        _filterset, qs, summary = aging_filtered(request.GET, user=request.user, as_of=as_of, table=table)
        rows, _missing, finish = selectors.aging_by_customer(qs, as_of=as_of, sort=request.GET.get("sort", "-total"),
                                                             summary=summary, table=table)
        from creditportal.core.api import StandardPagination
        from creditportal.core.pagination import PageFirstPaginator

        paginator = StandardPagination()
        paginator.django_paginator_class = PageFirstPaginator  # the page and its row count in one statement
        page = paginator.paginate_queryset(rows, request, view=self)
        portfolio = selectors.aging_portfolio(qs, as_of=as_of, rows=rows, summary=summary, table=table)

        def plain(row):
            return {k: (str(v) if v is not None and not isinstance(v, (int, str)) else v) for k, v in row.items()}

        response = paginator.get_paginated_response([plain(finish(r)) for r in page])
        response.data["portfolio"] = plain(portfolio)
        response.data["as_of"] = as_of.isoformat()
        return response


def register(router):
    router.register("invoices", InvoiceViewSet, basename="invoice")
    router.register("payments", PaymentViewSet, basename="payment")
    router.register("claim-payouts", ClaimPayoutViewSet, basename="claim-payout")
    router.register("aging", AgingViewSet, basename="aging")
