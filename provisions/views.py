"""Pages of the expected credit loss: runs (list, propose, detail with the disclosure matrix, the movement, the
rates by segment and the five-tier comparison; approve, reject, lock), the disclosure as XLSX and PDF in
either language, snapshots, scenarios (four-eyes) and impaired assessments."""
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.generic import FormView, ListView, View

from creditportal.core import access
from creditportal.core.errors import ServiceError
from creditportal.core.filters import clean_params, report_invalid
from creditportal.core.lists import file_value, xlsx_response
from creditportal.core.views import PortalDetailView, PortalPermissionMixin, report_service_error
from customers.models import Customer

from . import selectors, services
from .filtersets import AssessmentCustomerFilter, EclRunFilter
from .forms import AssessmentForm, DecisionForm, EvidenceForm, RunForm, ScenarioSetForm, SnapshotForm
from .models import EclRun, RunState


class RunListView(PortalPermissionMixin, ListView):
    permission_required = "provisions.view_eclrun"
    template_name = "provisions/run_list.html"
    paginate_by = 24

    def get_queryset(self):
        cleaned, errors = clean_params(EclRunFilter, self.request.GET)
        report_invalid(self.request, errors)
        self.filterset = EclRunFilter(cleaned or None, queryset=selectors.runs_for(self.request.user))
        return self.filterset.qs.order_by("-period", "-id")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "filter": self.filterset,
                "can_propose": access.has(self.request.user, "provisions.propose_eclrun")}


