"""Rating pages. Objects are looked up through ``visible_to(user)``; every write goes through a service."""
import json
from decimal import Decimal

from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.generic import DetailView, TemplateView, View

from creditportal.core.errors import Conflict, NotAllowed, ServiceError
from creditportal.core.lists import Column, PortalListView
from creditportal.core.views import PortalDetailView, PortalPermissionMixin, ServiceFormView, report_service_error
from customers.models import Customer
from customers.rules import RATIO_KINDS

from . import selectors, services
from .filtersets import RatingFilterSet
from .forms import (BehaviourInputForm, ExpertScoreForm, ExpertScoresForm, FactorForm, GradeFormSet, OverrideForm,
                    PolicyForm, RatingModelForm, ReasonForm, ScaleForm)
from .models import (BehaviourInput, ExpertScore, Rating, RatingBatch, RatingFactor, RatingModel, RatingScale,
                     RatingsPolicy)


def visible_customer(user, pk):
    return get_object_or_404(Customer.objects.visible_to(user), pk=pk)


def visible_rating(user, pk):
    return get_object_or_404(Rating.objects.visible_to(user).select_related(
        "customer", "model", "created_by", "submitted_by", "approved_by", "overridden_by"), pk=pk)


# --- Work queue and lists ---------------------------------------------------------------------

class WorkQueueView(PortalPermissionMixin, TemplateView):
    permission_required = "ratings.view_rating"
    template_name = "ratings/work_queue.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["queue"] = selectors.work_queue_for(self.request.user, limit=100)
        return context


class RatingListView(PortalListView):
    permission_required = "ratings.view_rating"
    template_name = "ratings/rating_list.html"
    paginate_by = 50
    filterset_class = RatingFilterSet
    default_sort = "-created"
    export_name = "ratings"
    export_title = gettext_lazy("Ratings")
    table_columns = [  # the table's columns, for the column chooser
        ("customer", gettext_lazy("Customer")), ("grade", gettext_lazy("Grade")), ("score", gettext_lazy("Score")),
        ("state", gettext_lazy("State")), ("made_by", gettext_lazy("Made by")),
        ("review", gettext_lazy("Next review")),
    ]
    columns = [
        Column("customer", gettext_lazy("Customer"), "customer.name", sort="customer__name"),
        Column("code", gettext_lazy("Code"), "customer.credit_code"),
        Column("grade", gettext_lazy("Grade"), "grade", sort="grade"),
        Column("letter", gettext_lazy("Letter"), "letter"),
        Column("score", gettext_lazy("Score"), "score", sort="score", kind="number"),
        Column("pd", gettext_lazy("Probability of default"), "pd", sort="pd", kind="number"),
        Column("state", gettext_lazy("State"), "get_state_display", sort="state"),
        Column("model", gettext_lazy("Model"), "model.localized_name"),
        Column("made_by", gettext_lazy("Made by"), "created_by", kind="person", sort="created_by__username"),
        Column("approved", gettext_lazy("Approval date"), "approved_on", sort="approved_on", kind="date"),
        Column("review", gettext_lazy("Next review"), "review_due", sort="review_due", kind="date"),
        Column("created", pgettext_lazy("creation time", "Created"), "created_at", sort="created_at", kind="date"),
    ]

    def base_queryset(self):
        return (Rating.objects.visible_to(self.request.user).select_related("customer", "model", "created_by")
                .defer(*selectors.SNAPSHOT_FIELDS))  # the rows show no snapshot


# --- Starting and working on a rating ---------------------------------------------------------

class RatingStartView(PortalPermissionMixin, TemplateView):
    """GET: the computed inputs and what blocks a rating; POST: start the rating."""

    permission_required = "ratings.add_rating"
    template_name = "ratings/rating_start.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        customer = visible_customer(self.request.user, self.kwargs["customer_pk"])
        inputs = selectors.gather_inputs([customer])[customer.pk]
        context.update(customer=customer, inputs=inputs, **selectors.start_options(self.request.user, customer),
                       ratio_rows=selectors.ratio_rows(inputs.get("ratios")),
                       negative_rows=selectors.negative_record_rows(inputs.get("negative")),
                       behaviour_shown=selectors.behaviour_display(inputs.get("behaviour")),
                       blockers=selectors.stale_inputs_for([customer.pk]).get(customer.pk, []),
                       current=selectors.current_rating(customer), ratio_kinds=RATIO_KINDS)
        return context

    def post(self, request, customer_pk):
        customer = visible_customer(request.user, customer_pk)
        try:
            rating = services.rating_start(actor=request.user, customer=customer)
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect("ratings:rating_start", customer_pk=customer.pk)
        messages.success(request, _("Rating started. Score the qualitative factors, then submit it."))
        return redirect("ratings:rating_detail", pk=rating.pk)


