from django.urls import path

from . import views
from .trend_views import TrendView

app_name = "monitoring"
urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("exposure/", views.ExposureListView.as_view(), name="exposure_list"),
    path("trends/", TrendView.as_view(), name="trends"),
    path("alerts/", views.AlertListView.as_view(), name="alert_list"),
    path("alerts/<int:pk>/", views.AlertDetailView.as_view(), name="alert_detail"),
    path("alerts/<int:pk>/action/", views.AlertStartActionView.as_view(), name="alert_action"),
    path("alerts/<int:pk>/watch/", views.AlertWatchView.as_view(), name="alert_watch"),
    path("alerts/<int:pk>/<slug:transition>/", views.AlertTransitionView.as_view(), name="alert_transition"),
    path("rules/", views.RuleListView.as_view(), name="rule_list"),
    path("rules/new/", views.RuleFormView.as_view(), name="rule_create"),
    path("rules/<int:pk>/", views.RuleFormView.as_view(), name="rule_edit"),
    path("rules/changes/<int:pk>/", views.RuleChangeDetailView.as_view(), name="rule_change_detail"),
    path("rules/changes/<int:pk>/approve/", views.RuleChangeDecideView.as_view(action="approve"),
         name="rule_change_approve"),
    path("rules/changes/<int:pk>/reject/", views.RuleChangeDecideView.as_view(action="reject"),
         name="rule_change_reject"),
    path("rules/changes/<int:pk>/withdraw/", views.RuleChangeDecideView.as_view(action="withdraw"),
         name="rule_change_withdraw"),
    path("watchlist/", views.WatchlistView.as_view(), name="watchlist"),
    path("watchlist/add/<int:customer_pk>/", views.WatchlistAddView.as_view(), name="watchlist_add"),
    path("watchlist/<int:pk>/end/", views.WatchlistEndView.as_view(), name="watchlist_end"),
    path("classifications/", views.ClassificationListView.as_view(), name="classification_list"),
    path("classifications/run/", views.ClassificationRunView.as_view(), name="classification_run"),
    path("classifications/<int:pk>/", views.ClassificationDetailView.as_view(), name="classification_detail"),
    path("provisions/", views.ProvisionRunListView.as_view(), name="provision_run_list"),
    path("provisions/run/", views.ProvisionRunView.as_view(), name="provision_run"),
    path("provisions/rates/", views.ProvisionRatesView.as_view(), name="provision_rates"),
    path("provisions/rates/<int:pk>/approve/", views.ProvisionRateChangeDecideView.as_view(action="approve"),
         name="provision_rates_approve"),
    path("provisions/rates/<int:pk>/reject/", views.ProvisionRateChangeDecideView.as_view(action="reject"),
         name="provision_rates_reject"),
    path("provisions/rates/<int:pk>/", views.ProvisionRateChangeDetailView.as_view(),
         name="provision_rates_change_detail"),
    path("provisions/rates/<int:pk>/withdraw/", views.ProvisionRateChangeDecideView.as_view(action="withdraw"),
         name="provision_rates_withdraw"),
    path("provisions/<int:pk>/", views.ProvisionRunDetailView.as_view(), name="provision_run_detail"),
]
