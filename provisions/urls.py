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
    path("scenarios/changes/<int:pk>/", views.ScenarioChangeDetailView.as_view(), name="scenario_change_detail"),
    path("scenarios/changes/<int:pk>/approve/", views.ScenarioChangeDecideView.as_view(action="approve"),
         name="scenario_change_approve"),
    path("scenarios/changes/<int:pk>/reject/", views.ScenarioChangeDecideView.as_view(action="reject"),
         name="scenario_change_reject"),
    path("scenarios/changes/<int:pk>/withdraw/", views.ScenarioChangeDecideView.as_view(action="withdraw"),
         name="scenario_change_withdraw"),
    path("impaired/", views.AssessmentListView.as_view(), name="assessment_list"),
    path("impaired/<int:pk>/", views.AssessmentDetailView.as_view(), name="assessment_detail"),
    path("impaired/evidence/<int:pk>/", views.EvidenceDownloadView.as_view(), name="evidence_download"),
]
