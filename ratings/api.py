"""API of ratings: scales, models, ratings (with their explanation) and expert scores.

Viewsets are thin: querysets from ``visible_to``, writes through services, deny-by-default
``action_permissions``. A transition not allowed from the rating's state answers 409.
"""
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from creditportal.core.api import IntegerField as AsciiIntegerField
from creditportal.core.api import model_permissions, referenced_object, validated
from creditportal.core.querysets import VisibleRowsMixin
from customers.models import Customer

from . import services
from .filtersets import RatingApiFilterSet
from .models import ExpertScore, Rating, RatingFactor, RatingModel, RatingScale, ScaleGrade


# --- Scales -----------------------------------------------------------------------------------

class ScaleGradeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScaleGrade
        fields = ["position", "code", "letter", "min_score", "max_score", "pd", "meaning", "meaning_en"]
        read_only_fields = ["position"]


class RatingScaleSerializer(serializers.ModelSerializer):
    grades = ScaleGradeSerializer(many=True)

    class Meta:
        model = RatingScale
        fields = ["id", "code", "name", "name_en", "score_min", "score_max", "is_master", "grades", "created_at",
                  "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class RatingScaleViewSet(VisibleRowsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                         mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = RatingScaleSerializer
    action_permissions = model_permissions(RatingScale, "read", "create", "update")
    queryset = RatingScale.objects.prefetch_related("grades")

    def create(self, request, *args, **kwargs):
        data = validated(self.get_serializer(data=request.data))
        scale = services.scale_create(actor=request.user, code=data["code"], name=data["name"], grades=data["grades"],
                                      name_en=data.get("name_en", ""),
                                      score_min=data.get("score_min", "0"), score_max=data.get("score_max", "100"),
                                      is_master=data.get("is_master", False))
        return Response(self.get_serializer(self.get_queryset().get(pk=scale.pk)).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        scale = self.get_object()
        data = validated(self.get_serializer(scale, data=request.data, partial=kwargs.get("partial", False)))
        grades = data.get("grades") or [ScaleGradeSerializer(g).data for g in scale.grades.all()]
        services.scale_update(actor=request.user, scale=scale, name=data.get("name", scale.name), grades=grades,
                              name_en=data.get("name_en"))
        return Response(self.get_serializer(self.get_queryset().get(pk=scale.pk)).data)


# --- Models -----------------------------------------------------------------------------------

class RatingFactorSerializer(serializers.ModelSerializer):
    class Meta:
        model = RatingFactor
        fields = ["id", "position", "code", "name", "group", "kind", "source", "weight", "method", "direction",
                  "thresholds", "low", "high", "points", "missing_points"]


class RatingModelSerializer(serializers.ModelSerializer):
    factors = RatingFactorSerializer(many=True, read_only=True)
    scale = serializers.SlugRelatedField(slug_field="code", queryset=RatingScale.objects.all())
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    activated_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = RatingModel
        fields = ["id", "code", "version", "name", "name_en", "description", "scale", "industries", "sizes", "caps",
                  "behaviour_window_months", "behaviour_grace_days", "min_completeness", "min_experts", "state",
                  "factors", "created_by", "activated_by", "activated_at", "retired_at", "created_at"]
        read_only_fields = ["version", "state", "activated_at", "retired_at", "created_at"]


class RatingModelViewSet(VisibleRowsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                         mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = RatingModelSerializer
    filterset_fields = ["code", "state"]
    action_permissions = model_permissions(RatingModel, "read", "create", "update",
                                           new_version="ratings.add_ratingmodel",
                                           activate="ratings.approve_ratingmodel", retire="ratings.approve_ratingmodel",
                                           factors="ratings.add_ratingfactor")
    queryset = RatingModel.objects.select_related("scale", "created_by", "activated_by").prefetch_related("factors")

    def _out(self, model, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=model.pk)).data, status=code)

    def create(self, request, *args, **kwargs):
        d = validated(self.get_serializer(data=request.data))
        model = services.model_create(actor=request.user, code=d["code"], name=d["name"], scale=d["scale"],
                                      name_en=d.get("name_en", ""),
                                      description=d.get("description", ""), industries=d.get("industries", []),
                                      sizes=d.get("sizes", []), caps=d.get("caps", []),
                                      **{k: d[k] for k in services.MODEL_SETTINGS if k in d})
        return self._out(model, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        model = self.get_object()
        d = validated(self.get_serializer(model, data=request.data, partial=True))
        services.model_update(actor=request.user, model=model, name=d.get("name", model.name), name_en=d.get("name_en"),
                              description=d.get("description", model.description),
                              industries=d.get("industries", model.industries), sizes=d.get("sizes", model.sizes),
                              caps=d.get("caps"), **{k: d[k] for k in services.MODEL_SETTINGS if k in d})
        return self._out(model)

    @extend_schema(request=None, responses=RatingModelSerializer)
    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request, pk=None):
        return self._out(services.model_new_version(actor=request.user, model=self.get_object()),
                         status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=RatingModelSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        return self._out(services.model_activate(actor=request.user, model=self.get_object()))

    @extend_schema(request=None, responses=RatingModelSerializer)
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        return self._out(services.model_retire(actor=request.user, model=self.get_object()))

    @extend_schema(request=RatingFactorSerializer, responses=RatingModelSerializer)
    @action(detail=True, methods=["post"])
    def factors(self, request, pk=None):
        """Add a factor to a draft version (or change it: give the ``id`` of an existing one)."""
        model = self.get_object()
        data = validated(RatingFactorSerializer(data=request.data))
        factor = None
        if request.data.get("id"):
            factor = referenced_object(RatingFactor.objects.filter(model=model), request.data["id"], "id")
        services.factor_save(actor=request.user, model=model, factor=factor, **data)
        return self._out(model)


# --- Ratings ----------------------------------------------------------------------------------

class RatingSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    model = serializers.CharField(source="model.__str__", read_only=True)
    model_id = AsciiIntegerField(read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    submitted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    overridden_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    explanation = serializers.JSONField(source="result", read_only=True)
    behaviour = serializers.SerializerMethodField()
    is_expired = serializers.BooleanField(read_only=True)

    class Meta:
        model = Rating
        fields = ["id", "customer", "customer_name", "model", "model_id", "state", "origin", "score", "model_grade",
                  "grade", "letter", "pd", "override_grade", "override_reason", "overridden_by", "behaviour",
                  "explanation", "inputs", "inputs_sha256", "created_by", "submitted_by", "submitted_at",
                  "approved_by", "approved_at", "review_due", "is_expired", "decision_note",
                  "completeness_override_reason", "rationale", "created_at"]
        read_only_fields = fields

    def get_behaviour(self, rating) -> dict:
        b = rating.behaviour
        return {"letters": b.get("letters"), "result": b.get("result")}


class RatingCreateSerializer(serializers.Serializer):
    customer = AsciiIntegerField()


class RatingReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class RatingSubmitSerializer(serializers.Serializer):
    rationale = serializers.CharField(required=False, allow_blank=True, max_length=4000,
                                      help_text="The analyst's written reasons for the grade (required unless the "
                                                "rating already holds one).")


class RatingNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class RatingOverrideSerializer(serializers.Serializer):
    grade = serializers.CharField(allow_blank=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class RatingViewSet(VisibleRowsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = RatingSerializer
    filterset_class = RatingApiFilterSet
    action_permissions = model_permissions(Rating, "read", "create", submit="ratings.submit_rating",
                                           approve="ratings.approve_rating", return_="ratings.approve_rating",
                                           # A checker rejects a submitted rating; an analyst dismisses a
                                           # proposal (the service tells which).
                                           reject={"ratings.approve_rating", "ratings.change_rating"},
                                           override="ratings.override_rating", refresh_inputs="ratings.change_rating")
    queryset = (Rating.objects.select_related("customer", "model", "created_by", "submitted_by", "approved_by",
                                              "overridden_by").order_by("-created_at", "-id"))

    def _out(self, rating, code=status.HTTP_200_OK):
        return Response(RatingSerializer(self.get_queryset().get(pk=rating.pk)).data, status=code)

    @extend_schema(request=RatingCreateSerializer, responses=RatingSerializer)
    def create(self, request, *args, **kwargs):
        data = validated(RatingCreateSerializer(data=request.data))
        customer = referenced_object(Customer.objects.visible_to(request.user), data["customer"],
                                     "customer")
        return self._out(services.rating_start(actor=request.user, customer=customer), status.HTTP_201_CREATED)

    @extend_schema(request=RatingSubmitSerializer, responses=RatingSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        data = validated(RatingSubmitSerializer(data=request.data))
        return self._out(services.rating_submit(actor=request.user, rating=self.get_object(),
                                                rationale=data.get("rationale")))

    @extend_schema(request=RatingNoteSerializer, responses=RatingSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = validated(RatingNoteSerializer(data=request.data))
        return self._out(services.rating_approve(actor=request.user, rating=self.get_object(),
                                                 note=data["note"]))

    @extend_schema(request=RatingReasonSerializer, responses=RatingSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        data = validated(RatingReasonSerializer(data=request.data))
        return self._out(services.rating_return(actor=request.user, rating=self.get_object(),
                                                reason=data["reason"]))

    @extend_schema(request=RatingReasonSerializer, responses=RatingSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        data = validated(RatingReasonSerializer(data=request.data))
        return self._out(services.rating_reject(actor=request.user, rating=self.get_object(),
                                                reason=data["reason"]))

    @extend_schema(request=RatingOverrideSerializer, responses=RatingSerializer)
    @action(detail=True, methods=["post"])
    def override(self, request, pk=None):
        data = validated(RatingOverrideSerializer(data=request.data))
        return self._out(services.rating_override(actor=request.user, rating=self.get_object(),
                                                  grade=data["grade"],
                                                  reason=data["reason"]))

    @extend_schema(request=None, responses=RatingSerializer)
    @action(detail=True, methods=["post"], url_path="refresh-inputs")
    def refresh_inputs(self, request, pk=None):
        return self._out(services.rating_refresh_inputs(actor=request.user, rating=self.get_object()))


# --- Expert scores ----------------------------------------------------------------------------

class ExpertScoreSerializer(serializers.ModelSerializer):
    expert = serializers.SlugRelatedField(slug_field="username", read_only=True)
    rating = AsciiIntegerField(source="rating_id")

    class Meta:
        model = ExpertScore
        fields = ["id", "rating", "factor_code", "expert", "score", "comment", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class ExpertScoreViewSet(VisibleRowsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                         viewsets.GenericViewSet):
    """Scoring a factor again replaces the expert's own score (POST is an upsert)."""

    serializer_class = ExpertScoreSerializer
    filterset_fields = ["rating", "factor_code"]
    action_permissions = model_permissions(ExpertScore, "read", "create")
    queryset = ExpertScore.objects.select_related("expert").order_by("rating_id", "id")

    def create(self, request, *args, **kwargs):
        d = validated(self.get_serializer(data=request.data))
        rating = referenced_object(Rating.objects.visible_to(request.user), d["rating_id"], "rating")
        score = services.expert_score_set(actor=request.user, rating=rating, factor_code=d["factor_code"],
                                          score=d["score"], comment=d.get("comment", ""))
        return Response(self.get_serializer(score).data, status=status.HTTP_201_CREATED)


def register(router):
    router.register("rating-scales", RatingScaleViewSet, basename="rating-scale")
    router.register("rating-models", RatingModelViewSet, basename="rating-model")
    router.register("ratings", RatingViewSet, basename="rating")
    router.register("expert-scores", ExpertScoreViewSet, basename="expert-score")
