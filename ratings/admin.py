"""Read-only admin views: every write goes through the services (and the audit trail)."""
from django.contrib import admin

from creditportal.core.readonly_admin import ReadOnlyAdmin

from .models import (BehaviourInput, ExpertScore, Rating, RatingBatch, RatingFactor, RatingModel, RatingScale,
                     RatingsPolicy, ScaleGrade)


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ["customer", "grade", "letter", "score", "state", "created_by", "approved_by", "review_due"]
    list_filter = ["state", "letter"]
    list_select_related = ["customer", "created_by", "approved_by"]


@admin.register(RatingModel)
class RatingModelAdmin(ReadOnlyAdmin):
    list_display = ["code", "version", "name", "state", "activated_by"]


for model in (RatingScale, ScaleGrade, RatingFactor, ExpertScore, BehaviourInput, RatingsPolicy, RatingBatch):
    admin.site.register(model, ReadOnlyAdmin)
