from django.urls import path
from django.utils.translation import gettext_lazy

from proposals.views import change_pages

from . import selectors, views
from .models import DunningPolicyChange
from .views import dunning_grades as dunning_grade_views

app_name = "collection"
urlpatterns = [
    path("", views.WorkQueueView.as_view(), name="work_queue"),
    path("invoices/", views.InvoiceListView.as_view(), name="invoice_list"),
    path("invoices/new/", views.InvoiceCreateView.as_view(), name="invoice_create"),
    path("invoices/import/", views.InvoiceImportView.as_view(), name="invoice_import"),
    path("invoices/<int:pk>/", views.InvoiceDetailView.as_view(), name="invoice_detail"),
    path("payments/", views.PaymentListView.as_view(), name="payment_list"),
    path("payments/new/", views.PaymentCreateView.as_view(), name="payment_create"),
    path("payments/import/", views.PaymentImportView.as_view(), name="payment_import"),
    path("claims/", views.ClaimPayoutListView.as_view(), name="claim_list"),
    path("claims/new/", views.ClaimPayoutCreateView.as_view(), name="claim_create"),
    path("aging/", views.AgingView.as_view(), name="aging"),
    path("aging/export.csv", views.AgingView.as_view(export_format="csv"), name="aging_csv"),
    path("aging/export.xlsx", views.AgingView.as_view(export_format="xlsx"), name="aging_xlsx"),
    path("dunning/", views.DunningActionListView.as_view(), name="dunning_list"),
    path("dunning/run-now/", views.DunningRunNowView.as_view(), name="dunning_run_now"),
    path("dunning/run-now/status/", views.DunningRunStatusView.as_view(), name="dunning_run_status"),
    path("dunning/<int:pk>/letter.pdf", views.DunningLetterView.as_view(), name="dunning_letter"),
    path("dunning/<int:pk>/done/", views.DunningTaskDoneView.as_view(), name="dunning_task_done"),
    path("dunning/policies/", views.DunningPolicyListView.as_view(), name="policy_list"),
    path("dunning/grades/", dunning_grade_views.DunningGradeListView.as_view(), name="dunning_grades"),
    path("dunning/grades/propose/", dunning_grade_views.DunningGradeProposeView.as_view(),
         name="dunning_grade_propose"),
    path("dunning/policies/new/", views.DunningPolicyCreateView.as_view(), name="policy_create"),
    path("dunning/policies/<int:pk>/edit/", views.DunningPolicyEditView.as_view(), name="policy_edit"),
    path("dunning/policies/<int:pk>/levels/new/", views.DunningLevelFormView.as_view(), name="level_create"),
    path("dunning/policies/<int:pk>/levels/<int:level_pk>/", views.DunningLevelFormView.as_view(),
         name="level_edit"),
    *change_pages("dunning/policies/changes/", "dunning_change", namespace=app_name, model=DunningPolicyChange,
                  back=("collection:policy_list", gettext_lazy("Dunning policies")), rows_id="dunning-change-rows",
                  queryset_of=selectors.dunning_changes, decide_permission="collection.change_dunningpolicy",
                  withdraw_permission="collection.change_dunningpolicy"),
    path("cases/", views.CaseListView.as_view(), name="case_list"),
    path("cases/new/", views.CaseOpenView.as_view(), name="case_open"),
    path("cases/<int:pk>/", views.CaseDetailView.as_view(), name="case_detail"),
    path("cases/<int:pk>/start/", views.CaseStartView.as_view(), name="case_start"),
    path("cases/<int:pk>/escalate/", views.CaseEscalateView.as_view(), name="case_escalate"),
    path("cases/<int:pk>/close/", views.CaseCloseView.as_view(), name="case_close"),
    path("cases/<int:pk>/paid/", views.CaseMarkPaidView.as_view(), name="case_mark_paid"),
    path("cases/<int:pk>/assign/", views.CaseAssignView.as_view(), name="case_assign"),
    path("cases/<int:pk>/activities/new/", views.ActivityCreateView.as_view(), name="activity_create"),
    path("cases/<int:pk>/promises/new/", views.PromiseCreateView.as_view(), name="promise_create"),
    path("cases/<int:pk>/write-off/", views.WriteOffProposeView.as_view(), name="writeoff_propose"),
    path("cases/<int:pk>/recoveries/new/", views.RecoveryCreateView.as_view(), name="recovery_create"),
    path("write-offs/", views.WriteOffListView.as_view(), name="writeoff_list"),
    path("write-offs/<int:pk>/approve/", views.WriteOffDecideView.as_view(approve=True), name="writeoff_approve"),
    path("write-offs/<int:pk>/reject/", views.WriteOffDecideView.as_view(approve=False), name="writeoff_reject"),
]
