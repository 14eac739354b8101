from django.urls import path

from . import views

app_name = "validation"
urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("runs/new/", views.RunCreateView.as_view(), name="run_create"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run_detail"),
    path("runs/<int:pk>/report.pdf", views.RunReportView.as_view(), name="run_report"),
    path("simulations/new/", views.SimulationCreateView.as_view(), name="simulation_create"),
    path("simulations/<int:pk>/", views.SimulationDetailView.as_view(), name="simulation_detail"),
    path("simulations/<int:pk>/progress/", views.SimulationProgressView.as_view(), name="simulation_progress"),
    path("simulations/<int:pk>/activate-model/", views.ActivateModelView.as_view(), name="activate_model"),
    path("simulations/<int:pk>/activate-policy/", views.ActivatePolicyView.as_view(), name="activate_policy"),
    path("outcomes/import/", views.OutcomeImportView.as_view(), name="outcome_import"),
    path("ecl-backtest/", views.EclBacktestView.as_view(), name="ecl_backtest"),
    path("default-definition/", views.DefaultDefinitionView.as_view(), name="default_definition"),
]