class RatingDetailView(PortalPermissionMixin, DetailView):
    permission_required = "ratings.view_rating"
    template_name = "ratings/rating_detail.html"
    context_object_name = "rating"

    def get_object(self, queryset=None):
        return visible_rating(self.request.user, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rating = self.object
        user = self.request.user
        definition = rating.model_definition
        qualitative = [f for f in definition["factors"] if f["kind"] == "qualitative"]
        scores = list(ExpertScore.objects.filter(rating=rating).select_related("expert").order_by("factor_code", "expert_id"))
        by_factor = {f["code"]: f for f in rating.result.get("factors", [])}
        snapshot_scores = rating.inputs.get("expert_scores") or {}
        experts = [{"factor": f, "row": by_factor.get(f["code"], {}),
                    "scores": [s for s in scores if s.factor_code == f["code"]],
                    # a proposal of the nightly batch carries the experts' last scores in its snapshot only
                    "carried": snapshot_scores.get(f["code"], [])} for f in qualitative]
        grades = [g["code"] for g in definition["scale"]["grades"]]
        context.update(
            allowed=selectors.allowed_actions(user, rating),
            experts=experts,
            score_form=kwargs.get("score_form") or ExpertScoreForm(factors=qualitative),
            scores_form=kwargs.get("scores_form") or ExpertScoresForm(
                factors=qualitative, mine={s.factor_code: s for s in scores if s.expert_id == user.pk}),
            override_form=kwargs.get("override_form") or OverrideForm(
                grades=grades, initial={"grade": rating.override_grade, "reason": rating.override_reason}),
            reason_form=ReasonForm(),
            blockers=(selectors.stale_inputs_for([rating.customer_id]).get(rating.customer_id, [])
                      if rating.is_editable else []),
            behaviour=rating.behaviour, ratio_kinds=RATIO_KINDS,
            factors=[{**f, "value_label": selectors.factor_value_label(f),
                      "status_note": selectors.FACTOR_STATUS_NOTES.get(f.get("status"), "")}
                     for f in rating.result.get("factors", [])],
            grade_meaning=selectors.grade_meaning(rating), completeness=rating.completeness,
            ratio_rows=selectors.ratio_rows(rating.inputs.get("ratios")),
            negative_rows=selectors.negative_record_rows(rating.inputs.get("negative")),
            behaviour_shown=selectors.behaviour_display(rating.inputs.get("behaviour")),
            reproduced=services.reproduce(rating) == rating.result,
            pd_percent=(rating.pd * 100).quantize(Decimal("0.01")) if rating.pd is not None else None,
            workflow=selectors.workflow_of(rating),
        )
        return context


class _RatingAction(PortalPermissionMixin, View):
    """POST-only action on a rating; the service decides and its refusal is shown as a message."""

    permission_required = "ratings.view_rating"
    success_message = ""

    def get(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["POST"])

    def post(self, request, pk):
        rating = visible_rating(request.user, pk)
        try:
            self.act(request, rating)
        except (ServiceError, NotAllowed) as error:
            messages.error(request, error.message)
        else:
            if self.success_message:
                messages.success(request, self.success_message)
        return redirect("ratings:rating_detail", pk=rating.pk)

    def act(self, request, rating):  # pragma: no cover - overridden
        raise NotImplementedError


class RatingSubmitView(_RatingAction):
    permission_required = "ratings.submit_rating"

    def act(self, request, rating):
        services.rating_submit(actor=request.user, rating=rating, rationale=request.POST.get("rationale"))
        messages.success(request, _("Rating submitted for approval."))


class RatingApproveView(_RatingAction):
    permission_required = "ratings.approve_rating"

    def act(self, request, rating):
        services.rating_approve(actor=request.user, rating=rating, note=request.POST.get("reason", ""))
        messages.success(request, _("Rating approved: it is now the customer's current rating."))


class RatingReturnView(_RatingAction):
    permission_required = "ratings.approve_rating"

    def act(self, request, rating):
        services.rating_return(actor=request.user, rating=rating, reason=request.POST.get("reason", ""))
        messages.success(request, _("Rating returned to its maker."))


class RatingRejectView(_RatingAction):
    # A checker rejects a submitted rating; an analyst dismisses a proposal (the service tells which).
    permission_required = {"ratings.approve_rating", "ratings.change_rating"}

    def act(self, request, rating):
        services.rating_reject(actor=request.user, rating=rating, reason=request.POST.get("reason", ""))
        messages.success(request, _("Rating rejected."))


class RatingRefreshView(_RatingAction):
    permission_required = "ratings.change_rating"

    def act(self, request, rating):
        services.rating_refresh_inputs(actor=request.user, rating=rating)
        messages.success(request, _("Inputs re-read and the result recomputed."))


class _RatingFormPost(PortalPermissionMixin, View):
    """POST a form shown on the rating's page: saved → back to the page with a message; a conflict (the rating
    moved on since the page was shown) → the message; any other refusal → the page again, errors on the form."""

    context_name = ""  # the form's name in the rating page's context
    success_message = ""

    def make_form(self, rating, data):  # pragma: no cover - overridden
        raise NotImplementedError

    def perform(self, rating, data):  # pragma: no cover - overridden
        raise NotImplementedError

    def post(self, request, pk):
        rating = visible_rating(request.user, pk)
        form = self.form = self.make_form(rating, request.POST)
        if form.is_valid():
            try:
                self.perform(rating, form.cleaned_data)
            except Conflict as error:  # the rating moved on (submitted, approved) since the page was shown
                messages.error(request, error.message)
                return redirect("ratings:rating_detail", pk=rating.pk)
            except ServiceError as error:
                report_service_error(request, form, error)
            else:
                messages.success(request, self.success_message)
                return redirect("ratings:rating_detail", pk=rating.pk)
        view = RatingDetailView(request=request, kwargs={"pk": pk}, args=())
        view.object = rating
        return render(request, view.template_name, view.get_context_data(**{self.context_name: form}), status=400)


class _ExpertScorePost(_RatingFormPost):
    """A form of the rating's qualitative factors, scored by an expert."""

    permission_required = "ratings.add_expertscore"
    form_class = None

    def make_form(self, rating, data):
        qualitative = [f for f in rating.model_definition["factors"] if f["kind"] == "qualitative"]
        return self.form_class(data, factors=qualitative)


class ExpertScoreView(_ExpertScorePost):
    form_class = ExpertScoreForm
    context_name = "score_form"
    success_message = gettext_lazy("Expert score saved.")

    def perform(self, rating, data):
        services.expert_score_set(actor=self.request.user, rating=rating, **data)


class ExpertScoresView(_ExpertScorePost):
    """All the qualitative factors scored by one expert in one form (``ExpertScoresForm``)."""

    form_class = ExpertScoresForm
    context_name = "scores_form"
    success_message = gettext_lazy("Expert scores saved.")

    def perform(self, rating, data):
        services.expert_scores_set(actor=self.request.user, rating=rating, scores=self.form.scores())


class OverrideView(_RatingFormPost):
    permission_required = "ratings.override_rating"
    context_name = "override_form"
    success_message = gettext_lazy("Override saved.")

    def make_form(self, rating, data):
        return OverrideForm(data, grades=[g["code"] for g in rating.model_definition["scale"]["grades"]])

    def perform(self, rating, data):
        services.rating_override(actor=self.request.user, rating=rating, **data)


class CustomerHistoryView(PortalPermissionMixin, TemplateView):
    permission_required = "ratings.view_rating"
    template_name = "ratings/history.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        customer = visible_customer(self.request.user, self.kwargs["customer_pk"])
        chart = selectors.grade_history(customer)
        order = sorted(selectors.grade_order().items(), key=lambda kv: kv[1])
        context.update(customer=customer, ratings=selectors.history_of(customer, self.request.user),
                       chart_json=json.dumps({"points": chart, "grades": [g for g, _r in order]}))
        return context


class BehaviourInputView(ServiceFormView):
    permission_required = "ratings.change_behaviourinput"
    form_class = BehaviourInputForm
    success_message = gettext_lazy("Answer saved.")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.customer = visible_customer(request.user, kwargs["customer_pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        existing = BehaviourInput.objects.filter(customer=self.customer).first()
        return {"competitor_share": existing.competitor_share, "note": existing.note} if existing else {}

    def get_title(self):
        return _("Competitors' share: %(name)s") % {"name": self.customer.name}

    def get_cancel_url(self):
        return reverse("ratings:customer_history", args=[self.customer.pk])

    def perform(self, data):
        return services.behaviour_input_set(actor=self.request.user, customer=self.customer, **data)


# --- Configuration ----------------------------------------------------------------------------

class ScaleListView(PortalListView):
    permission_required = "ratings.view_ratingscale"
    template_name = "ratings/scale_list.html"
    paginate_by = 100  # the scales in their order (master first), each with its grades
    queryset = RatingScale.objects.prefetch_related("grades")


class ScaleEditView(PortalPermissionMixin, TemplateView):
    permission_required = "ratings.change_ratingscale"
    template_name = "ratings/scale_form.html"

    def get_scale(self):
        return get_object_or_404(RatingScale.objects.visible_to(self.request.user), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        scale = self.get_scale()
        context["scale"] = scale
        context["form"] = kwargs.get("form") or ScaleForm(initial={"name": scale.name, "name_en": scale.name_en})
        context["formset"] = kwargs.get("formset") or GradeFormSet(
            initial=[{"code": g.code, "letter": g.letter, "min_score": g.min_score, "max_score": g.max_score,
                      "pd": g.pd, "meaning": g.meaning, "meaning_en": g.meaning_en} for g in scale.grades.all()], prefix="grades")
        return context

    def post(self, request, pk):
        scale = self.get_scale()
        form = ScaleForm(request.POST)
        formset = GradeFormSet(request.POST, prefix="grades")
        if form.is_valid() and formset.is_valid():
            grades = [f.cleaned_data for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
            try:
                services.scale_update(actor=request.user, scale=scale, name=form.cleaned_data["name"], grades=grades,
                                      name_en=form.cleaned_data["name_en"])
            except ServiceError as error:
                report_service_error(request, form, error)
            else:
                messages.success(request, _("Scale saved."))
                return redirect("ratings:scale_list")
        return self.render_to_response(self.get_context_data(form=form, formset=formset), status=400)


class ModelListView(PortalListView):
    permission_required = "ratings.view_ratingmodel"
    template_name = "ratings/model_list.html"
    paginate_by = 100  # by code, newest version first
    export_name = "rating-models"
    export_title = gettext_lazy("Rating models")
    columns = [
        Column("name", gettext_lazy("Model"), "name"),
        Column("code", gettext_lazy("Code"), "code"),
        Column("version", gettext_lazy("Version"), "version", kind="number"),
        Column("state", gettext_lazy("State"), "get_state_display"),
        Column("made_by", gettext_lazy("Made by"), "created_by", kind="person"),
        Column("activated_by", gettext_lazy("Activated by"), "activated_by", kind="person"),
    ]

    queryset = RatingModel.objects.select_related("scale", "created_by", "activated_by")


class ModelDetailView(PortalDetailView):
    permission_required = "ratings.view_ratingmodel"
    template_name = "ratings/model_detail.html"
    context_object_name = "model"
    queryset = RatingModel.objects.select_related("scale", "created_by", "changed_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        factors = list(self.object.factors.all())
        for factor in factors:
            factor.group_label = selectors.factor_group_label(factor.group)
        context.update(factors=factors, total_weight=sum(f.weight for f in factors),
                       grades=list(self.object.scale.grades.all()),
                       actions=selectors.model_actions(self.request.user, self.object))
        return context


class _ModelFormView(ServiceFormView):
    """A form about one rating model (``pk`` in the URL), returning to the model's page."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.load(request.user, kwargs)
        return super().dispatch(request, *args, **kwargs)

    def load(self, user, kwargs):
        self.model_obj = get_object_or_404(RatingModel.objects.visible_to(user), pk=kwargs["pk"])

    def get_cancel_url(self):
        return reverse("ratings:model_detail", args=[self.model_obj.pk])


class ModelEditView(_ModelFormView):
    permission_required = "ratings.change_ratingmodel"
    form_class = RatingModelForm
    success_message = gettext_lazy("Model saved.")

    def get_initial(self):
        m = self.model_obj
        return {"name": m.name, "name_en": m.name_en, "description": m.description, "industries": m.industries, "sizes": m.sizes,
                "caps": m.caps, **{name: getattr(m, name) for name in services.MODEL_SETTINGS}}

    def get_title(self):
        return _("Edit %(model)s") % {"model": self.model_obj}

    def perform(self, data):
        return services.model_update(actor=self.request.user, model=self.model_obj, **data)


class ModelActionView(PortalPermissionMixin, View):
    """POST: new version (copy), activate (four-eyes, approver group) or retire."""

    action = "new_version"

    def get_permission_required(self):
        return ["ratings.add_ratingmodel" if self.action == "new_version" else "ratings.approve_ratingmodel"]

    def post(self, request, pk):
        model = get_object_or_404(RatingModel.objects.visible_to(request.user), pk=pk)
        try:
            if self.action == "new_version":
                model = services.model_new_version(actor=request.user, model=model)
                messages.success(request, _("Version %(version)s created as a draft.") % {"version": model.version})
            elif self.action == "activate":
                services.model_activate(actor=request.user, model=model)
                messages.success(request, _("Version activated."))
            else:
                services.model_retire(actor=request.user, model=model)
                messages.success(request, _("Version retired."))
        except ServiceError as error:
            messages.error(request, error.message)
        return redirect("ratings:model_detail", pk=model.pk)


class FactorEditView(_ModelFormView):
    form_class = FactorForm
    success_message = gettext_lazy("Factor saved.")

    def get_permission_required(self):
        return ["ratings.change_ratingfactor" if "factor_pk" in self.kwargs else "ratings.add_ratingfactor"]

    def load(self, user, kwargs):
        super().load(user, kwargs)
        self.factor = (get_object_or_404(RatingFactor, pk=kwargs["factor_pk"], model=self.model_obj)
                       if "factor_pk" in kwargs else None)

    def get_initial(self):
        if not self.factor:
            return {"direction": "higher", "missing_points": None}
        return {name: getattr(self.factor, name) for name in services.FACTOR_FIELDS}

    def get_title(self):
        return _("Factor of %(model)s") % {"model": self.model_obj}

    def perform(self, data):
        return services.factor_save(actor=self.request.user, model=self.model_obj, factor=self.factor, **data)


class FactorDeleteView(PortalPermissionMixin, View):
    permission_required = "ratings.delete_ratingfactor"

    def post(self, request, pk, factor_pk):
        model = get_object_or_404(RatingModel.objects.visible_to(request.user), pk=pk)
        factor = get_object_or_404(RatingFactor, pk=factor_pk, model=model)
        try:
            services.factor_delete(actor=request.user, factor=factor)
            messages.success(request, _("Factor removed."))
        except ServiceError as error:
            messages.error(request, error.message)
        return redirect("ratings:model_detail", pk=model.pk)


class PolicyEditView(ServiceFormView):
    permission_required = "ratings.change_ratingspolicy"
    form_class = PolicyForm
    title = gettext_lazy("Ratings policy")
    success_message = gettext_lazy("Policy saved.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": RatingsPolicy.current()}

    def perform(self, data):
        return services.policy_update(actor=self.request.user, **data)

    def success_url_for(self, result):
        return reverse("ratings:policy")


# --- Batches ----------------------------------------------------------------------------------

class BatchListView(PortalListView):
    permission_required = "ratings.view_ratingbatch"
    template_name = "ratings/batch_list.html"
    paginate_by = 30
    export_name = "rating-batches"
    export_title = gettext_lazy("Re-rating batches")
    columns = [
        Column("id", "#", "pk", kind="number"),
        Column("kind", gettext_lazy("Kind"), "get_kind_display"),
        Column("business_date", gettext_lazy("Business date"), "business_date", kind="date"),
        Column("status", gettext_lazy("Status"), "get_status_display"),
        Column("started", gettext_lazy("Started"), "started_at", kind="date"),
        Column("finished", gettext_lazy("Finished"), "finished_at", kind="date"),
        Column("total", pgettext_lazy("count", "Customers"), "total", kind="number"),
        Column("changed", gettext_lazy("Changed"), "changed", kind="number"),
        Column("proposed", gettext_lazy("Proposed"), "proposed", kind="number"),
        Column("errors", gettext_lazy("Errors"), "error_count", kind="number"),
    ]

    def get_permission_required(self):
        # Reading the list needs view; starting a batch (POST) needs run_rating_batch.
        return ["ratings.run_rating_batch" if self.request.method == "POST" else "ratings.view_ratingbatch"]

    queryset = RatingBatch.objects.select_related("started_by")

    def post(self, request):
        """Run now: resume a stalled batch, or fail it and start a new one, or start a new one; say which."""
        try:
            outcome = services.batch_run_now(actor=request.user)
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect("ratings:batch_list")
        (messages.warning if outcome.failed or outcome.outcome == outcome.RESUMED else messages.success)(
            request, outcome.message())
        return redirect("ratings:batch_detail", pk=outcome.batch.pk)


class BatchDetailView(PortalDetailView):
    permission_required = "ratings.view_ratingbatch"
    context_object_name = "batch"

    def get_template_names(self):
        if self.request.headers.get("HX-Request"):
            return ["ratings/_batch_progress.html"]
        return ["ratings/batch_detail.html"]

    queryset = RatingBatch.objects.select_related("started_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["proposals"] = (Rating.objects.visible_to(self.request.user).filter(batch=self.object)
                                .select_related("customer")[:200])
        return context
