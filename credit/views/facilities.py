"""Facilities: list (with utilisation), detail with the limit check, orders, suspension and changes."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View

from creditportal.core import access
from creditportal.core.errors import NotAllowed, ServiceError
from creditportal.core.lists import Column, PortalListView
from creditportal.core.views import PortalPermissionMixin, visible_or_404

from .. import rules, security, selectors, services
from ..filtersets import FacilityFilterSet
from ..forms import FacilityReasonForm, LimitCheckForm, OrderForm
from ..models import Facility, Order
from ._common import _error


# --- Facilities -------------------------------------------------------------------------------

class FacilityListView(PortalListView):
    permission_required = "credit.view_facility"
    template_name = "credit/facility_list.html"
    filterset_class = FacilityFilterSet
    default_sort = "customer"
    export_name = "facilities"
    export_title = gettext_lazy("Facilities")
    table_columns = [  # the table's columns, for the column chooser
        ("number", "#"), ("customer", gettext_lazy("Customer")), ("product", gettext_lazy("Product")),
        ("limit", gettext_lazy("Limit")), ("utilised", gettext_lazy("Usage")),
        ("utilisation", gettext_lazy("Utilisation")), ("expiry", gettext_lazy("Expiry")),
        ("status", gettext_lazy("Status")),
    ]
    columns = [
        Column("id", "#", "pk", sort="id", kind="number"),
        Column("customer", gettext_lazy("Customer"), "customer.name", sort="customer__name"),
        Column("product", gettext_lazy("Product"), "get_product_display", sort="product"),
        Column("limit", gettext_lazy("Limit"), "limit", sort="limit", kind="money", currency="currency"),
        Column("utilised", gettext_lazy("Usage"), "utilised", kind="money", currency="currency"),
        Column("start", gettext_lazy("Start"), "start_date", sort="start_date", kind="date"),
        Column("expiry", gettext_lazy("Expiry"), "expiry_date", sort="expiry_date", kind="date"),
        Column("temporary", gettext_lazy("Temporary"), "temporary"),
        Column("status", gettext_lazy("Status"), "get_status_display", sort="status"),
    ]

    queryset = Facility.objects.select_related("customer")

    def export_rows(self):
        """Utilisation is computed set-wise, one chunk of facilities at a time."""
        columns = self.export_columns()
        chunk = []
        for facility in self.object_list.iterator(chunk_size=self.export_chunk):
            chunk.append(facility)
            if len(chunk) == self.export_chunk:
                yield from self._rows(chunk, columns)
                chunk = []
        yield from self._rows(chunk, columns)

    def _rows(self, facilities, columns):
        used = selectors.utilisation(facilities) if facilities else {}
        for facility in facilities:
            facility.utilised = used[facility.pk]
            yield [cell for c in columns for cell in c.cells(facility)]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = list(context["object_list"])
        used = selectors.utilisation(rows)
        context["rows"] = [(f, used[f.pk], rules.utilisation_share(f.limit, used[f.pk])) for f in rows]
        return context


from ..history import facility_limit_history  # noqa: E402 - the page's limit history


class FacilityDetailView(PortalPermissionMixin, TemplateView):
    permission_required = "credit.view_facility"
    template_name = "credit/facility_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        facility = visible_or_404(Facility, self.request.user, kwargs["pk"], "customer", "application")
        used = selectors.utilisation([facility])[facility.pk]
        check = None
        check_reasons = []
        may_check = access.has(self.request.user, "credit.check_facility")
        if "amount" in self.request.GET:   # the order check: a read, so a GET form
            check_form = LimitCheckForm(self.request.GET)
            if check_form.is_valid():
                if may_check:  # holds and the limit: may a new order ship, and why not (issue 23)
                    check = services.order_check(actor=self.request.user, facility=facility,
                                                 **check_form.cleaned_data)
                    check_reasons = services.order_check_texts(check)
                else:
                    check = services.limit_check(actor=self.request.user, facility=facility,
                                                 **check_form.cleaned_data)
                    check_reasons = [services.limit_reason_text(r) for r in check.reasons]
        else:
            check_form = LimitCheckForm(initial={"currency": facility.currency})
        actions = selectors.facility_actions(self.request.user, facility)
        context.update({
            "facility": facility,
            "utilised": used,
            "free": rules.free_limit(facility.limit, used),
            "percent": rules.utilisation_share(facility.limit, used),
            "actions": actions,
            "order_rows": [(order, selectors.order_cancellable(actions, order))
                           for order in facility.orders.select_related("created_by")[:50]],
            "check_form": check_form,
            "order_form": kwargs.get("order_form") or OrderForm(initial={"currency": facility.currency}),
            "reason_form": kwargs.get("reason_form") or FacilityReasonForm(),
            "check": check,
            "check_reasons": check_reasons,
            "group_limit": selectors.group_limit_for(facility.customer),
            # the facility's part of the customer's exposure, by the dashboard's definition (credit.rules)
            "exposure": rules.facility_exposure(facility.limit, used),
            "limit_history": facility_limit_history(facility),
            "revaluations": (security.revaluations_due(application_ids=[facility.application_id])
                             if facility.application_id else []),
        })
        return context


class FacilityActionView(PortalPermissionMixin, View):
    """POST ``<pk>/<action>/``; each subclass is one group of actions with the permission it needs."""

    permission_required = None
    actions = ()

    def post(self, request, pk, action):
        if action not in self.actions:
            raise PermissionDenied
        facility = visible_or_404(Facility, request.user, pk, "customer", "application")
        try:
            if action == "order":
                form = OrderForm(request.POST)
                if not form.is_valid():  # the errors next to the fields, the input kept
                    page = FacilityDetailView()
                    page.setup(request, pk=pk)
                    return render(request, page.template_name, page.get_context_data(pk=pk, order_form=form),
                                  status=400)
                services.order_record(actor=request.user, facility=facility, **form.cleaned_data)
                messages.success(request, _("Order recorded; the limit is reserved."))
            elif action in ("suspend", "resume", "reduce_limit", "close"):
                form = FacilityReasonForm(request.POST)
                form.is_valid()
                reason = form.cleaned_data.get("reason", "")
                if action == "suspend":
                    services.facility_suspend(actor=request.user, facility=facility, reason=reason)
                elif action == "resume":
                    services.facility_resume(actor=request.user, facility=facility, reason=reason)
                elif action == "close":
                    services.facility_close(actor=request.user, facility=facility, reason=reason)
                else:
                    services.facility_reduce_limit(actor=request.user, facility=facility, reason=reason,
                                                   new_limit=form.cleaned_data.get("new_limit") or facility.limit)
                messages.success(request, _("The facility is saved."))
            else:
                order = get_object_or_404(Order.objects.visible_to(request.user), pk=request.POST.get("order"),
                                          facility=facility)
                services.order_release(actor=request.user, order=order, cancel=action == "cancel")
                messages.success(request, _("Order %(reference)s cancelled; its reservation is released.")
                                 % {"reference": order.reference} if action == "cancel"
                                 else _("Order %(reference)s released.") % {"reference": order.reference})
        except ServiceError as error:
            _error(request, error)
        except NotAllowed as error:
            raise PermissionDenied(error.message) from error
        return redirect("credit:facility_detail", pk=pk)


class FacilityOrderView(FacilityActionView):
    permission_required = "credit.add_order"
    actions = ("order",)


class FacilitySuspendView(FacilityActionView):
    permission_required = "credit.suspend_facility"
    actions = ("suspend",)


class FacilityResumeView(FacilityActionView):
    permission_required = "credit.resume_facility"
    actions = ("resume",)


class FacilityChangeView(FacilityActionView):
    permission_required = "credit.change_facility"
    actions = ("reduce_limit", "close")


class FacilityOrderReleaseView(FacilityActionView):
    permission_required = "credit.change_order"
    actions = ("release", "cancel")
