"""The insurance API: policies and uninsured caps (a write proposes: 202 with the proposal, four-eyes), buyer
limits, notifications to the insurer, claims, and the insured / uninsured split of a customer's exposure."""
from __future__ import annotations

from django.conf import settings
from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from creditportal.core import clock
from creditportal.core.api import DecimalField as AsciiDecimalField
from creditportal.core.api import IntegerField as AsciiIntegerField
from creditportal.core.api import ServiceWritesMixin, VisibleRelatedField, model_permissions, validated
from creditportal.core.money import CURRENCIES
from creditportal.core.querysets import VisibleRowsMixin
from customers.models import Customer
from proposals.api import proposed_response

from . import selectors, services
from .models import GRADES, BuyerLimit, InsuranceClaim, InsurancePolicy, InsurerNotification

CURRENCY_CODES = [code for code, _label in CURRENCIES]


class InsurancePolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = InsurancePolicy
        fields = ["id", "insurer", "policy_number", "insured_share", "max_credit_days", "notification_days",
                  "claim_days", "valid_from", "valid_to", "currency", "notes"]


class InsurancePolicyProposeSerializer(serializers.Serializer):
    policy_number = serializers.CharField(max_length=60)
    insurer = serializers.CharField(max_length=200)
    insured_share = AsciiDecimalField(max_digits=5, decimal_places=2)
    max_credit_days = AsciiIntegerField()
    notification_days = AsciiIntegerField()
    claim_days = AsciiIntegerField()
    valid_from = serializers.DateField()
    valid_to = serializers.DateField()
    currency = serializers.ChoiceField(choices=CURRENCY_CODES, default="CNY")
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class InsurancePolicyViewSet(VisibleRowsMixin, viewsets.ReadOnlyModelViewSet):
    """Insurance policies; ``POST propose`` proposes a new one or a change (keyed by the policy number)."""

    serializer_class = InsurancePolicySerializer
    action_permissions = model_permissions(
        InsurancePolicy, "read", propose={"insurance.add_insurancepolicy", "insurance.change_insurancepolicy"},
        caps="insurance.view_uninsuredcap", propose_caps="insurance.change_uninsuredcap")
    queryset = InsurancePolicy.objects.order_by("policy_number")

    @extend_schema(request=InsurancePolicyProposeSerializer, responses={202: None})
    @action(detail=False, methods=["post"])
    def propose(self, request):
        data = validated(InsurancePolicyProposeSerializer(data=request.data))
        return proposed_response(services.policy_propose(actor=request.user, **data))

    @extend_schema(responses=inline_serializer("UninsuredCaps", {"caps": serializers.DictField()}))
    @action(detail=False, methods=["get"])
    def caps(self, request):
        return Response({"caps": {g: str(a) for g, a in selectors.uninsured_caps().items()},
                         "currency": settings.REPORTING_CURRENCY})

    @extend_schema(request=inline_serializer("UninsuredCapsProposal", {"caps": serializers.DictField()}),
                   responses={202: None})
    @caps.mapping.post
    def propose_caps(self, request):
        caps = request.data.get("caps")
        if not isinstance(caps, dict) or any(not isinstance(v, (str, type(None))) for v in caps.values()):
            raise serializers.ValidationError({"caps": ["{grade: amount as text, or null}"]})
        unknown = [g for g in caps if g not in GRADES]
        if unknown:
            raise serializers.ValidationError({"caps": [f"unknown grade: {', '.join(unknown)}"]})
        return proposed_response(services.uninsured_caps_propose(actor=request.user, caps=caps))


class BuyerLimitSerializer(serializers.ModelSerializer):
    policy = VisibleRelatedField(InsurancePolicy)
    customer = VisibleRelatedField(Customer)
    amount = AsciiDecimalField(max_digits=18, decimal_places=2)

    class Meta:
        model = BuyerLimit
        fields = ["id", "policy", "customer", "amount", "currency", "valid_from", "valid_to", "conditions",
                  "insurer_reference", "state", "decided_on"]
        read_only_fields = ["valid_from", "valid_to", "insurer_reference", "state", "decided_on"]


