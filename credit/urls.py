from django.urls import path
from django.utils.translation import gettext_lazy

from proposals.views import change_pages

from . import views
from .pickers import FacilityPickerView
from .models import CollateralHaircutChange, RecoveryFactorChange
from .services.collateral import HAIRCUT_PERMISSION, RECOVERY_PERMISSION
from .views import holds as hold_views

app_name = "credit"
urlpatterns = [
    path("", views.QueueView.as_view(), name="queue"),
    path("applications/", views.ApplicationListView.as_view(), name="application_list"),
    path("facilities/pick/", FacilityPickerView.as_view(), name="pick_facility"),
    path("applications/new/", views.ApplicationCreateView.as_view(), name="application_create"),
    path("applications/<int:pk>/", views.ApplicationDetailView.as_view(), name="application_detail"),
    path("applications/<int:pk>/edit/", views.ApplicationEditView.as_view(), name="application_edit"),
    path("applications/<int:pk>/add/<str:kind>/", views.ApplicationItemView.as_view(), name="application_item"),
    path("applications/<int:pk>/remove/<str:kind>/<int:item_pk>/", views.ApplicationItemRemoveView.as_view(),
         name="application_item_remove"),
    path("applications/<int:pk>/<str:action>/", views.ApplicationActionView.as_view(), name="application_action"),
    path("facilities/", views.FacilityListView.as_view(), name="facility_list"),
    path("facilities/<int:pk>/", views.FacilityDetailView.as_view(), name="facility_detail"),
    path("facilities/<int:pk>/order/", views.FacilityOrderView.as_view(), {"action": "order"},
         name="facility_order"),
    path("facilities/<int:pk>/suspend/", views.FacilitySuspendView.as_view(), {"action": "suspend"},
         name="facility_suspend"),
    path("facilities/<int:pk>/resume/", views.FacilityResumeView.as_view(), {"action": "resume"},
         name="facility_resume"),
    path("facilities/<int:pk>/reduce-limit/", views.FacilityChangeView.as_view(), {"action": "reduce_limit"},
         name="facility_reduce_limit"),
    path("facilities/<int:pk>/close/", views.FacilityChangeView.as_view(), {"action": "close"},
         name="facility_close"),
    path("facilities/<int:pk>/cancel-order/", views.FacilityOrderReleaseView.as_view(), {"action": "cancel"},
         name="facility_cancel_order"),
    path("policies/", views.PolicyListView.as_view(), name="policy_list"),
    path("policies/new/", views.PolicyCreateView.as_view(), name="policy_create"),
    path("policies/<int:pk>/", views.PolicyDetailView.as_view(), name="policy_detail"),
    path("policies/<int:pk>/edit/", views.PolicyEditView.as_view(), name="policy_edit"),
    path("policies/<int:pk>/activate/", views.PolicyActivateView.as_view(), name="policy_activate"),
    path("matrix/", views.MatrixView.as_view(), name="matrix"),
    path("matrix/levels/new/", views.AuthorityLevelCreateView.as_view(), name="level_create"),
    path("matrix/levels/<int:pk>/edit/", views.AuthorityLevelEditView.as_view(), name="level_edit"),
    path("matrix/approvers/assign/", views.ApproverAuthorityView.as_view(), name="approver_assign"),
    path("group-limits/", views.GroupLimitListView.as_view(), name="group_limit_list"),
    path("group-limits/new/", views.GroupLimitCreateView.as_view(), name="group_limit_create"),
    path("group-limits/<int:pk>/edit/", views.GroupLimitEditView.as_view(), name="group_limit_edit"),
    path("delegations/new/", views.DelegationCreateView.as_view(), name="delegation_create"),
    path("delegations/<int:pk>/revoke/", views.DelegationRevokeView.as_view(), name="delegation_revoke"),
    path("holds/", hold_views.HoldListView.as_view(), name="hold_list"),
    path("holds/<int:pk>/", hold_views.HoldDetailView.as_view(), name="hold_detail"),
    path("holds/<int:pk>/release/", hold_views.HoldReleaseView.as_view(), name="hold_release"),
]

# The security tables (issue 23): haircuts by collateral type, recovery factors by grade, their proposals
# (decided on the one decision page of ``proposals``).
urlpatterns += [
    path("haircuts/", views.HaircutTableView.as_view(), name="haircut_table"),
    *change_pages("haircuts/changes/", "haircut_change", namespace=app_name, model=CollateralHaircutChange,
                  back=("credit:haircut_table", gettext_lazy("Collateral haircuts")), rows_id="haircut-change-rows",
                  decide_permission=HAIRCUT_PERMISSION, withdraw_permission=HAIRCUT_PERMISSION,
                  after_url_name="credit:haircut_table"),
    path("recovery-factors/", views.RecoveryTableView.as_view(), name="recovery_table"),
    *change_pages("recovery-factors/changes/", "recovery_change", namespace=app_name, model=RecoveryFactorChange,
                  back=("credit:recovery_table", gettext_lazy("Guarantor recovery factors")),
                  rows_id="recovery-change-rows", decide_permission=RECOVERY_PERMISSION,
                  withdraw_permission=RECOVERY_PERMISSION, after_url_name="credit:recovery_table"),
]
