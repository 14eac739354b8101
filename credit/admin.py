"""Read-only admin views of the credit data (every write goes through the services and pages/API)."""
from django.contrib import admin

from creditportal.core.readonly_admin import ReadOnlyAdmin

from .models import (
    ApproverAuthority,
    AuthorityLevel,
    CovenantBreach,
    CreditApplication,
    CreditPolicy,
    Delegation,
    Facility,
    GroupLimit,
    Order,
)


@admin.register(CreditApplication)
class CreditApplicationAdmin(ReadOnlyAdmin):
    list_display = ["id", "customer", "application_type", "amount", "currency", "status", "current_level",
                    "required_levels", "created_at"]
    list_filter = ["status", "application_type", "product"]
    search_fields = ["customer__name"]


@admin.register(Facility)
class FacilityAdmin(ReadOnlyAdmin):
    list_display = ["id", "customer", "limit", "currency", "start_date", "expiry_date", "status"]
    list_filter = ["status"]


for model in (CreditPolicy, AuthorityLevel, ApproverAuthority, Delegation, GroupLimit, Order, CovenantBreach):
    admin.site.register(model, ReadOnlyAdmin)
