import json

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView, View

from creditportal.core.errors import ServiceError

from creditportal.core.lists import Column, PortalListView
from creditportal.core.views import PortalPermissionMixin

from . import selectors, services
from .filtersets import AuditEventFilterSet, hide_noise
from .models import AuditEvent


def _json(value):
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value is not None else ""


class AuditEventListView(PortalListView):
    """The audit trail; ``export.csv`` (kept for old links) and ``?export=`` need ``audit.export_auditevent``."""

    permission_required = "audit.view_auditevent"
    export_permission = "audit.export_auditevent"
    template_name = "audit/event_list.html"
    paginate_by = 50
    filterset_class = AuditEventFilterSet
    default_sort = "-time"
    export_name = "audit-trail"
    export_title = _("Audit trail")
    list_url_name = "audit:event_list"
    table_columns = [("time", _("Time")), ("user", _("User")), ("action", _("Action")), ("verb", _("What")),
                     ("object", _("Object")), ("change", _("Change")), ("address", _("Address"))]
    columns = [
        Column("time", _("Time"), "occurred_at", sort="occurred_at", kind="date"),
        Column("user", _("User"), "actor_username", sort="actor_username"),
        Column("action", _("Action"), "get_action_display", sort="action"),
        Column("verb", _("What"), "verb", sort="verb"),
        Column("object_type", _("Object type"), "object_type", sort="object_type"),
        Column("object_id", _("Object id"), "object_id"),
        Column("object", _("Object"), "object_repr"),
        Column("before", _("Before"), lambda e: _json(e.before)),
        Column("after", _("After"), lambda e: _json(e.after)),
        Column("address", _("Address"), "ip_address"),
    ]

    def base_queryset(self):
        return AuditEvent.objects.all()

    def get_queryset(self):
        qs = super().get_queryset()
        system = None
        if self.filterset is not None and self.filterset.is_bound and self.filterset.is_valid():
            system = self.filterset.form.cleaned_data.get("system")
        return hide_noise(qs, system)  # by default the system user's routine events are hidden

    def get_context_data(self, **kwargs):
        """Each event with its actor's name (one query for the page's people) and its change in words."""
        from django.contrib.auth import get_user_model

        from creditportal.core.formatting import person

        from .changes import change_rows

        context = super().get_context_data(**kwargs)
        events = list(context["object_list"])
        ids = {e.actor_id for e in events if e.actor_id}
        people = get_user_model().objects.only("id", "username", "first_name", "last_name").in_bulk(ids) if ids else {}
        for e in events:
            user = people.get(e.actor_id)
            e.actor_name = person(user) if user is not None else (e.actor_username or "—")
            e.changes = change_rows(e.object_type, e.before, e.after)
        context["object_list"] = context["events"] = events
        form = self.filterset.form if self.filterset is not None else None
        shown = bool(form is not None and form.is_bound and form.is_valid() and form.cleaned_data.get("system") == "show")
        context["showing_noise"] = shown
        return context

    def export_count(self):
        """The file holds the events up to now: not the export's own event, written before the rows stream."""
        last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        self.object_list = self.object_list.filter(pk__lte=last)
        return super().export_count()


class AuditEventExportView(AuditEventListView):
    """The old ``export.csv`` link: the gate asks for the export permission itself (not only the list's)."""

    permission_required = "audit.export_auditevent"
    export_format = "csv"


class AuditChainView(PortalPermissionMixin, TemplateView):
    """The auditor's check of the trail's hash chain: intact, or the events where it breaks. The latest whole
    check (nightly, or asked for here) plus the events appended since, checked on each visit."""

    permission_required = "audit.view_auditevent"
    template_name = "audit/chain.html"

    def get_context_data(self, **kwargs):
        report = selectors.chain_status()
        events = AuditEvent.objects.in_bulk([event_id for event_id, _previous in report.breaks])
        breaks = [{"event": events.get(event_id), "id": event_id, "previous_id": previous_id}
                  for event_id, previous_id in report.breaks]
        return {**super().get_context_data(**kwargs), "report": report, "breaks": breaks}


class AuditChainCheckView(PortalPermissionMixin, View):
    """POST: check the whole chain now (on the batch queue); the page shows the result when it is done."""

    permission_required = "audit.view_auditevent"

    def post(self, request):
        try:
            services.chain_check_request(actor=request.user)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("A check of the whole audit trail has started. Its result shows here "
                                        "when it is done."))
        return redirect("audit:chain")
