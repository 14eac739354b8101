from django.urls import path

from . import views

app_name = "ratings"
urlpatterns = [
    path("", views.WorkQueueView.as_view(), name="work_queue"),
    path("all/", views.RatingListView.as_view(), name="rating_list"),
    path("start/<int:customer_pk>/", views.RatingStartView.as_view(), name="rating_start"),
    path("<int:pk>/", views.RatingDetailView.as_view(), name="rating_detail"),
    path("<int:pk>/score/", views.ExpertScoreView.as_view(), name="rating_score"),
    path("<int:pk>/scores/", views.ExpertScoresView.as_view(), name="rating_scores"),
    path("<int:pk>/override/", views.OverrideView.as_view(), name="rating_override"),
    path("<int:pk>/submit/", views.RatingSubmitView.as_view(), name="rating_submit"),
    path("<int:pk>/approve/", views.RatingApproveView.as_view(), name="rating_approve"),
    path("<int:pk>/return/", views.RatingReturnView.as_view(), name="rating_return"),
    path("<int:pk>/reject/", views.RatingRejectView.as_view(), name="rating_reject"),
    path("<int:pk>/refresh/", views.RatingRefreshView.as_view(), name="rating_refresh"),
    path("customer/<int:customer_pk>/", views.CustomerHistoryView.as_view(), name="customer_history"),
    path("customer/<int:customer_pk>/behaviour/", views.BehaviourInputView.as_view(), name="behaviour_input"),
    path("scales/", views.ScaleListView.as_view(), name="scale_list"),
    path("scales/<int:pk>/", views.ScaleEditView.as_view(), name="scale_edit"),
    path("models/", views.ModelListView.as_view(), name="model_list"),
    path("models/<int:pk>/", views.ModelDetailView.as_view(), name="model_detail"),
    path("models/<int:pk>/edit/", views.ModelEditView.as_view(), name="model_edit"),
    path("models/<int:pk>/new-version/", views.ModelActionView.as_view(action="new_version"), name="model_new_version"),
    path("models/<int:pk>/activate/", views.ModelActionView.as_view(action="activate"), name="model_activate"),
    path("models/<int:pk>/retire/", views.ModelActionView.as_view(action="retire"), name="model_retire"),
    path("models/<int:pk>/factors/new/", views.FactorEditView.as_view(), name="factor_create"),
    path("models/<int:pk>/factors/<int:factor_pk>/", views.FactorEditView.as_view(), name="factor_edit"),
    path("models/<int:pk>/factors/<int:factor_pk>/delete/", views.FactorDeleteView.as_view(), name="factor_delete"),
    path("policy/", views.PolicyEditView.as_view(), name="policy"),
    path("batches/", views.BatchListView.as_view(), name="batch_list"),
    path("batches/<int:pk>/", views.BatchDetailView.as_view(), name="batch_detail"),
]