class RunProposeView(PortalPermissionMixin, FormView):
    permission_required = "provisions.propose_eclrun"
    template_name = "provisions/run_form.html"
    form_class = RunForm

    def form_valid(self, form):
        data = form.cleaned_data
        period = selectors.month_end(data["period"])
        corrects = selectors.locked_run(period) if (data.get("correction_reason") or "").strip() else None
        try:
            run = services.ecl_run_propose(
                actor=self.request.user, period=period, lookback=data["lookback"], averaging=data["averaging"],
                segment_by=data["segment_by"], min_history=data["min_history"], override=form.override(),
                override_reason=data.get("override_reason", ""), corrects=corrects,
                correction_reason=data.get("correction_reason", ""))
        except ServiceError as error:
            report_service_error(self.request, form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The ECL run was proposed; another person approves it."))
        return redirect("provisions:run_detail", pk=run.pk)


class RunDetailView(PortalDetailView):
    permission_required = "provisions.view_eclrun"
    template_name = "provisions/run_detail.html"
    context_object_name = "run"
    queryset = EclRun.objects.select_related("proposed_by", "approved_by", "locked_by", "corrects", "scenario_set")

    def get_context_data(self, **kwargs):
        user, run = self.request.user, self.object
        can_approve = access.has(user, "provisions.approve_eclrun")
        segments = []
        for key, data in sorted((run.rates or {}).get("segments", {}).items()):
            segments.append({"key": key, "observations": data.get("observations"), "fallback": data.get("fallback"),
                             "bands": [{"label": selectors.band_label(b), "roll": data.get("roll_rates", {}).get(b),
                                        "loss": data.get("band_rates", {}).get(b)} for b in selectors.BAND_KEYS],
                             "rows": [{"label": selectors.bucket_label(b),
                                       "historical": data.get("historical", {}).get(b),
                                       "adjusted": data.get("adjusted", {}).get(b), "used": data.get("used", {}).get(b)}
                                      for b in selectors.BUCKETS]})
        impaired = list(selectors.lines_for(user, run, impaired=True)[:200])
        top = list(selectors.lines_for(user, run, impaired=False)[:50])
        comparison = run.comparison or {}
        tiers = [{**row, "label": _tier_label(row["tier"])} for row in comparison.get("tiers", [])]
        return {**super().get_context_data(**kwargs), **selectors.disclosure(run), "segments": segments,
                "impaired_lines": impaired, "top_lines": top, "comparison": comparison, "tiers": tiers,
                "decision_form": DecisionForm(),
                "can_decide": can_approve and run.state == RunState.PROPOSED and run.proposed_by_id != user.pk,
                "can_lock": can_approve and run.state == RunState.APPROVED,
                "can_export": access.has(user, "provisions.export_disclosure"),
                "languages": settings.LANGUAGES}


def _tier_label(tier):
    from monitoring.models import Tier

    return str(Tier(tier).label) if tier in Tier.values else _("no five-tier line")


class _RunActionView(PortalPermissionMixin, View):
    permission_required = "provisions.approve_eclrun"
    service = None
    done = ""

    def post(self, request, pk):
        run = get_object_or_404(EclRun.objects.visible_to(request.user), pk=pk)
        form = DecisionForm(request.POST)
        form.is_valid()
        kwargs = {} if self.service is services.ecl_run_lock else {"note": form.cleaned_data.get("note", "")}
        try:
            type(self).service(actor=request.user, run=run, **kwargs)
        except ServiceError as error:
            messages.error(request, error.message)
        except PermissionDenied as error:
            messages.error(request, getattr(error, "message", None) or _("You do not have the permission to do this."))
        else:
            messages.success(request, str(self.done))
        return redirect("provisions:run_detail", pk=run.pk)


class RunApproveView(_RunActionView):
    service = services.ecl_run_approve
    done = _("The ECL run was approved.")


class RunRejectView(_RunActionView):
    service = services.ecl_run_reject
    done = _("The ECL run was rejected.")


class RunLockView(_RunActionView):
    service = services.ecl_run_lock
    done = _("The ECL run was locked: the month is final.")


def _language(request) -> str:
    wanted = request.GET.get("lang") or translation.get_language()
    codes = [code for code, _name in settings.LANGUAGES]
    return wanted if wanted in codes else settings.LANGUAGE_CODE


class _DisclosureView(PortalPermissionMixin, View):
    permission_required = ("provisions.view_eclrun", "provisions.export_disclosure")

    def run(self, request, pk) -> EclRun:
        return get_object_or_404(EclRun.objects.visible_to(request.user), pk=pk)


def disclosure_rows(run) -> tuple[list, list]:
    """(header, rows) of the disclosure as one sheet: the matrix, a blank row, the movement (active language)."""
    data = selectors.disclosure(run)
    header = [_("Aging bucket"), _("Gross carrying amount"), _("Expected loss rate"), _("Loss allowance"),
              _("Currency")]
    rows = [[row["label"], Decimal(row["gross"]), Decimal(row["rate"]), Decimal(row["allowance"]), run.currency]
            for row in data["rows"]]
    total = data["total"]
    rows.append([_("Total"), Decimal(total.get("gross", "0")), Decimal(total.get("rate", "0")),
                 Decimal(total.get("allowance", "0")), run.currency])
    rows.append([])
    rows.append([_("Movement of the loss allowance"), "", "", _("Amount"), _("Currency")])
    rows.extend([[str(row["label"]), "", "", Decimal(row["amount"]), run.currency] for row in data["movement"]])
    return [str(h) for h in header], [[file_value(v) for v in row] for row in rows]


class DisclosureXlsxView(_DisclosureView):
    def get(self, request, pk):
        run = self.run(request, pk)
        language = _language(request)
        services.disclosure_downloaded(actor=request.user, run=run, fmt="xlsx", language=language)
        with translation.override(language):
            header, rows = disclosure_rows(run)
            title = _("ECL disclosure")
        return xlsx_response(header, rows, f"ecl-disclosure-{run.period:%Y%m}-{language}", title)


class DisclosurePdfView(_DisclosureView):
    def get(self, request, pk):
        from creditportal.core.pdf import render_pdf

        run = self.run(request, pk)
        language = _language(request)
        services.disclosure_downloaded(actor=request.user, run=run, fmt="pdf", language=language)
        context = {**selectors.disclosure(run), "printed_at": timezone.localtime()}
        response = HttpResponse(render_pdf("provisions/pdf/disclosure.html", context, language=language),
                                content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="ecl-disclosure-{run.period:%Y%m}-{language}.pdf"'
        return response


class _WritesOnPost:
    """A page that lists on GET and writes on POST: the POST asks for ``post_permission``."""

    post_permission = ""

    def get_permission_required(self):
        if self.request.method == "POST":
            return (self.post_permission,)
        return super().get_permission_required()


class SnapshotListView(_WritesOnPost, PortalPermissionMixin, ListView):
    permission_required = "provisions.view_agingsnapshot"
    post_permission = "provisions.take_agingsnapshot"
    template_name = "provisions/snapshot_list.html"
    paginate_by = 36

    def get_queryset(self):
        return selectors.snapshots_for(self.request.user).order_by("-period")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "form": SnapshotForm(),
                "can_take": access.has(self.request.user, "provisions.take_agingsnapshot")}

    def post(self, request):
        if not access.has(request.user, "provisions.take_agingsnapshot"):
            raise PermissionDenied
        form = SnapshotForm(request.POST)
        if form.is_valid():
            try:
                snap = services.snapshot_take(actor=request.user, period=form.cleaned_data["period"])
            except ServiceError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Snapshot of %(month)s: %(count)s customers.")
                                 % {"month": f"{snap.period:%Y-%m}", "count": snap.customer_count})
        else:
            messages.error(request, _("Enter a month end."))
        return redirect("provisions:snapshot_list")


