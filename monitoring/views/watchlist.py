"""Watchlist pages: the list, putting a customer on it, taking one off."""
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View

from creditportal.core import access
from creditportal.core.errors import ServiceError
from creditportal.core.filters import clean_params
from creditportal.core.lists import Column, PortalListView
from creditportal.core.views import PortalPermissionMixin, ServiceFormView
from customers.models import Customer

from .. import selectors, services
from ..filtersets import WatchlistFilterSet
from ..forms import WatchlistForm
from ..models import WatchlistEntry


class WatchlistView(PortalListView):
    permission_required = "monitoring.view_watchlistentry"
    template_name = "monitoring/watchlist.html"
    paginate_by = 50
    default_sort = "-since"
    export_name = "watchlist"
    export_title = gettext_lazy("Watchlist")
    columns = [
        Column("customer", gettext_lazy("Customer"), "customer.name", sort="customer__name"),
        Column("reason", gettext_lazy("Reason"), "reason"),
        Column("owner", gettext_lazy("Owner"), "owner", kind="person", sort="owner__username"),
        Column("since", gettext_lazy("Since"), "since", sort="since", kind="date"),
        Column("until", gettext_lazy("Until"), "until", sort="until", kind="date"),
        Column("alert", gettext_lazy("From alert"), "alert.pk"),
    ]

    params_filterset = WatchlistFilterSet

    def base_queryset(self):
        return selectors.watchlist_entries(self.request.user, self.request.GET)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["show_all"] = clean_params(WatchlistFilterSet, self.request.GET)[0].get("all") == "1"
        context["can_change"] = access.has(self.request.user, "monitoring.change_watchlistentry")
        return context


class WatchlistAddView(ServiceFormView):
    permission_required = "monitoring.add_watchlistentry"
    template_name = "monitoring/watchlist_form.html"
    form_class = WatchlistForm
    cancel_url = "monitoring:watchlist"
    success_message = gettext_lazy("Customer added to the watchlist.")

    def dispatch(self, request, *args, **kwargs):
        self.customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=kwargs["customer_pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"customer": self.customer.pk, "customer_name": self.customer.name}

    def get_title(self):
        return _("Put %(name)s on the watchlist") % {"name": self.customer.name}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["customer"] = self.customer
        return context

    def perform(self, data):
        return services.watchlist_add(actor=self.request.user, customer=self.customer, reason=data["reason"],
                                      until=data.get("until"))


class WatchlistEndView(PortalPermissionMixin, View):
    permission_required = "monitoring.change_watchlistentry"

    def post(self, request, pk):
        entry = get_object_or_404(WatchlistEntry.objects.visible_to(request.user), pk=pk)
        try:
            services.watchlist_end(actor=request.user, entry=entry)
            messages.success(request, _("Taken off the watchlist."))
        except ServiceError as error:
            messages.error(request, error.message)
        return redirect("monitoring:watchlist")
