"""Read-only admin views of the insurance data (every write goes through the services and pages/API)."""
from django.contrib import admin

from creditportal.core.readonly_admin import ReadOnlyAdmin

from .models import BuyerLimit, InsuranceClaim, InsurancePolicy, InsurerNotification, UninsuredCap


@admin.register(InsurancePolicy)
class InsurancePolicyAdmin(ReadOnlyAdmin):
    list_display = ["policy_number", "insurer", "insured_share", "notification_days", "claim_days", "valid_from",
                    "valid_to"]


@admin.register(UninsuredCap)
class UninsuredCapAdmin(ReadOnlyAdmin):
    list_display = ["grade", "max_uninsured"]


@admin.register(BuyerLimit)
class BuyerLimitAdmin(ReadOnlyAdmin):
    list_display = ["id", "customer", "policy", "amount", "currency", "valid_from", "valid_to", "state"]
    list_filter = ["state"]
    search_fields = ["customer__name"]


@admin.register(InsurerNotification)
class InsurerNotificationAdmin(ReadOnlyAdmin):
    list_display = ["id", "customer", "invoice", "notified_on", "reference"]


@admin.register(InsuranceClaim)
class InsuranceClaimAdmin(ReadOnlyAdmin):
    list_display = ["id", "customer", "invoice", "filed_on", "amount", "currency", "state"]
    list_filter = ["state"]