class ScenarioListView(_WritesOnPost, PortalPermissionMixin, FormView):
    """The scenario sets in force and replaced, the proposals (each decided on its own decision page) and the
    form that proposes a new set (four-eyes through ``proposals``)."""

    permission_required = "provisions.view_scenarioset"
    post_permission = "provisions.add_scenarioset"
    template_name = "provisions/scenario_list.html"
    form_class = ScenarioSetForm

    def get_context_data(self, **kwargs):
        user = self.request.user
        changes = (list(selectors.scenario_changes_for(user)[:30])
                   if access.has(user, "provisions.view_scenariochange") else [])
        return {**super().get_context_data(**kwargs),
                "sets": list(selectors.scenario_sets_for(user)[:30]), "changes": changes,
                "can_propose": access.has(user, "provisions.add_scenarioset")}

    def post(self, request, *args, **kwargs):
        if not access.has(request.user, "provisions.add_scenarioset"):
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            change = services.scenario_set_propose(actor=self.request.user, name=form.cleaned_data["name"],
                                                   reason=form.cleaned_data["reason"], scenarios=form.scenarios())
        except ServiceError as error:
            report_service_error(self.request, form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The scenarios were proposed; another risk administrator puts them in "
                                         "force."))
        return redirect("provisions:scenario_change_detail", pk=change.pk)






class AssessmentListView(_WritesOnPost, PortalPermissionMixin, FormView):
    permission_required = "provisions.view_impairedassessment"
    post_permission = "provisions.assess_impaired"
    template_name = "provisions/assessment_list.html"
    form_class = AssessmentForm

    def get_initial(self):
        initial = super().get_initial()
        customer_id, _errors = clean_params(AssessmentCustomerFilter, self.request.GET)
        if customer_id.get("customer"):
            initial["customer"] = customer_id["customer"]
        return initial

    def get_context_data(self, **kwargs):
        user = self.request.user
        return {**super().get_context_data(**kwargs),
                "assessments": list(selectors.assessments_for(user).order_by("-period", "customer__name")[:100]),
                "can_assess": access.has(user, "provisions.assess_impaired")}

    def post(self, request, *args, **kwargs):
        if not access.has(request.user, "provisions.assess_impaired"):
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        customer = Customer.objects.visible_to(self.request.user).filter(pk=data["customer"]).first()
        if customer is None:
            form.add_error("customer", _("No such customer."))
            return self.form_invalid(form)
        try:
            services.impaired_assess(actor=self.request.user, customer=customer, period=data["period"],
                                     reason=data["reason"], evidence=data.get("evidence", ""),
                                     collateral_value=data["collateral_value"],
                                     collateral_haircut=data["collateral_haircut"], guarantees=data["guarantees"],
                                     insurance_cover=data["insurance_cover"],
                                     evidence_files=[data["evidence_file"]] if data.get("evidence_file") else ())
        except ServiceError as error:
            report_service_error(self.request, form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The assessment was saved."))
        return redirect("provisions:assessment_list")


class AssessmentDetailView(_WritesOnPost, PortalPermissionMixin, FormView):
    """One impaired assessment: its figures, its evidence files (download, audited) and, for who assesses,
    the upload of more evidence. Another portfolio's customer is not found (``visible_to``)."""

    permission_required = "provisions.view_impairedassessment"
    post_permission = "provisions.assess_impaired"
    template_name = "provisions/assessment_detail.html"
    form_class = EvidenceForm

    @property
    def assessment(self):
        if not hasattr(self, "_assessment"):
            self._assessment = get_object_or_404(selectors.assessments_for(self.request.user), pk=self.kwargs["pk"])
        return self._assessment

    def get(self, request, *args, **kwargs):
        self.assessment  # noqa: B018 - 404 before the page
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if not access.has(request.user, "provisions.assess_impaired"):
            raise PermissionDenied
        self.assessment  # noqa: B018 - 404 before the upload
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        user = self.request.user
        return {**super().get_context_data(**kwargs), "assessment": self.assessment,
                "evidence": list(selectors.evidence_for(user, self.assessment)),
                "can_upload": access.has(user, "provisions.assess_impaired")}

    def form_valid(self, form):
        try:
            services.evidence_upload(actor=self.request.user, assessment=self.assessment,
                                     uploaded_file=form.cleaned_data["file"], title=form.cleaned_data["title"])
        except ServiceError as error:
            report_service_error(self.request, form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The evidence was uploaded."))
        return redirect("provisions:assessment_detail", pk=self.assessment.pk)


class EvidenceDownloadView(PortalPermissionMixin, View):
    permission_required = "provisions.view_impairedassessment"

    def get(self, request, pk):
        item = get_object_or_404(selectors.evidence_for(request.user), pk=pk)
        handle = services.evidence_open(actor=request.user, evidence=item)
        return FileResponse(handle, as_attachment=True, filename=item.original_name, content_type=item.content_type)