class BuyerLimitActionSerializer(serializers.Serializer):
    amount = AsciiDecimalField(max_digits=18, decimal_places=2, required=False)
    valid_from = serializers.DateField(required=False)
    valid_to = serializers.DateField(required=False, allow_null=True)
    decided_on = serializers.DateField(required=False, allow_null=True)
    conditions = serializers.CharField(required=False, allow_blank=True)
    insurer_reference = serializers.CharField(required=False, allow_blank=True, max_length=100)
    note = serializers.CharField(required=False, allow_blank=True)


class BuyerLimitViewSet(VisibleRowsMixin, ServiceWritesMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Buyer limits: ``POST`` records a request to the insurer; ``grant``, ``reduce``, ``withdraw`` record its
    decisions."""

    serializer_class = BuyerLimitSerializer
    action_permissions = model_permissions(BuyerLimit, "read", "create", grant="insurance.change_buyerlimit",
                                           reduce="insurance.change_buyerlimit", withdraw="insurance.change_buyerlimit")
    queryset = BuyerLimit.objects.select_related("policy").order_by("-id")

    def create(self, request, *args, **kwargs):
        return self.created(request, lambda d: services.buyer_limit_request(
            actor=request.user, policy=d["policy"], customer=d["customer"], amount=d["amount"],
            currency=d.get("currency"), conditions=d.get("conditions", "")))

    def _act(self, request, call):
        return self.acted(request, BuyerLimitActionSerializer, call)

    @extend_schema(request=BuyerLimitActionSerializer)
    @action(detail=True, methods=["post"])
    def grant(self, request, pk=None):
        return self._act(request, lambda limit, d: services.buyer_limit_grant(
            actor=request.user, limit=limit, amount=d.get("amount"), valid_from=d.get("valid_from"),
            valid_to=d.get("valid_to"), decided_on=d.get("decided_on"), conditions=d.get("conditions"),
            insurer_reference=d.get("insurer_reference", "")))

    @extend_schema(request=BuyerLimitActionSerializer)
    @action(detail=True, methods=["post"])
    def reduce(self, request, pk=None):
        return self._act(request, lambda limit, d: services.buyer_limit_reduce(
            actor=request.user, limit=limit, amount=d.get("amount"), decided_on=d.get("decided_on"),
            conditions=d.get("conditions")))

    @extend_schema(request=BuyerLimitActionSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._act(request, lambda limit, d: services.buyer_limit_withdraw(
            actor=request.user, limit=limit, decided_on=d.get("decided_on"), note=d.get("note", "")))


def _invoice_field():
    from collection.models import Invoice

    return VisibleRelatedField(Invoice)


class InsurerNotificationSerializer(serializers.ModelSerializer):
    invoice = _invoice_field()

    class Meta:
        model = InsurerNotification
        fields = ["id", "policy", "customer", "invoice", "notified_on", "reference", "note"]
        read_only_fields = ["policy", "customer"]


class InsurerNotificationViewSet(VisibleRowsMixin, ServiceWritesMixin, mixins.CreateModelMixin,
                                 viewsets.ReadOnlyModelViewSet):
    serializer_class = InsurerNotificationSerializer
    action_permissions = model_permissions(InsurerNotification, "read", "create")
    queryset = InsurerNotification.objects.order_by("-notified_on", "-id")

    def create(self, request, *args, **kwargs):
        return self.created(request, lambda d: services.notification_record(
            actor=request.user, invoice=d["invoice"], notified_on=d["notified_on"], reference=d["reference"],
            note=d.get("note", "")))


class InsuranceClaimSerializer(serializers.ModelSerializer):
    invoice = _invoice_field()
    amount = AsciiDecimalField(max_digits=18, decimal_places=2)

    class Meta:
        model = InsuranceClaim
        fields = ["id", "policy", "customer", "invoice", "filed_on", "amount", "currency", "reference", "state",
                  "paid_amount", "paid_on", "claim_payout", "write_off", "note"]
        read_only_fields = ["policy", "customer", "currency", "state", "paid_amount", "paid_on", "claim_payout",
                            "write_off"]


class InsuranceClaimActionSerializer(serializers.Serializer):
    reference = serializers.CharField(required=False, allow_blank=True, max_length=100)
    note = serializers.CharField(required=False, allow_blank=True)
    paid_amount = AsciiDecimalField(max_digits=18, decimal_places=2, required=False)
    paid_on = serializers.DateField(required=False)
    claim_payout = AsciiIntegerField(required=False, allow_null=True)
    write_off = AsciiIntegerField(required=False, allow_null=True)


class InsuranceClaimViewSet(VisibleRowsMixin, ServiceWritesMixin, mixins.CreateModelMixin,
                            viewsets.ReadOnlyModelViewSet):
    """Claims filed with the insurer; ``accept``, ``reject``, ``pay`` record its answer; ``link`` ties the claim to
    collection's claim payout and write-off."""

    serializer_class = InsuranceClaimSerializer
    action_permissions = model_permissions(InsuranceClaim, "read", "create", accept="insurance.change_insuranceclaim",
                                           reject="insurance.change_insuranceclaim",
                                           pay="insurance.change_insuranceclaim",
                                           link="insurance.change_insuranceclaim")
    queryset = InsuranceClaim.objects.order_by("-filed_on", "-id")

    def create(self, request, *args, **kwargs):
        return self.created(request, lambda d: services.claim_file(
            actor=request.user, invoice=d["invoice"], amount=d["amount"], filed_on=d["filed_on"],
            reference=d.get("reference", ""), note=d.get("note", "")))

    def _act(self, request, call):
        return self.acted(request, InsuranceClaimActionSerializer, call)

    @extend_schema(request=InsuranceClaimActionSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._act(request, lambda c, d: services.claim_accept(actor=request.user, claim=c,
                                                                     reference=d.get("reference", "")))

    @extend_schema(request=InsuranceClaimActionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._act(request, lambda c, d: services.claim_reject(actor=request.user, claim=c,
                                                                     note=d.get("note", "")))

    @extend_schema(request=InsuranceClaimActionSerializer)
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        return self._act(request, lambda c, d: services.claim_pay(actor=request.user, claim=c,
                                                                  paid_amount=d.get("paid_amount"),
                                                                  paid_on=d.get("paid_on")))

    @extend_schema(request=InsuranceClaimActionSerializer)
    @action(detail=True, methods=["post"])
    def link(self, request, pk=None):
        from collection.models import ClaimPayout, WriteOff

        def call(claim, d):
            payout = write_off = None
            if d.get("claim_payout"):
                payout = ClaimPayout.objects.visible_to(request.user).filter(pk=d["claim_payout"]).first()
                if payout is None:
                    raise serializers.ValidationError({"claim_payout": ["unknown"]})
            if d.get("write_off"):
                write_off = WriteOff.objects.visible_to(request.user).filter(pk=d["write_off"]).first()
                if write_off is None:
                    raise serializers.ValidationError({"write_off": ["unknown"]})
            return services.claim_link(actor=request.user, claim=claim, claim_payout=payout, write_off=write_off)
        return self._act(request, call)


class InsuranceCoverageViewSet(viewsets.GenericViewSet):
    """``GET insurance-coverage/<customer id>/``: the customer's exposure split into its insured and uninsured
    parts today (reporting currency)."""

    action_permissions = {"retrieve": "insurance.view_buyerlimit"}
    queryset = Customer.objects.none()

    @extend_schema(responses=inline_serializer("InsuranceCoverage", {
        "customer": serializers.IntegerField(), "currency": serializers.CharField(),
        "exposure": serializers.CharField(), "covered": serializers.CharField(), "insured": serializers.CharField(),
        "uninsured": serializers.CharField(), "insured_share": serializers.CharField(allow_null=True)}))
    def retrieve(self, request, pk=None):
        customer = Customer.objects.visible_to(request.user).filter(pk=pk).first() if str(pk).isdigit() else None
        if customer is None:
            raise Http404
        split = selectors.coverage_by_customer([customer.pk], on_date=clock.today())[customer.pk]
        share = split.insured_share
        return Response({"customer": customer.pk, "currency": settings.REPORTING_CURRENCY,
                         "exposure": str(split.exposure), "covered": str(split.covered),
                         "insured": str(split.insured), "uninsured": str(split.uninsured),
                         "insured_share": None if share is None else str(share)})


def register(router):
    router.register("insurance-policies", InsurancePolicyViewSet, basename="insurance-policy")
    router.register("buyer-limits", BuyerLimitViewSet, basename="buyer-limit")
    router.register("insurer-notifications", InsurerNotificationViewSet, basename="insurer-notification")
    router.register("insurance-claims", InsuranceClaimViewSet, basename="insurance-claim")
    router.register("insurance-coverage", InsuranceCoverageViewSet, basename="insurance-coverage")
