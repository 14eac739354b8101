from django.urls import path
from django.utils.translation import gettext_lazy

from proposals.views import change_pages

from . import selectors, views
from .models import ScenarioChange

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
    *change_pages("scenarios/changes/", "scenario_change", namespace=app_name, model=ScenarioChange,
                  back=("provisions:scenario_list", gettext_lazy("Forward-looking scenarios")),
                  rows_id="scenario-change-rows", queryset_of=selectors.scenario_changes_for,
                  decide_permission="provisions.approve_scenarioset", withdraw_permission="provisions.add_scenarioset"),
    path("impaired/", views.AssessmentListView.as_view(), name="assessment_list"),
    path("impaired/<int:pk>/", views.AssessmentDetailView.as_view(), name="assessment_detail"),
    path("impaired/evidence/<int:pk>/", views.EvidenceDownloadView.as_view(), name="evidence_download"),
]
