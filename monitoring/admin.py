"""Read-only admin: every write goes through ``monitoring.services`` (pages and API)."""
from django.contrib import admin

from creditportal.core.readonly_admin import ReadOnlyAdmin

from .models import Alert, AssetClassification, ProvisionRate, ProvisionRun, WarningRule, WarningRuleChange, WatchlistEntry


@admin.register(WarningRule)
class WarningRuleAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "metric", "comparison", "threshold", "severity", "enabled"]


@admin.register(WarningRuleChange)
class WarningRuleChangeAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "code", "state", "proposed_by", "proposed_at", "decided_by"]
    list_filter = ["state", "kind"]


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["id", "rule", "customer", "severity", "status", "raised_on", "last_seen_on"]
    list_filter = ["status", "severity"]
    list_select_related = ["rule", "customer"]


@admin.register(WatchlistEntry)
class WatchlistEntryAdmin(ReadOnlyAdmin):
    list_display = ["customer", "owner", "since", "until"]
    list_select_related = ["customer", "owner"]


@admin.register(AssetClassification)
class AssetClassificationAdmin(ReadOnlyAdmin):
    list_display = ["customer", "period", "days_past_due", "floor_tier", "tier", "status"]
    list_filter = ["period", "tier", "status"]
    list_select_related = ["customer"]


@admin.register(ProvisionRate)
class ProvisionRateAdmin(ReadOnlyAdmin):
    list_display = ["tier", "rate"]


@admin.register(ProvisionRun)
class ProvisionRunAdmin(ReadOnlyAdmin):
    list_display = ["period", "customer_count", "total_exposure", "total_provision", "run_at"]
