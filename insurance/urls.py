from django.urls import path

from . import views

app_name = "insurance"
urlpatterns = [
    path("policies/", views.PolicyListView.as_view(), name="policy_list"),
    path("policies/propose/", views.PolicyProposeView.as_view(), name="policy_propose"),
    path("caps/propose/", views.CapsProposeView.as_view(), name="caps_propose"),
    path("buyer-limits/", views.BuyerLimitListView.as_view(), name="buyer_limit_list"),
    path("buyer-limits/new/", views.BuyerLimitRequestView.as_view(), name="buyer_limit_request"),
    *[path(f"buyer-limits/<int:pk>/{action}/", views.BuyerLimitActionView.as_view(action=action),
           name=f"buyer_limit_{action}") for action in views.BUYER_LIMIT_ACTIONS],
    path("notifications/new/", views.NotificationCreateView.as_view(), name="notification_create"),
    path("claims/", views.ClaimListView.as_view(), name="claim_list"),
    path("claims/new/", views.ClaimCreateView.as_view(), name="claim_create"),
    *[path(f"claims/<int:pk>/{action}/", views.ClaimActionView.as_view(action=action), name=f"claim_{action}")
      for action in views.CLAIM_TITLES],
]
