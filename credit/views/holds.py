"""Order holds (暂停交货): the list, one hold with its reasons and history, and its release (approvers)."""
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from audit.models import AuditEvent
from creditportal.core import access
from creditportal.core.lists import Column, PortalListView
from creditportal.core.views import PortalPermissionMixin, ServiceFormView, visible_or_404

from .. import services
from ..filtersets import HoldFilterSet
from ..forms import HoldReleaseForm
from ..models import CustomerHold


class HoldListView(PortalListView):
    permission_required = "credit.view_customerhold"
    template_name = "credit/hold_list.html"
    filterset_class = HoldFilterSet
    default_sort = "-since"
    export_name = "order-holds"
    export_title = gettext_lazy("Order holds")
    columns = [
        Column("id", "#", "pk", sort="id", kind="number"),
        Column("customer", gettext_lazy("Customer"), "customer.name", sort="customer__name"),
        Column("since", gettext_lazy("Held since"), "since", sort="since", kind="date"),
        Column("reasons", gettext_lazy("Reasons"), "reason_text"),
        Column("status", gettext_lazy("Status"), "get_status_display", sort="status"),
        Column("released", gettext_lazy("Released at"), "released_at", sort="released_at", kind="datetime"),
    ]

    queryset = CustomerHold.objects.select_related("customer", "released_by")

    def export_rows(self):
        columns = self.export_columns()
        for hold in self.object_list.iterator(chunk_size=self.export_chunk):
            hold.reason_text = " ".join(services.hold_reason_texts(hold))
            yield [cell for c in columns for cell in c.cells(hold, typed=self.export_typed)]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = list(context["object_list"])
        for hold in rows:
            hold.reason_text = " ".join(services.hold_reason_texts(hold))
        context["rows"] = rows
        return context


class HoldDetailView(PortalPermissionMixin, TemplateView):
    permission_required = "credit.view_customerhold"
    template_name = "credit/hold_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        hold = visible_or_404(CustomerHold, self.request.user, kwargs["pk"], "customer", "released_by")
        context.update({
            "hold": hold,
            "reason_texts": services.hold_reason_texts(hold),
            "may_release": hold.is_active and access.has(self.request.user, "credit.release_customerhold"),
            "history": list(AuditEvent.objects.for_object("credit.customerhold", hold.pk)
                            .order_by("occurred_at", "id")[:50])
            if access.has(self.request.user, "audit.view_auditevent") else None,
        })
        return context


class HoldReleaseView(ServiceFormView):
    permission_required = "credit.release_customerhold"
    form_class = HoldReleaseForm
    title = gettext_lazy("Release the order hold")

    def dispatch(self, request, *args, **kwargs):  # the permission is checked before dispatch
        self.hold = visible_or_404(CustomerHold, request.user, kwargs["pk"], "customer", "released_by")
        return super().dispatch(request, *args, **kwargs)

    def get_title(self):
        return _("Release the order hold on %(customer)s") % {"customer": self.hold.customer.name}

    def get_cancel_url(self):
        return reverse("credit:hold_detail", args=[self.hold.pk])

    def perform(self, data):
        return services.hold_release(actor=self.request.user, hold=self.hold, reason=data["reason"])

    def get_success_message(self, result):
        return _("The order hold on %(customer)s is released; deliveries may resume.") % {
            "customer": result.customer.name}
