from django.urls import path

from . import statement_views, views
from .pickers import CustomerPickerView, GroupPickerView

app_name = "customers"
urlpatterns = [
    path("", views.CustomerListView.as_view(), name="customer_list"),
    path("new/", views.CustomerCreateView.as_view(), name="customer_create"),
    path("pick/", CustomerPickerView.as_view(), name="pick"),
    path("groups/pick/", GroupPickerView.as_view(), name="pick_group"),
    path("<int:pk>/", views.CustomerDetailView.as_view(), name="customer_detail"),
    path("<int:pk>/edit/", views.CustomerEditView.as_view(), name="customer_edit"),
    path("<int:pk>/reassign/", views.CustomerReassignView.as_view(), name="customer_reassign"),
    path("<int:pk>/suspend/", views.CustomerSuspendView.as_view(), name="customer_suspend"),
    path("<int:pk>/resume/", views.CustomerResumeView.as_view(), name="customer_resume"),
    path("<int:pk>/contacts/new/", views.ContactFormView.as_view(), name="contact_create"),
    path("contacts/<int:child_pk>/edit/", views.ContactFormView.as_view(), name="contact_edit"),
    path("contacts/<int:child_pk>/delete/", views.ContactDeleteView.as_view(), name="contact_delete"),
    path("<int:pk>/documents/new/", views.DocumentUploadView.as_view(), name="document_upload"),
    path("documents/<int:child_pk>/download/", views.DocumentDownloadView.as_view(), name="document_download"),
    path("documents/<int:child_pk>/delete/", views.DocumentDeleteView.as_view(), name="document_delete"),
    path("<int:pk>/negative-records/new/", views.NegativeRecordFormView.as_view(), name="negative_record_create"),
    path("negative-records/<int:child_pk>/edit/", views.NegativeRecordFormView.as_view(), name="negative_record_edit"),
    path("<int:pk>/statements/new/", views.StatementFormView.as_view(), name="statement_create"),
    path("statements/<int:child_pk>/edit/", views.StatementFormView.as_view(), name="statement_edit"),
    path("<int:pk>/statements/import/", views.StatementImportView.as_view(), name="statement_import"),
    path("statements/template.<str:fmt>", views.StatementTemplateView.as_view(), name="statement_template"),
    # the detailed statements (issue 24): three-year view with peers, spreading from an XLSX in two steps
    path("<int:pk>/statements/three-years/", statement_views.StatementComparisonView.as_view(),
         name="statement_comparison"),
    path("<int:pk>/statements/sheet/", statement_views.StatementSheetView.as_view(), name="statement_sheet"),
    path("<int:pk>/statements/sheet/confirm/", statement_views.StatementSheetConfirmView.as_view(),
         name="statement_sheet_confirm"),
    path("statements/sheet-template.xlsx", statement_views.StatementSheetTemplateView.as_view(),
         name="statement_sheet_template"),
    path("groups/", views.GroupListView.as_view(), name="group_list"),
    path("groups/new/", views.GroupFormView.as_view(), name="group_create"),
    path("groups/<int:pk>/", views.GroupDetailView.as_view(), name="group_detail"),
    path("groups/<int:pk>/edit/", views.GroupFormView.as_view(), name="group_edit"),
]
