"""What the collection pages share: the app's list page, its form page and the form about one object."""
from __future__ import annotations

from django.utils.functional import cached_property

from creditportal.core import clock
from creditportal.core.lists import PortalListView
from creditportal.core.views import ServiceFormView as PortalServiceFormView

from .. import selectors

BUCKET_LABELS = selectors.AGING_BUCKET_LABELS


class SortedFilteredListView(PortalListView):
    """A collection list page: the shared list machinery (filter, ``?sort=``, 25 per page, CSV/XLSX export)."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["today"] = clock.today()
        return context


class ServiceFormView(PortalServiceFormView):
    """A collection form page: the shared form page (``creditportal.core.views.ServiceFormView``), whose
    template ``collection/form.html`` shows what the form is about above the fields; Cancel goes back to a
    safe ``?next=`` or to the work queue."""

    template_name = "collection/form.html"
    cancel_url = "collection:work_queue"


class ObjectFormView(ServiceFormView):
    """A form about one object (``get_subject``), looked up after the permission check and before the form
    is shown or read: another portfolio's object answers 404."""

    def get_subject(self):
        raise NotImplementedError

    @cached_property
    def subject(self):
        return self.get_subject()

    def get(self, request, *args, **kwargs):
        self.subject
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.subject
        return super().post(request, *args, **kwargs)
