from django.urls import path
from django.utils.translation import gettext_lazy

from proposals.views import change_pages

from . import selectors, views
from .models import ProvisionRateChange, WarningRuleChange

app_name = "monitoring"
urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("dashboard/refresh/", views.DashboardRefreshView.as_view(), name="dashboard_refresh"),
    path("exposure/", views.ExposureListView.as_view(), name="exposure_list"),
    path("trends/", views.TrendView.as_view(), name="trends"),
    path("alerts/", views.AlertListView.as_view(), name="alert_list"),
    path("alerts/<int:pk>/", views.AlertDetailView.as_view(), name="alert_detail"),
    path("alerts/<int:pk>/action/", views.AlertStartActionView.as_view(), name="alert_action"),
    path("alerts/<int:pk>/watch/", views.AlertWatchView.as_view(), name="alert_watch"),
    path("alerts/<int:pk>/<slug:transition>/", views.AlertTransitionView.as_view(), name="alert_transition"),
    path("rules/", views.RuleListView.as_view(), name="rule_list"),
    path("rules/new/", views.RuleFormView.as_view(), name="rule_create"),
    path("rules/<int:pk>/", views.RuleFormView.as_view(), name="rule_edit"),
    *change_pages("rules/changes/", "rule_change", namespace=app_name, model=WarningRuleChange,
                  back=("monitoring:rule_list", gettext_lazy("Warning rules")), rows_id="rule-change-rows",
                  queryset_of=selectors.rule_changes_list, decide_permission="monitoring.change_warningrule",
                  withdraw_permission="monitoring.change_warningrule"),
    path("watchlist/", views.WatchlistView.as_view(), name="watchlist"),
    path("watchlist/add/<int:customer_pk>/", views.WatchlistAddView.as_view(), name="watchlist_add"),
    path("watchlist/<int:pk>/end/", views.WatchlistEndView.as_view(), name="watchlist_end"),
    path("classifications/", views.ClassificationListView.as_view(), name="classification_list"),
    path("classifications/run/", views.ClassificationRunView.as_view(), name="classification_run"),
    path("classifications/<int:pk>/", views.ClassificationDetailView.as_view(), name="classification_detail"),
    path("provisions/", views.ProvisionRunListView.as_view(), name="provision_run_list"),
    path("provisions/run/", views.ProvisionRunView.as_view(), name="provision_run"),
    path("provisions/rates/", views.ProvisionRatesView.as_view(), name="provision_rates"),
    *change_pages("provisions/rates/", "provision_rates", namespace=app_name, model=ProvisionRateChange,
                  back=("monitoring:provision_run_list", gettext_lazy("Provisions")), rows_id="rate-change-rows",
                  decide_permission="monitoring.change_provisionrate",
                  withdraw_permission="monitoring.change_provisionrate", detail_name="provision_rates_change_detail",
                  after_url_name="monitoring:provision_run_list"),
    path("provisions/<int:pk>/", views.ProvisionRunDetailView.as_view(), name="provision_run_detail"),
]
