"""Read-only admin views: every write goes through the services (and the audit trail)."""
from django.contrib import admin

from .models import Contact, Customer, CustomerDocument, CustomerGroup, FinancialStatement, NegativeRecord


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ["name", "credit_code", "industry_section", "size", "status", "relationship_manager"]
    list_filter = ["status", "size", "industry_section"]
    search_fields = ["name", "name_en", "credit_code"]


for model in (CustomerGroup, Contact, CustomerDocument, NegativeRecord, FinancialStatement):
    admin.site.register(model, ReadOnlyAdmin)
