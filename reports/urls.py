from django.urls import path

from . import views
from .statement_views import StatementOfAccountView

app_name = "reports"
urlpatterns = [
    path("", views.WorkspaceView.as_view(), name="workspace"),
    path("ratings/<int:pk>/report.pdf", views.RatingReportDownloadView.as_view(), name="rating_report"),
    path("applications/<int:pk>/memo.pdf", views.MemoDownloadView.as_view(), name="approval_memo"),
    path("customers/<int:pk>/statement.pdf", StatementOfAccountView.as_view(), name="statement_of_account"),
    path("portfolio/", views.PortfolioListView.as_view(), name="portfolio_list"),
    path("portfolio/<int:year>-<int:month>.pdf", views.PortfolioDownloadView.as_view(), name="portfolio_report"),
    path("stored/", views.StoredReportListView.as_view(), name="stored_list"),
    path("stored/<int:pk>/download", views.StoredReportDownloadView.as_view(), name="stored_download"),
    path("batches/", views.BatchListView.as_view(), name="batch_list"),
    path("batches/request", views.BatchRequestView.as_view(), name="batch_request"),
    path("batches/<int:pk>/", views.BatchDetailView.as_view(), name="batch_detail"),
    path("batches/<int:pk>/download", views.BatchDownloadView.as_view(), name="batch_download"),
]
