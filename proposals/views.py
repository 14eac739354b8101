"""The one decision page of a configuration change (in force → proposed) and its approve / reject / withdraw
posts. An app mounts them for its kind with ``change_pages(...)`` in its ``urls.py`` (four URL patterns, one
call), never with subclasses of its own."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views import View
from django.views.generic import DetailView, TemplateView

from creditportal.core import access
from creditportal.core.errors import NotAllowed, ServiceError
from creditportal.core.lists import Column, PortalListView
from creditportal.core.views import PortalPermissionMixin

from . import registry, services
from .filtersets import ProposalFilterSet
from .models import DECIDE_PERMISSIONS, PROPOSE_PERMISSIONS, Proposal


def _view_permission(model) -> str:
    return f"{model._meta.app_label}.view_{model._meta.model_name}"


class ChangeDetailView(PortalPermissionMixin, DetailView):
    """What a proposal changes (in force → proposed), who proposed and who decided; approve / reject for
    a second person, withdraw for the proposer."""

    model = Proposal
    template_name = "proposals/change_detail.html"
    context_object_name = "change"
    #: url names of the approve / reject / withdraw posts (each takes the pk)
    url_names = {"approve": "proposals:approve", "reject": "proposals:reject", "withdraw": "proposals:withdraw"}
    rows_id = "change-rows"
    back = ("proposals:list", None)
    #: ``user -> queryset`` of the changes the page may show (default: ``model.objects.visible_to(user)``)
    queryset_of = None

    def get_permission_required(self):
        return [_view_permission(self.model)]

    def get_queryset(self):
        if self.queryset_of is not None:
            return self.queryset_of(self.request.user)
        return self.model.objects.visible_to(self.request.user).select_related("proposed_by", "decided_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        change, user = self.object, self.request.user
        kind = registry.kind_of(change)
        may = access.has(user, kind.permission_for(change))
        urls = {name: reverse(url_name, args=[change.pk]) for name, url_name in self.url_names.items() if url_name}
        back_url, back_label = self.back
        context.update(
            kind=kind, title=kind.title(change), rows=kind.rows(change), rows_id=self.rows_id, may_configure=may,
            can_decide=services.may_decide(user, change),
            can_withdraw=services.may_withdraw(user, change) and "withdraw" in urls,
            is_subject=user.pk in set(kind.subjects(change)), action_urls=urls,
            back_url=reverse(back_url), back_label=back_label or _("Configuration changes"))
        context["has_before"] = any(row.get("before") is not None for row in context["rows"])
        return context


class ChangeDecideView(PortalPermissionMixin, View):
    """Approve, reject or withdraw (the service checks four-eyes, segregation of duties and the state)."""

    model = Proposal
    action = "approve"
    detail_url_name = "proposals:detail"
    #: where to go after the post (a url name without arguments); default: back to the decision page
    after_url_name = None
    #: who may post at all (any one of a set); the service then checks the kind's own permission
    decide_permission = DECIDE_PERMISSIONS
    withdraw_permission = PROPOSE_PERMISSIONS
    success = {
        "approve": gettext_lazy("Change approved; it is in force."),
        "reject": gettext_lazy("Proposed change rejected; the configuration stays as it was."),
        "withdraw": gettext_lazy("Proposal withdrawn."),
    }

    def get_permission_required(self):
        needed = self.withdraw_permission if self.action == "withdraw" else self.decide_permission
        return [needed] if isinstance(needed, str) else needed

    def post(self, request, pk):
        change = get_object_or_404(self.model.objects.visible_to(request.user), pk=pk)
        kind = registry.kind_of(change)
        needed = kind.permission_for(change)
        if self.action == "withdraw":
            needed = kind.propose_permission or needed
        if not access.has(request.user, needed):
            raise PermissionDenied
        service = {"approve": services.change_approve, "reject": services.change_reject,
                   "withdraw": services.change_withdraw}[self.action]
        try:
            service(actor=request.user, change=change, note=request.POST.get("note", ""))
            messages.success(request, str(self.success[self.action]))
        except (ServiceError, NotAllowed) as error:
            messages.error(request, getattr(error, "message", None) or str(error))
        return self.redirect_after(pk)

    def redirect_after(self, pk):
        if self.after_url_name:
            return redirect(self.after_url_name)
        return redirect(self.detail_url_name, pk=pk)


def change_pages(route: str, prefix: str, *, namespace: str, model, back, rows_id: str = "change-rows",
                 queryset_of=None, decide_permission=None, withdraw_permission=None, detail_name: str | None = None,
                 after_url_name: str | None = None):
    """The URL patterns of one kind's decision page and its posts: ``<route><pk>/`` named ``<prefix>_detail``
    (or ``detail_name``) and ``<route><pk>/approve/``, ``…/reject/``, ``…/withdraw/`` named ``<prefix>_approve``,
    ``<prefix>_reject``, ``<prefix>_withdraw``, in the app's ``namespace``. ``back``: (url name, label) of the
    page the decision page links back to; ``decide_permission`` / ``withdraw_permission``: who may post at all
    (the service then checks the kind's own permission and four-eyes); ``after_url_name``: where a post leads
    (default: back to the decision page)."""
    detail = detail_name or f"{prefix}_detail"
    posts = {action: f"{prefix}_{action}" for action in ("approve", "reject", "withdraw")}
    detail_view = ChangeDetailView.as_view(
        model=model, back=back, rows_id=rows_id, queryset_of=queryset_of,
        url_names={action: f"{namespace}:{name}" for action, name in posts.items()})
    decide = {"model": model, "detail_url_name": f"{namespace}:{detail}", "after_url_name": after_url_name}
    if decide_permission:
        decide["decide_permission"] = decide_permission
    if withdraw_permission:
        decide["withdraw_permission"] = withdraw_permission
    return [path(f"{route}<int:pk>/", detail_view, name=detail)] + [
        path(f"{route}<int:pk>/{action}/", ChangeDecideView.as_view(action=action, **decide), name=name)
        for action, name in posts.items()]


class TableChangePage(PortalPermissionMixin, TemplateView):
    """A table in force with its open proposal (approve / reject inline for another person, posting to the
    kind's ``change_pages``) and, for whoever may change it, the form that proposes a change (POST). The page's
    template includes ``proposals/_table_change.html``; a subclass gives ``form`` and ``propose``."""

    #: the permission to propose (POST); reading takes ``permission_required``
    change_permission = ""
    #: the table's change model and the ``<namespace>:<prefix>`` of its ``change_pages`` (``credit:haircut_change``)
    change_model = None
    change_pages = ""
    proposed_message = gettext_lazy("Proposed; it applies once another risk administrator approves it.")

    def get_permission_required(self):
        return [self.change_permission if self.request.method == "POST" else self.permission_required]

    def pending(self):
        """The open proposal of the table, or ``None``."""
        return services.pending(self.change_model).first()

    def form(self, data=None):
        raise NotImplementedError

    def propose(self, form):
        raise NotImplementedError

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        pending = self.pending()
        may_change = access.has(user, self.change_permission)
        context.update(
            pending_change=pending, may_change=may_change,
            pending_rows=registry.kind_of(pending).rows(pending) if pending else [],
            can_decide_change=bool(pending and services.may_decide(user, pending)),
            form=form or (self.form() if may_change and not pending else None),
            url_names={action: f"{self.change_pages}_{action}" for action in ("detail", "approve", "reject")})
        return context

    def post(self, request):
        form = self.form(request.POST)
        if form.is_valid():
            try:
                self.propose(form)
                messages.success(request, str(self.proposed_message))
                return redirect(request.path)
            except ServiceError as error:
                form.add_error(None, error.message)
        return render(request, self.template_name, self.get_context_data(form=form), status=400)


def _change_title(change) -> str:
    return str(registry.kind_of(change).title(change))


class ProposalListView(PortalListView):
    """The configuration changes of the shared table, newest first; ``?state=`` filters (``ProposalFilterSet``)."""

    permission_required = "proposals.view_proposal"
    template_name = "proposals/change_list.html"
    context_object_name = "changes"
    paginate_by = 50
    filterset_class = ProposalFilterSet
    default_sort = "-proposed"
    export_name = "configuration-changes"
    export_title = gettext_lazy("Configuration changes")
    columns = [
        Column("id", "#", "pk", sort="id", kind="number"),
        Column("change", gettext_lazy("Change"), _change_title),
        Column("state", gettext_lazy("State"), "get_state_display", sort="state"),
        Column("proposed_by", gettext_lazy("Proposed by"), "proposed_by", kind="person", sort="proposed_by__username"),
        Column("proposed", pgettext_lazy("time", "Proposed"), "proposed_at", sort="proposed_at", kind="date"),
        Column("decided_by", gettext_lazy("Decided by"), "decided_by", kind="person"),
    ]

    queryset = Proposal.objects.select_related("proposed_by", "decided_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = [{"change": c, "title": registry.kind_of(c).title(c),
                            "can_decide": services.may_decide(self.request.user, c)} for c in context["changes"]]
        return context
