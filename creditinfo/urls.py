from django.urls import path

from . import views

app_name = "creditinfo"
urlpatterns = [
    path("customers/<int:pk>/import/", views.OutsideImportView.as_view(), name="import"),
    path("imports/<int:pk>/file/", views.OutsideImportFileView.as_view(), name="import_file"),
    path("template.xlsx", views.OutsideTemplateView.as_view(), name="template"),
    path("group-suggestions/", views.GroupSuggestionListView.as_view(), name="group_suggestions"),
    path("group-suggestions/confirm/", views.GroupSuggestionConfirmView.as_view(), name="group_suggestion_confirm"),
]
