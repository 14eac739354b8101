from django.urls import path

from . import views

app_name = "credit"
urlpatterns = [
    path("", views.QueueView.as_view(), name="queue"),
    path("applications/", views.ApplicationListView.as_view(), name="application_list"),
    path("applications/new/", views.ApplicationCreateView.as_view(), name="application_create"),
    path("applications/<int:pk>/", views.ApplicationDetailView.as_view(), name="application_detail"),
    path("applications/<int:pk>/add/<str:kind>/", views.ApplicationItemView.as_view(), name="application_item"),
    path("applications/<int:pk>/<str:action>/", views.ApplicationActionView.as_view(), name="application_action"),
    path("facilities/", views.FacilityListView.as_view(), name="facility_list"),
    path("facilities/<int:pk>/", views.FacilityDetailView.as_view(), name="facility_detail"),
    path("facilities/<int:pk>/<str:action>/", views.FacilityActionView.as_view(), name="facility_action"),
    path("policies/", views.PolicyListView.as_view(), name="policy_list"),
    path("policies/<int:pk>/", views.PolicyDetailView.as_view(), name="policy_detail"),
    path("matrix/", views.MatrixView.as_view(), name="matrix"),
    path("delegations/<int:pk>/revoke/", views.DelegationRevokeView.as_view(), name="delegation_revoke"),
]
