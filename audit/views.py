import io

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.generic import ListView, View

from creditportal.core import clock
from creditportal.core.views import PortalPermissionMixin

from . import selectors
from .filtersets import AuditEventFilterSet
from .models import AuditEvent
from .services import audit_record


class AuditEventListView(PortalPermissionMixin, ListView):
    permission_required = "audit.view_auditevent"
    template_name = "audit/event_list.html"
    paginate_by = 50

    def get_queryset(self):
        self.filterset = AuditEventFilterSet(self.request.GET or None, queryset=AuditEvent.objects.all())
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query"] = query.urlencode()
        return context


class AuditEventExportView(PortalPermissionMixin, View):
    permission_required = "audit.export_auditevent"

    def get(self, request):
        filterset = AuditEventFilterSet(request.GET or None, queryset=AuditEvent.objects.all())
        stream = io.StringIO()
        selectors.write_csv(filterset.qs, stream)
        audit_record(actor=request.user, action=AuditEvent.Action.EXPORT, verb="audit_trail_csv",
                     object_type="audit.auditevent", object_repr=_("audit trail export"),
                     after={k: v for k, v in request.GET.items()})
        response = HttpResponse("\ufeff" + stream.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="audit-trail-{clock.today():%Y%m%d}.csv"'
        return response
