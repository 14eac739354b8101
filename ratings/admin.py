"""Read-only admin views: every write goes through the services (and the audit trail)."""
from django.contrib import admin

from .models import (BehaviourInput, ExpertScore, Rating, RatingBatch, RatingFactor, RatingModel, RatingScale,
                     RatingsPolicy, ScaleGrade)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
