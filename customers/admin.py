"""Read-only admin views: every write goes through the services (and the audit trail)."""
from django.contrib import admin

from creditportal.core.readonly_admin import ReadOnlyAdmin

from .models import Contact, Customer, CustomerDocument, CustomerGroup, FinancialStatement, NegativeRecord


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ["name", "credit_code", "industry_section", "size", "status", "relationship_manager"]
    list_filter = ["status", "size", "industry_section"]
    search_fields = ["name", "name_en", "credit_code"]


for model in (CustomerGroup, Contact, CustomerDocument, NegativeRecord, FinancialStatement):
    admin.site.register(model, ReadOnlyAdmin)
