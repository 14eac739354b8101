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
    path("facilities/<int:pk>/order/", views.FacilityOrderView.as_view(), {"action": "order"},
         name="facility_order"),
    path("facilities/<int:pk>/suspend/", views.FacilitySuspendView.as_view(), {"action": "suspend"},
         name="facility_suspend"),
    path("facilities/<int:pk>/resume/", views.FacilitySuspendView.as_view(), {"action": "resume"},
         name="facility_resume"),
    path("facilities/<int:pk>/reduce-limit/", views.FacilityChangeView.as_view(), {"action": "reduce_limit"},
         name="facility_reduce_limit"),
    path("facilities/<int:pk>/close/", views.FacilityChangeView.as_view(), {"action": "close"},
         name="facility_close"),
    path("facilities/<int:pk>/cancel-order/", views.FacilityOrderReleaseView.as_view(), {"action": "cancel"},
         name="facility_cancel_order"),
    path("policies/", views.PolicyListView.as_view(), name="policy_list"),
    path("policies/<int:pk>/", views.PolicyDetailView.as_view(), name="policy_detail"),
    path("policies/<int:pk>/activate/", views.PolicyActivateView.as_view(), name="policy_activate"),
    path("matrix/", views.MatrixView.as_view(), name="matrix"),
    path("delegations/new/", views.DelegationCreateView.as_view(), name="delegation_create"),
    path("delegations/<int:pk>/revoke/", views.DelegationRevokeView.as_view(), name="delegation_revoke"),
]
