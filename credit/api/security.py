"""API of the security tables (issue 23): the haircut table by collateral type and the guarantors' recovery
factors by grade. GET lists the table in force; POST proposes a change and answers 202 with the proposal
(four-eyes: it applies once another risk administrator approves it through the ``…-changes`` routes)."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from creditportal.core.api import DecimalField as AsciiDecimalField, IntegerField as AsciiIntegerField
from creditportal.core.api import validated
from proposals.api import CHANGE_FIELDS, ChangeSerializer, ChangeViewSet, change_permissions, proposed_response

from .. import security, services
from ..models import Collateral, CollateralHaircutChange, RecoveryFactorChange
from ..services.collateral import HAIRCUT_PERMISSION, RECOVERY_PERMISSION


class HaircutRowSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Collateral.Kind.choices)
    haircut = AsciiDecimalField(max_digits=5, decimal_places=4, min_value=0, max_value=1)
    revaluation_months = AsciiIntegerField(min_value=1, max_value=120)


class HaircutTableSerializer(serializers.Serializer):
    rows = HaircutRowSerializer(many=True, help_text="The types that change (the others stay as they are).")


class RecoveryRowSerializer(serializers.Serializer):
    grade = serializers.CharField(max_length=8, help_text="A master-scale grade or 'unrated'.")
    factor = AsciiDecimalField(max_digits=5, decimal_places=4, min_value=0, max_value=1)


class RecoveryTableSerializer(serializers.Serializer):
    factors = RecoveryRowSerializer(many=True, help_text="The grades that change.")


class HaircutChangeSerializer(ChangeSerializer):
    class Meta(ChangeSerializer.Meta):
        model = CollateralHaircutChange
        fields = ["id", *CHANGE_FIELDS]
        read_only_fields = fields


class RecoveryChangeSerializer(HaircutChangeSerializer):
    class Meta(HaircutChangeSerializer.Meta):
        model = RecoveryFactorChange


class CollateralHaircutViewSet(viewsets.ViewSet):
    """The haircut and revaluation interval (months) of each collateral type in force; POST proposes."""

    action_permissions = {"list": "credit.view_collateralhaircut", "create": HAIRCUT_PERMISSION}

    @extend_schema(responses=HaircutRowSerializer(many=True))
    def list(self, request):
        table = security.current_haircuts()
        return Response([{"kind": kind, "haircut": str(table[kind][0]), "revaluation_months": table[kind][1]}
                         for kind in Collateral.Kind.values])

    @extend_schema(request=HaircutTableSerializer, responses={202: HaircutChangeSerializer})
    def create(self, request):
        data = validated(HaircutTableSerializer(data=request.data))
        table = {row["kind"]: {"haircut": row["haircut"], "revaluation_months": row["revaluation_months"]}
                 for row in data["rows"]}
        return proposed_response(services.haircuts_propose(actor=request.user, table=table), HaircutChangeSerializer)


class RecoveryFactorViewSet(viewsets.ViewSet):
    """The recovery factor of a guarantee by the guarantor's grade in force (``unrated`` included); POST
    proposes."""

    action_permissions = {"list": "credit.view_recoveryfactor", "create": RECOVERY_PERMISSION}

    @extend_schema(responses=RecoveryRowSerializer(many=True))
    def list(self, request):
        factors = security.current_recovery_factors()
        return Response([{"grade": grade, "factor": str(factors[grade])} for grade in security.recovery_grades()])

    @extend_schema(request=RecoveryTableSerializer, responses={202: RecoveryChangeSerializer})
    def create(self, request):
        data = validated(RecoveryTableSerializer(data=request.data))
        factors = {row["grade"]: row["factor"] for row in data["factors"]}
        return proposed_response(services.recovery_factors_propose(actor=request.user, factors=factors),
                                 RecoveryChangeSerializer)


class HaircutChangeViewSet(ChangeViewSet):
    """Proposed haircut tables; another risk administrator than the proposer approves or rejects."""

    serializer_class = HaircutChangeSerializer
    action_permissions = change_permissions(CollateralHaircutChange, decide=HAIRCUT_PERMISSION)


class RecoveryChangeViewSet(ChangeViewSet):
    """Proposed recovery factors; another risk administrator than the proposer approves or rejects."""

    serializer_class = RecoveryChangeSerializer
    action_permissions = change_permissions(RecoveryFactorChange, decide=RECOVERY_PERMISSION)
