from django.urls import path

from . import views

app_name = "provisions"
urlpatterns = [
    path("", views.RunListView.as_view(), name="run_list"),
    path("runs/new/", views.RunProposeView.as_view(), name="run_propose"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run_detail"),
    path("runs/<int:pk>/approve/", views.RunApproveView.as_view(), name="run_approve"),
    path("runs/<int:pk>/reject/", views.RunRejectView.as_view(), name="run_reject"),
    path("runs/<int:pk>/lock/", views.RunLockView.as_view(), name="run_lock"),
    path("runs/<int:pk>/disclosure.xlsx", views.DisclosureXlsxView.as_view(), name="disclosure_xlsx"),
    path("runs/<int:pk>/disclosure.pdf", views.DisclosurePdfView.as_view(), name="disclosure_pdf"),
    path("snapshots/", views.SnapshotListView.as_view(), name="snapshot_list"),
    path("scenarios/", views.ScenarioListView.as_view(), name="scenario_list"),
    path("scenarios/<int:pk>/approve/", views.ScenarioApproveView.as_view(), name="scenario_approve"),
    path("scenarios/<int:pk>/reject/", views.ScenarioRejectView.as_view(), name="scenario_reject"),
    path("impaired/", views.AssessmentListView.as_view(), name="assessment_list"),
]
