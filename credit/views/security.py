"""Pages of the security tables (issue 23): the haircut table by collateral type and the guarantors' recovery
factors by grade, each with its four-eyes proposal (decided here or on the shared decision page)."""
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from creditportal.core import access
from creditportal.core.errors import ServiceError
from creditportal.core.views import PortalPermissionMixin
from proposals import registry
from proposals import services as proposals
from proposals.views import ChangeDecideView, ChangeDetailView

from .. import security, services
from ..forms import HaircutTableForm, RecoveryFactorsForm
from ..models import Collateral, CollateralHaircutChange, RecoveryFactorChange
from ..services.collateral import HAIRCUT_PERMISSION, RECOVERY_PERMISSION, grade_label


class _TablePage(PortalPermissionMixin, TemplateView):
    """A table in force, its open proposal (approve / reject for another risk administrator) and, for a risk
    administrator, the form that proposes a change (POST)."""

    change_permission = ""
    url_names: dict = {}

    def get_permission_required(self):
        """Reading the table takes its view permission; proposing a change (POST) the change permission."""
        if self.request.method == "POST":
            return [self.change_permission]
        return [self.permission_required]

    def pending(self):
        raise NotImplementedError

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
            can_decide_change=bool(pending and proposals.may_decide(user, pending)),
            form=form or (self.form() if may_change and not pending else None), url_names=self.url_names)
        return context

    def post(self, request):
        form = self.form(request.POST)
        if form.is_valid():
            try:
                self.propose(form)
                messages.success(request, _("Proposed; it applies once another risk administrator approves it."))
                return redirect(request.path)
            except ServiceError as error:
                form.add_error(None, error.message)
        return render(request, self.template_name, self.get_context_data(form=form), status=400)


class HaircutTableView(_TablePage):
    """GET: the haircut and revaluation interval by collateral type; POST: propose a change (risk admin)."""

    permission_required = "credit.view_collateralhaircut"
    change_permission = HAIRCUT_PERMISSION
    template_name = "credit/haircut_table.html"
    url_names = {"approve": "credit:haircut_change_approve", "reject": "credit:haircut_change_reject",
                 "withdraw": "credit:haircut_change_withdraw", "detail": "credit:haircut_change_detail"}

    def pending(self):
        return services.pending_haircut_change()

    def form(self, data=None):
        return HaircutTableForm(data, table=security.current_haircuts())

    def propose(self, form):
        services.haircuts_propose(actor=self.request.user, table=form.table())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        table = security.current_haircuts()
        context["rows"] = [(label, *table[kind]) for kind, label in Collateral.Kind.choices]
        return context


class RecoveryTableView(_TablePage):
    """GET: the recovery factor of a guarantee by the guarantor's grade; POST: propose a change (risk admin)."""

    permission_required = "credit.view_recoveryfactor"
    change_permission = RECOVERY_PERMISSION
    template_name = "credit/recovery_table.html"
    url_names = {"approve": "credit:recovery_change_approve", "reject": "credit:recovery_change_reject",
                 "withdraw": "credit:recovery_change_withdraw", "detail": "credit:recovery_change_detail"}

    def pending(self):
        return services.pending_recovery_change()

    def form(self, data=None):
        grades = security.recovery_grades()
        return RecoveryFactorsForm(data, factors=security.current_recovery_factors(), grades=grades,
                                   labels={g: grade_label(g) for g in grades})

    def propose(self, form):
        services.recovery_factors_propose(actor=self.request.user, factors=form.factors())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        factors = security.current_recovery_factors()
        context["rows"] = [(grade_label(g), factors.get(g)) for g in security.recovery_grades()]
        return context


class HaircutChangeDetailView(ChangeDetailView):
    model = CollateralHaircutChange
    url_names = {"approve": "credit:haircut_change_approve", "reject": "credit:haircut_change_reject",
                 "withdraw": "credit:haircut_change_withdraw"}
    rows_id = "haircut-change-rows"
    back = ("credit:haircut_table", gettext_lazy("Collateral haircuts"))


class HaircutChangeDecideView(ChangeDecideView):
    model = CollateralHaircutChange
    decide_permission = withdraw_permission = HAIRCUT_PERMISSION

    def redirect_after(self, pk):
        return redirect("credit:haircut_table")


class RecoveryChangeDetailView(ChangeDetailView):
    model = RecoveryFactorChange
    url_names = {"approve": "credit:recovery_change_approve", "reject": "credit:recovery_change_reject",
                 "withdraw": "credit:recovery_change_withdraw"}
    rows_id = "recovery-change-rows"
    back = ("credit:recovery_table", gettext_lazy("Guarantor recovery factors"))


class RecoveryChangeDecideView(ChangeDecideView):
    model = RecoveryFactorChange
    decide_permission = withdraw_permission = RECOVERY_PERMISSION

    def redirect_after(self, pk):
        return redirect("credit:recovery_table")


def group_guarantees_panel(group, user, member_ids):
    """The group page's panel: the mutual and chain guarantees touching the members the user sees."""
    from .applications import cycles_for_page

    return {"cycles": cycles_for_page(user, member_ids) if member_ids else []}
