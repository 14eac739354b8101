"""Pages of model validation: runs (backtests) and their report, simulations with a progress bar,
the import of historical outcomes, the default definition, and activation after a simulation."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, TemplateView, View

from creditportal.core.errors import ServiceError
from creditportal.core.views import PortalPermissionMixin, ServiceFormView

from . import selectors, services
from .forms import DefaultDefinitionForm, OutcomeImportForm, SimulationForm, ValidationRunForm
from .models import DefaultDefinition, Simulation
from .presentation import run_context, simulation_context


class IndexView(PortalPermissionMixin, TemplateView):
    permission_required = "validation.view_validationrun"
    template_name = "validation/index.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return {**super().get_context_data(**kwargs),
                "runs": list(selectors.runs_for(user)[:50]),
                "simulations": list(selectors.simulations_for(user)[:50]),
                "imports": list(selectors.imports_for(user)[:20]) if user.has_perm("validation.view_outcomeimport")
                else [],
                "definition": DefaultDefinition.current()}


class _StartView(ServiceFormView):
    """A form that starts a run in the background and goes to its page; ``?<name>=<id>`` for a name in
    ``preset`` preselects a version (the links from a version's pages)."""

    template_name = "validation/start_form.html"
    pass_user = True
    cancel_url = "validation:index"
    preset = ()
    detail_url = ""

    def get_initial(self):
        initial = super().get_initial()
        for name in self.preset:
            if self.request.GET.get(name, "").isdigit():
                initial[name] = int(self.request.GET[name])
        return initial

    def success_url_for(self, result):
        return reverse(self.detail_url, kwargs={"pk": result.pk})


class RunCreateView(_StartView):
    permission_required = "validation.run_validation"
    form_class = ValidationRunForm
    title = gettext_lazy("New validation run")
    success_message = gettext_lazy("The validation run was started.")
    preset = ("model",)
    detail_url = "validation:run_detail"

    def perform(self, data):
        return services.validation_run_start(
            actor=self.request.user, model=data["model"], period_start=data["period_start"],
            period_end=data["period_end"], source=data["source"], outcome_import=data.get("outcome_import"),
            psi_base_date=data.get("psi_base_date"), psi_compare_date=data.get("psi_compare_date"))


class RunDetailView(PortalPermissionMixin, DetailView):
    permission_required = "validation.view_validationrun"
    template_name = "validation/run_detail.html"
    context_object_name = "run"

    def get_queryset(self):
        return selectors.runs_for(self.request.user)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **run_context(self.object)}


class RunReportView(PortalPermissionMixin, View):
    permission_required = "validation.view_validationrun"

    def get(self, request, pk):
        from .report_pdf import validation_report_pdf

        run = get_object_or_404(selectors.runs_for(request.user), pk=pk)
        services.report_downloaded(actor=request.user, run=run)
        response = HttpResponse(validation_report_pdf(run), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="validation-{run.pk}.pdf"'
        return response


class SimulationCreateView(_StartView):
    permission_required = "validation.run_simulation"
    form_class = SimulationForm
    title = gettext_lazy("New simulation")
    success_message = gettext_lazy("The simulation was started; it runs in the background.")
    preset = ("rating_model", "credit_policy")
    detail_url = "validation:simulation_detail"

    def perform(self, data):
        return services.simulation_start(actor=self.request.user, rating_model=data.get("rating_model"),
                                         credit_policy=data.get("credit_policy"))


class SimulationDetailView(PortalPermissionMixin, DetailView):
    permission_required = "validation.view_simulation"
    template_name = "validation/simulation_detail.html"
    context_object_name = "simulation"

    def get_queryset(self):
        return selectors.simulations_for(self.request.user)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **simulation_context(self.object, self.request.user)}


class SimulationProgressView(SimulationDetailView):
    """The progress bar alone (htmx polls it; when the run is done it tells the page to reload)."""

    template_name = "validation/_progress.html"

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        if self.object.is_done and self.request.headers.get("HX-Request"):
            response["HX-Refresh"] = "true"
        return response


class _ActivateView(PortalPermissionMixin, View):
    kind = ""

    def post(self, request, pk):
        sim = get_object_or_404(selectors.simulations_for(request.user), pk=pk)
        try:
            services.simulation_activate(actor=request.user, simulation=sim, kind=self.kind)
        except ServiceError as error:
            messages.error(request, error.message)
        except PermissionDenied as error:
            messages.error(request, getattr(error, "message", None) or _("You do not have the permission to do this."))
        else:
            messages.success(request, _("The version was activated."))
        return redirect("validation:simulation_detail", pk=sim.pk)


class ActivateModelView(_ActivateView):
    permission_required = "ratings.approve_ratingmodel"
    kind = Simulation.Kind.RATING_MODEL


class ActivatePolicyView(_ActivateView):
    permission_required = "credit.approve_creditpolicy"
    kind = Simulation.Kind.CREDIT_POLICY


class OutcomeImportView(ServiceFormView):
    permission_required = "validation.add_outcomeimport"
    template_name = "validation/import_form.html"
    form_class = OutcomeImportForm
    title = gettext_lazy("Import outcomes")
    cancel_url = "validation:index"
    multipart = True

    def perform(self, data):
        return services.outcomes_import(actor=self.request.user, uploaded_file=data["file"],
                                        label=data.get("label", ""))

    def get_success_message(self, result):
        return _("%(count)s outcomes were imported.") % {"count": result.row_count}


class DefaultDefinitionView(ServiceFormView):
    permission_required = "validation.change_defaultdefinition"
    template_name = "validation/definition_form.html"
    form_class = DefaultDefinitionForm
    title = gettext_lazy("Default definition")
    cancel_url = "validation:index"
    success_message = gettext_lazy("The default definition was saved.")

    def get_initial(self):
        current = DefaultDefinition.current()
        return {"default_grades": ", ".join(current.default_grades or ["D"]),
                "days_past_due": current.days_past_due, "horizon_months": current.horizon_months}

    def perform(self, data):
        return services.default_definition_update(
            actor=self.request.user, default_grades=[g for g in data["default_grades"].split(",")],
            days_past_due=data["days_past_due"], horizon_months=data["horizon_months"])


class EclBacktestView(PortalPermissionMixin, TemplateView):
    """The ECL backtest: last year's loss rates against what actually rolled to loss (``?run=`` picks the run)."""

    permission_required = ("validation.view_validationrun", "provisions.view_eclrun")
    template_name = "validation/ecl_backtest.html"

    def get_context_data(self, **kwargs):
        from .ecl_backtest import ecl_backtest, eligible_runs

        runs = eligible_runs(self.request.user)
        chosen = next((r for r in runs if str(r.pk) == self.request.GET.get("run")), runs[0] if runs else None)
        result, error = None, None
        if chosen is not None:
            try:
                result = ecl_backtest(chosen)
            except ServiceError as exc:
                error = exc.message
        return {**super().get_context_data(**kwargs), "runs": runs, "chosen": chosen, "result": result,
                "error": error}
