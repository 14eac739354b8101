"""Pages of the security tables (issue 23): the haircut table by collateral type and the guarantors' recovery
factors by grade, each with its four-eyes proposal (decided inline or on the shared decision page, mounted with
``proposals.views.change_pages`` in ``credit/urls.py``)."""
from proposals.views import TableChangePage

from .. import security, services
from ..forms import HaircutTableForm, RecoveryFactorsForm
from ..models import Collateral, CollateralHaircutChange, RecoveryFactorChange
from ..services.collateral import HAIRCUT_PERMISSION, RECOVERY_PERMISSION, grade_label


class HaircutTableView(TableChangePage):
    """GET: the haircut and revaluation interval by collateral type; POST: propose a change (risk admin)."""

    permission_required = "credit.view_collateralhaircut"
    change_permission = HAIRCUT_PERMISSION
    template_name = "credit/haircut_table.html"
    change_model, change_pages = CollateralHaircutChange, "credit:haircut_change"

    def form(self, data=None):
        return HaircutTableForm(data, table=security.current_haircuts())

    def propose(self, form):
        services.haircuts_propose(actor=self.request.user, table=form.table())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        table = security.current_haircuts()
        context["rows"] = [(label, *table[kind]) for kind, label in Collateral.Kind.choices]
        return context


class RecoveryTableView(TableChangePage):
    """GET: the recovery factor of a guarantee by the guarantor's grade; POST: propose a change (risk admin)."""

    permission_required = "credit.view_recoveryfactor"
    change_permission = RECOVERY_PERMISSION
    template_name = "credit/recovery_table.html"
    change_model, change_pages = RecoveryFactorChange, "credit:recovery_change"

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


def group_guarantees_panel(group, user, member_ids):
    """The group page's panel: the mutual and chain guarantees touching the members the user sees."""
    from .applications import cycles_for_page

    return {"cycles": cycles_for_page(user, member_ids) if member_ids else []}
