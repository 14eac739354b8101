"""REST API of the collection app: receivables, cases with their transitions, promises, activities, aging, dunning."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from creditportal.core import clock
from creditportal.core.api import DecimalField as AsciiDecimalField, IntegerField as AsciiIntegerField
from creditportal.core.api import (
    CachedFieldsMixin, EstimatedCountPagination, FastListSerializer, RowListMixin, VisibleRelatedField,
    referenced_object,
)
from creditportal.core.idempotency import idempotent
from customers.models import Customer
from proposals.api import ChangeViewSet, proposed_response
from proposals.models import ChangeState

from . import selectors, services
from .selectors import DaysBetween
from .filtersets import CaseFilterSet, InvoiceFilterSet, PaymentFilterSet
from .models import (
    ClaimPayout,
    CollectionActivity,
    CollectionCase,
    DunningAction,
    DunningActionKind,
    DunningChangeKind,
    DunningGradePolicy,
    DunningLevel,
    DunningPolicy,
    DunningPolicyChange,
    Invoice,
    Payment,
    PromiseToPay,
    WriteOff,
)

User = get_user_model()
VIEW = "collection.view_invoice"


def _customer(user, customer_id):
    """The customer the request body names (400 when missing or not the caller's, as a related field)."""
    return referenced_object(Customer.objects.visible_to(user), customer_id, "customer")


def _csv_import(request, importer):
    """A CSV import (``file`` upload, or ``content`` as text): 201 with the number of rows created."""
    upload = request.FILES.get("file")
    content = upload.read() if upload else request.data.get("content", "")
    result = importer(actor=request.user, content=content)
    return Response({"created": result.created}, status=status.HTTP_201_CREATED)


# --- serializers ------------------------------------------------------------------------------

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


class CaseSerializer(serializers.ModelSerializer):
    customer = AsciiIntegerField(source="customer_id")
    assigned_to = serializers.SlugRelatedField(slug_field="username", read_only=True)
    invoices = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = CollectionCase
        fields = ["id", "customer", "assigned_to", "state", "escalation_channel", "opened_on", "closed_on",
                  "next_action_on", "broken_promises", "invoices", "note"]
        read_only_fields = ["state", "escalation_channel", "opened_on", "closed_on", "next_action_on",
                            "broken_promises"]


class CaseOpenSerializer(serializers.Serializer):
    customer = AsciiIntegerField()
    assigned_to = serializers.CharField(required=False, allow_blank=True, help_text="collector's username")
    note = serializers.CharField(required=False, allow_blank=True)


class ActivitySerializer(serializers.ModelSerializer):
    case = VisibleRelatedField(CollectionCase)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CollectionActivity
        fields = ["id", "case", "kind", "occurred_on", "outcome", "next_step", "next_action_on", "created_by"]


class PromiseSerializer(serializers.ModelSerializer):
    case = VisibleRelatedField(CollectionCase)

    class Meta:
        model = PromiseToPay
        fields = ["id", "case", "made_on", "promised_date", "amount", "currency", "state", "resolved_on", "note"]
        read_only_fields = ["made_on", "state", "resolved_on"]


class WriteOffSerializer(serializers.ModelSerializer):
    proposed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = WriteOff
        fields = ["id", "case", "amount", "currency", "reason", "state", "proposed_by", "proposed_on", "decided_by",
                  "decided_on", "decision_note"]
        read_only_fields = fields  # proposed through the case (``propose-writeoff``), never from this shape


class DunningLevelSerializer(serializers.ModelSerializer):
    action = serializers.CharField(help_text=", ".join(DunningActionKind.values))

    class Meta:
        model = DunningLevel
        fields = ["id", "order", "name", "name_en", "days_past_due", "action"]


class DunningPolicySerializer(serializers.ModelSerializer):
    levels = DunningLevelSerializer(many=True, read_only=True)

    class Meta:
        model = DunningPolicy
        fields = ["id", "name", "name_en", "is_active", "small_amount_tolerance", "late_fee_daily_rate", "case_open_order",
                  "letter_language", "levels"]


class DunningActionSerializer(serializers.ModelSerializer):
    action = serializers.CharField(read_only=True, help_text=", ".join(DunningActionKind.values))

    class Meta:
        model = DunningAction
        fields = ["id", "customer", "level", "level_order", "action", "business_date", "max_days_past_due",
                  "overdue_amount", "currency", "invoice_ids", "outcome", "outcome_note", "assigned_to", "closed_on"]


class RecoverySerializer(serializers.Serializer):
    amount = AsciiDecimalField(18, 2)
    received_on = serializers.DateField()
    currency = serializers.CharField(required=False, default="CNY")
    reference = serializers.CharField(required=False, default="", allow_blank=True)


class CollectionNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


# --- viewsets ---------------------------------------------------------------------------------

class InvoiceViewSet(RowListMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilterSet
    ordering_fields = ["due_date", "issue_date", "amount", "number"]
    search_fields = ["number", "customer__name"]
    pagination_class = EstimatedCountPagination  # ~1M rows: no full count per page (see its docstring)
    row_expressions = {"outstanding": F("amount") - F("paid_amount") - F("written_off_amount"),  # the properties
                       "payment_term_days": DaysBetween(F("due_date"), F("issue_date"))}
    action_permissions = {"list": VIEW, "retrieve": VIEW, "create": "collection.add_invoice",
                          "import_csv": "collection.add_invoice"}

    def get_queryset(self):
        return Invoice.objects.visible_to(self.request.user).order_by("due_date", "pk")

    def get_serializer_class(self):
        return InvoiceDetailSerializer if self.action == "retrieve" else self.serializer_class

    @idempotent
    def create(self, request, *args, **kwargs):
        s = self.get_serializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        invoice = services.invoice_create(
            actor=request.user, customer=_customer(request.user, d["customer_id"]), number=d["number"],
            issue_date=d["issue_date"], due_date=d["due_date"], amount=d["amount"], currency=d.get("currency", "CNY"),
            description=d.get("description", ""), facility=d.get("facility_id"))
        return Response(InvoiceSerializer(invoice).data, status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": inline_serializer("CsvUpload", {"file": serializers.FileField()})},
                   responses=inline_serializer("ImportResult", {"created": AsciiIntegerField()}))
    @action(detail=False, methods=["post"], url_path="import")
    @idempotent
    def import_csv(self, request):
        return _csv_import(request, services.invoices_import)


class PaymentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilterSet
    ordering_fields = ["received_on", "amount"]
    pagination_class = EstimatedCountPagination
    action_permissions = {"list": "collection.view_payment", "retrieve": "collection.view_payment",
                          "create": "collection.add_payment", "import_csv": "collection.add_payment"}

    def get_queryset(self):
        return Payment.objects.visible_to(self.request.user).prefetch_related("allocations").order_by("-received_on",
                                                                                                       "-pk")

    @idempotent
    def create(self, request, *args, **kwargs):
        s = self.get_serializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        allocations = [(line["invoice"], line["amount"]) for line in d.get("allocations", [])] or None
        payment = services.payment_post(actor=request.user, customer=_customer(request.user, d["customer_id"]),
                                        amount=d["amount"], received_on=d["received_on"],
                                        currency=d.get("currency", "CNY"), reference=d.get("reference", ""),
                                        allocations=allocations)
        payment = Payment.objects.prefetch_related("allocations").get(pk=payment.pk)
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": inline_serializer("PaymentCsvUpload",
                                                                     {"file": serializers.FileField()})},
                   responses=inline_serializer("PaymentImportResult", {"created": AsciiIntegerField()}))
    @action(detail=False, methods=["post"], url_path="import")
    @idempotent
    def import_csv(self, request):
        return _csv_import(request, services.payments_import)


class ClaimPayoutViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ClaimPayoutSerializer
    action_permissions = {"list": "collection.view_claimpayout", "retrieve": "collection.view_claimpayout",
                          "create": "collection.add_claimpayout"}

    def get_queryset(self):
        return ClaimPayout.objects.visible_to(self.request.user).order_by("-paid_on", "-pk")

    @idempotent
    def create(self, request, *args, **kwargs):
        s = self.get_serializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        claim = services.claim_payout_create(actor=request.user, customer=_customer(request.user, d["customer_id"]),
                                             amount=d["amount"], currency=d.get("currency", "CNY"),
                                             paid_on=d["paid_on"], reason=d["reason"], kind=d.get("kind", "claim"),
                                             invoice=d.get("invoice_id"))
        return Response(ClaimPayoutSerializer(claim).data, status=status.HTTP_201_CREATED)


CASE_CHANGE = "collection.change_collectioncase"


class CaseViewSet(viewsets.ReadOnlyModelViewSet):
    """Collection cases; every transition is a POST action named after it (409 from the wrong state)."""

    serializer_class = CaseSerializer
    filterset_class = CaseFilterSet
    ordering_fields = ["opened_on", "next_action_on"]
    action_permissions = {
        "list": "collection.view_collectioncase", "retrieve": "collection.view_collectioncase",
        "create": "collection.add_collectioncase", "start": CASE_CHANGE, "escalate": CASE_CHANGE,
        "close": CASE_CHANGE, "mark_paid": CASE_CHANGE, "assign": CASE_CHANGE,
        "propose_writeoff": "collection.propose_writeoff", "recovery": "collection.add_payment",
    }

    def get_queryset(self):
        return (CollectionCase.objects.visible_to(self.request.user).select_related("assigned_to")
                .prefetch_related("invoices").order_by("opened_on", "pk"))

    def _done(self, case, code=status.HTTP_200_OK):
        return Response(CaseSerializer(self.get_queryset().get(pk=case.pk)).data, status=code)

    @extend_schema(request=CaseOpenSerializer, responses=CaseSerializer)
    def create(self, request):
        s = CaseOpenSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        collector = None
        if d.get("assigned_to"):
            collector = User.objects.filter(username=d["assigned_to"]).first()
            if collector is None:
                raise serializers.ValidationError({"assigned_to": [_("Unknown user.")]})
        case = services.case_open(actor=request.user, customer=_customer(request.user, d["customer"]),
                                  assigned_to=collector, note=d.get("note", ""))
        return self._done(case, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._done(services.case_start(actor=request.user, case=self.get_object()))

    @extend_schema(request=inline_serializer("Escalate", {"channel": serializers.CharField(
        help_text="agency, arbitration or litigation")}), responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        return self._done(services.case_escalate(actor=request.user, case=self.get_object(),
                                                 channel=request.data.get("channel", "")))

    @extend_schema(request=CollectionNoteSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._done(services.case_close(actor=request.user, case=self.get_object(),
                                              note=str(request.data.get("note", ""))))

    @extend_schema(request=None, responses=CaseSerializer)
    @action(detail=True, methods=["post"], url_path="mark-paid")
    def mark_paid(self, request, pk=None):
        return self._done(services.case_mark_paid(actor=request.user, case=self.get_object()))

    @extend_schema(request=inline_serializer("Assign", {"collector": serializers.CharField()}), responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        case = self.get_object()
        collector = User.objects.filter(username=request.data.get("collector", "")).first()
        if collector is None:
            raise serializers.ValidationError({"collector": ["Unknown user."]})
        return self._done(services.case_assign(actor=request.user, case=case, collector=collector))

    @extend_schema(request=inline_serializer("Propose", {"reason": serializers.CharField()}),
                   responses=WriteOffSerializer)
    @action(detail=True, methods=["post"], url_path="propose-writeoff")
    def propose_writeoff(self, request, pk=None):
        writeoff = services.writeoff_propose(actor=request.user, case=self.get_object(),
                                             reason=str(request.data.get("reason", "")))
        return Response(WriteOffSerializer(writeoff).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RecoverySerializer, responses={201: PaymentSerializer})
    @action(detail=True, methods=["post"])
    @idempotent
    def recovery(self, request, pk=None):
        case = self.get_object()
        s = RecoverySerializer(data=request.data)
        s.is_valid(raise_exception=True)
        payment = services.recovery_record(actor=request.user, case=case, **s.validated_data)
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


class WriteOffViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = WriteOffSerializer
    action_permissions = {"list": "collection.view_writeoff", "retrieve": "collection.view_writeoff",
                          "approve": "collection.approve_writeoff", "reject": "collection.approve_writeoff"}

    def get_queryset(self):
        return WriteOff.objects.visible_to(self.request.user).select_related("proposed_by", "decided_by")

    @extend_schema(request=CollectionNoteSerializer, responses=WriteOffSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def approve(self, request, pk=None):
        w = services.writeoff_approve(actor=request.user, writeoff=self.get_object(),
                                      note=str(request.data.get("note", "")))
        return Response(WriteOffSerializer(w).data)

    @extend_schema(request=CollectionNoteSerializer, responses=WriteOffSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        w = services.writeoff_reject(actor=request.user, writeoff=self.get_object(),
                                     note=str(request.data.get("note", "")))
        return Response(WriteOffSerializer(w).data)


class ActivityViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ActivitySerializer
    filterset_fields = ["case", "kind"]
    action_permissions = {"list": "collection.view_collectionactivity",
                          "retrieve": "collection.view_collectionactivity",
                          "create": "collection.add_collectionactivity"}

    def get_queryset(self):
        return CollectionActivity.objects.visible_to(self.request.user).select_related("created_by")

    def create(self, request, *args, **kwargs):
        s = self.get_serializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        activity = services.activity_add(actor=request.user, case=d["case"],
                                         kind=d["kind"], outcome=d["outcome"], occurred_on=d.get("occurred_on"),
                                         next_step=d.get("next_step", ""), next_action_on=d.get("next_action_on"))
        return Response(ActivitySerializer(activity).data, status=status.HTTP_201_CREATED)


class PromiseViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = PromiseSerializer
    filterset_fields = ["case", "state"]
    action_permissions = {"list": "collection.view_promisetopay", "retrieve": "collection.view_promisetopay",
                          "create": "collection.add_promisetopay"}

    def get_queryset(self):
        return PromiseToPay.objects.visible_to(self.request.user)

    def create(self, request, *args, **kwargs):
        s = self.get_serializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        promise = services.promise_add(actor=request.user, case=d["case"],
                                       promised_date=d["promised_date"], amount=d["amount"],
                                       currency=d.get("currency", "CNY"), note=d.get("note", ""))
        return Response(PromiseSerializer(promise).data, status=status.HTTP_201_CREATED)


class DunningPolicyChangeSerializer(serializers.ModelSerializer):
    """A proposed change of the dunning configuration: ``values`` (proposed) and ``previous`` (in force) of what
    it changes; it takes effect when another risk administrator approves it."""

    kind = serializers.CharField(read_only=True, help_text=", ".join(DunningChangeKind.values))
    state = serializers.CharField(read_only=True, help_text=", ".join(ChangeState.values))
    proposed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = DunningPolicyChange
        fields = ["id", "kind", "policy", "level", "state", "values", "previous", "proposed_by", "proposed_at",
                  "decided_by", "decided_at", "decision_note"]
        read_only_fields = fields


def _proposed(change):
    return proposed_response(change, DunningPolicyChangeSerializer)


class DunningPolicyViewSet(viewsets.ReadOnlyModelViewSet):
    """Dunning policies (everyone with collection read rights reads). A risk administrator's POST (new policy),
    PUT/PATCH (a change, activation included) and POST ``levels`` (a new level, or a change with ``id``) do not
    change the configuration: they answer 202 with a proposal (``dunning-policy-changes``) that takes effect when
    another risk administrator approves it (four-eyes)."""

    serializer_class = DunningPolicySerializer
    action_permissions = {"list": "collection.view_dunningpolicy", "retrieve": "collection.view_dunningpolicy",
                          "create": "collection.add_dunningpolicy", "update": "collection.change_dunningpolicy",
                          "partial_update": "collection.change_dunningpolicy",
                          "levels": "collection.change_dunningpolicy"}

    def get_queryset(self):
        return DunningPolicy.objects.prefetch_related("levels")

    @extend_schema(responses={202: DunningPolicyChangeSerializer})
    def create(self, request, *args, **kwargs):
        s = self.get_serializer(data=request.data)
        s.is_valid(raise_exception=True)
        return _proposed(services.dunning_policy_propose(actor=request.user, **s.validated_data))

    @extend_schema(responses={202: DunningPolicyChangeSerializer})
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        policy = self.get_object()
        s = self.get_serializer(policy, data=request.data, partial=partial)
        s.is_valid(raise_exception=True)
        return _proposed(services.dunning_policy_propose(actor=request.user, policy=policy, **s.validated_data))

    @extend_schema(responses={202: DunningPolicyChangeSerializer})
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(request=DunningLevelSerializer, responses={202: DunningPolicyChangeSerializer})
    @action(detail=True, methods=["post"])
    def levels(self, request, pk=None):
        policy = self.get_object()
        s = DunningLevelSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        level = None
        if request.data.get("id"):
            level = referenced_object(DunningLevel.objects.filter(policy=policy), request.data["id"], "id")
        return _proposed(services.dunning_level_propose(actor=request.user, policy=policy, level=level,
                                                        **s.validated_data))


class DunningPolicyChangeViewSet(ChangeViewSet):
    """Proposed changes of the dunning configuration (open ones first); another risk administrator than the
    proposer POSTs ``approve`` (it takes effect) or ``reject`` (with the reason in ``note``); the proposer may
    ``withdraw`` (the shared shape of ``proposals.api``)."""

    serializer_class = DunningPolicyChangeSerializer
    action_permissions = {"list": "collection.view_dunningpolicychange",
                          "retrieve": "collection.view_dunningpolicychange",
                          "approve": "collection.change_dunningpolicy", "reject": "collection.change_dunningpolicy",
                          "withdraw": "collection.change_dunningpolicy"}

    def get_queryset(self):
        return selectors.dunning_changes(self.request.user)


class DunningActionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = DunningActionSerializer
    filterset_fields = ["customer", "action", "outcome"]
    action_permissions = {"list": "collection.view_dunningaction", "retrieve": "collection.view_dunningaction"}

    def get_queryset(self):
        return DunningAction.objects.visible_to(self.request.user)


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
        from .filtersets import AgingFilterSet

        as_of = clock.today()
        qs = AgingFilterSet(request.GET or None, queryset=selectors.aging_queryset(user=request.user, as_of=as_of)).qs
        rows, _missing, finish = selectors.aging_by_customer(qs, as_of=as_of, sort=request.GET.get("sort", "-total"))
        from creditportal.core.api import StandardPagination

        paginator = StandardPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        portfolio = selectors.aging_portfolio(qs, as_of=as_of)

        def plain(row):
            return {k: (str(v) if v is not None and not isinstance(v, (int, str)) else v) for k, v in row.items()}

        response = paginator.get_paginated_response([plain(finish(r)) for r in page])
        response.data["portfolio"] = plain(portfolio)
        response.data["as_of"] = as_of.isoformat()
        return response



# --- dunning by grade (issue 23) -------------------------------------------------------------------------------

class DunningGradeSerializer(serializers.ModelSerializer):
    """A rating letter's dunning policy (letters without one are dunned by the active, default policy). A POST
    (``letter``, ``policy``: an id, or null for the default) answers 202 with a proposal (``proposals``) that takes
    effect when another risk administrator approves it."""

    policy = AsciiIntegerField(source="policy_id", allow_null=True, min_value=1,
                               help_text="The dunning policy's id (null: the default policy).")
    policy_name = serializers.CharField(source="policy.name", read_only=True)

    class Meta:
        model = DunningGradePolicy
        fields = ["id", "letter", "policy", "policy_name", "updated_at"]
        read_only_fields = ["id", "updated_at"]
        validators = []
        extra_kwargs = {"letter": {"validators": []}}


class DunningGradeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                          viewsets.GenericViewSet):
    serializer_class = DunningGradeSerializer
    filter_backends = []
    action_permissions = {"list": "collection.view_dunningpolicy", "retrieve": "collection.view_dunningpolicy",
                          "create": "collection.change_dunningpolicy"}

    def get_queryset(self):
        return DunningGradePolicy.objects.select_related("policy").order_by("letter")

    @extend_schema(responses={202: OpenApiTypes.OBJECT})
    def create(self, request, *args, **kwargs):
        s = self.get_serializer(data=request.data)
        s.is_valid(raise_exception=True)
        return proposed_response(services.dunning_grade_propose(actor=request.user, letter=s.validated_data["letter"],
                                                                policy=s.validated_data.get("policy_id")))


def register(router):
    router.register("invoices", InvoiceViewSet, basename="invoice")
    router.register("payments", PaymentViewSet, basename="payment")
    router.register("claim-payouts", ClaimPayoutViewSet, basename="claim-payout")
    router.register("collection-cases", CaseViewSet, basename="collection-case")
    router.register("write-offs", WriteOffViewSet, basename="write-off")
    router.register("activities", ActivityViewSet, basename="collection-activity")
    router.register("promises", PromiseViewSet, basename="promise")
    router.register("dunning-policies", DunningPolicyViewSet, basename="dunning-policy")
    router.register("dunning-policy-changes", DunningPolicyChangeViewSet, basename="dunning-policy-change")
    router.register("dunning-actions", DunningActionViewSet, basename="dunning-action")
    router.register("dunning-grades", DunningGradeViewSet, basename="dunning-grade")
    router.register("aging", AgingViewSet, basename="aging")
