from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.AuditEventListView.as_view(), name="event_list"),
    path("chain/", views.AuditChainView.as_view(), name="chain"),
    path("chain/check/", views.AuditChainCheckView.as_view(), name="chain_check"),
    path("export.csv", views.AuditEventExportView.as_view(), name="event_export"),
]
