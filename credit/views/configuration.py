"""Configuration pages: credit policies, the authority matrix, delegations, approvers, group limits."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.generic import TemplateView, View

from creditportal.core import access, clock
from creditportal.core.errors import NotAllowed, ServiceError
from creditportal.core.lists import Column, PortalListView
from creditportal.core.views import PortalPermissionMixin, report_service_error
from customers.models import CustomerGroup

from .. import rules, selectors, services
from ..filtersets import GroupLimitFilterSet, PolicyFilterSet
from ..forms import (
    ApproverAuthorityForm,
    AuthorityLevelForm,
    GroupLimitForm,
    PolicyCreateForm,
    PolicyForm,
    PolicyRuleFormSet,
    DelegationForm,
)
from ..models import ApproverAuthority, AuthorityLevel, CreditPolicy, Delegation, GroupLimit
from ._common import ConfigFormView, run_action


# --- Configuration pages ----------------------------------------------------------------------

class PolicyListView(PortalListView):
    permission_required = "credit.view_creditpolicy"
    template_name = "credit/policy_list.html"
    filterset_class = PolicyFilterSet
    default_sort = "-effective"
    export_name = "credit-policies"
    export_title = gettext_lazy("Credit policies")
    columns = [
        Column("version", gettext_lazy("Version"), "version", sort="version", kind="number"),
        Column("name", gettext_lazy("Name"), "name", sort="name"),
        Column("effective", gettext_lazy("Effective from"), "effective_from", sort=["effective_from", "version"],
               kind="date"),
        Column("status", gettext_lazy("Status"), "get_status_display", sort="status"),
        Column("made_by", gettext_lazy("Made by"), "created_by", kind="person", sort="created_by__username"),
        Column("activated_by", gettext_lazy("Activated by"), "activated_by", kind="person"),
    ]

    queryset = CreditPolicy.objects.select_related("created_by", "activated_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_add"] = access.has(self.request.user, "credit.add_creditpolicy")
        return context


class PolicyDetailView(PortalPermissionMixin, TemplateView):
    permission_required = "credit.view_creditpolicy"
    template_name = "credit/policy_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        policy = get_object_or_404(CreditPolicy.objects.visible_to(self.request.user)
                                   .select_related("created_by", "activated_by"), pk=kwargs["pk"])
        context["policy"] = policy
        context["rules"] = list(policy.rules.all())
        context["in_force"] = selectors.policy_in_force()
        context["actions"] = selectors.policy_actions(self.request.user, policy)
        return context


class PolicyActivateView(PortalPermissionMixin, View):
    permission_required = "credit.approve_creditpolicy"

    def post(self, request, pk):
        policy = get_object_or_404(CreditPolicy.objects.visible_to(request.user), pk=pk)
        run_action(request, lambda: services.policy_activate(actor=request.user, policy=policy),
                   _("The policy is in force."))
        return redirect("credit:policy_detail", pk=pk)


class MatrixView(PortalPermissionMixin, TemplateView):
    permission_required = "credit.view_authoritylevel"
    template_name = "credit/matrix.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = clock.today()
        context.update({
            "levels": list(AuthorityLevel.objects.visible_to(self.request.user)),
            "approvers": list(ApproverAuthority.objects.visible_to(self.request.user).select_related("user", "level")),
            "delegations": [(d, rules.delegation_active(d.start_date, d.end_date, today, d.revoked))
                            for d in Delegation.objects.visible_to(self.request.user)
                            .select_related("delegator", "delegate", "level")[:100]],
            "group_limits": list(GroupLimit.objects.visible_to(self.request.user).select_related("group")),
            "my_authority": selectors.effective_authority(self.request.user),
            "may_delegate": access.has(self.request.user, "credit.add_delegation"),
            "may_add_level": access.has(self.request.user, "credit.add_authoritylevel"),
            "may_change_level": access.has(self.request.user, "credit.change_authoritylevel"),
            "may_assign": access.has(self.request.user, "credit.add_approverauthority")
            and access.has(self.request.user, "credit.change_approverauthority"),
        })
        context.setdefault("form", DelegationForm(initial={"delegator": self.request.user.pk, "start_date": today,
                                                          "end_date": today}))
        return context


class DelegationCreateView(ConfigFormView):
    permission_required = "credit.add_delegation"
    template_name = "credit/matrix.html"
    form_class = DelegationForm
    refusal_on_form = True
    success_message = gettext_lazy("Delegation saved.")
    proposed_message = gettext_lazy("Delegation proposed; it takes effect once a risk administrator approves it.")

    def get_context_data(self, **kwargs):
        view = MatrixView()
        view.request = self.request
        view.kwargs = {}
        return view.get_context_data(**super().get_context_data(**kwargs))

    def save(self, data):
        return services.delegation_create(actor=self.request.user, **data)


class DelegationRevokeView(PortalPermissionMixin, View):
    permission_required = "credit.add_delegation"

    def post(self, request, pk):
        delegation = get_object_or_404(Delegation.objects.visible_to(request.user), pk=pk)
        try:
            services.delegation_revoke(actor=request.user, delegation=delegation)
        except NotAllowed as error:
            raise PermissionDenied(error.message) from error
        return redirect("credit:matrix")


# --- Configuration: create and edit (risk admins) ---------------------------------------------

class PolicyCreateView(ConfigFormView):
    permission_required = "credit.add_creditpolicy"
    form_class = PolicyCreateForm
    title = gettext_lazy("New credit policy (draft)")
    cancel_url = "credit:policy_list"
    success_message = gettext_lazy("Policy draft saved; now set its grade rules.")

    def get_initial(self):
        return {"effective_from": clock.today()}

    def save(self, data):
        copy = data.pop("copy_in_force", False)
        in_force = selectors.policy_in_force() if copy else None
        copied = [{f: getattr(r, f) for f in services.RULE_FIELDS} for r in in_force.rules.all()] if in_force else []
        if in_force is not None and data.get("overdue_tolerance_days") is None:
            data["overdue_tolerance_days"] = in_force.overdue_tolerance_days
        return services.policy_create(actor=self.request.user, rules=copied, **data)

    def saved_url(self, policy):
        return reverse("credit:policy_edit", args=[policy.pk])


RULE_COLUMNS = [
    ("eligible", None), ("max_limit", "max_limit_hard"), ("max_equity_share", None),
    ("max_revenue_share", "share_hard"), ("max_term_months", "term_hard"), ("min_coverage", "coverage_hard"),
    ("pricing_spread_bps", None), ("review_months", None),
    ("max_payment_term_days", "payment_term_hard"), ("deposit_percent", None), ("sizing_method", None),
    ("sizing_share", None),
]


class PolicyEditView(PortalPermissionMixin, TemplateView):
    """A draft's name, date and notes, and one row per grade (a formset); a policy in force is read-only
    here and the service refuses any change to it."""

    permission_required = "credit.change_creditpolicy"
    template_name = "credit/policy_edit.html"

    @cached_property
    def policy(self):
        # Looked up after the permission check.
        return get_object_or_404(CreditPolicy.objects.visible_to(self.request.user), pk=self.kwargs["pk"])

    def _forms(self, data=None):
        policy = self.policy
        existing = {r.grade: r for r in policy.rules.all()}
        initial = []
        for grade in rules.DEFAULT_GRADES:
            rule = existing.get(grade)
            row = {"grade": grade, "include": rule is not None or not existing, "eligible": True,
                   "max_limit_hard": True, "pricing_spread_bps": 0, "review_months": 12}
            if rule is not None:
                row.update({f: getattr(rule, f) for f in services.RULE_FIELDS})
            initial.append(row)
        form = PolicyForm(data, initial={"name": policy.name, "name_en": policy.name_en, "effective_from": policy.effective_from,
                                         "notes": policy.notes,
                                         "overdue_tolerance_days": policy.overdue_tolerance_days})
        formset = PolicyRuleFormSet(data, initial=initial, prefix="rules")
        return form, formset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if "form" not in context:
            context["form"], context["formset"] = self._forms()
        formset = context["formset"]
        context.update({
            "policy": self.policy,
            "editable": self.policy.status == CreditPolicy.Status.DRAFT,
            "rows": [(f, [(f[name], f[hard] if hard else None) for name, hard in RULE_COLUMNS])
                     for f in formset.forms],
            "headers": [PolicyRuleFormSet.form.base_fields[name].label for name, _hard in RULE_COLUMNS],
        })
        return context

    def post(self, request, pk):
        form, formset = self._forms(request.POST)
        if form.is_valid() and formset.is_valid():
            rule_dicts = [f.rule() for f in formset.forms if f.cleaned_data.get("include")]
            try:
                services.policy_update(actor=request.user, policy=self.policy, rules=rule_dicts, **form.cleaned_data)
            except ServiceError as error:
                report_service_error(request, form, error)
            except NotAllowed as error:
                raise PermissionDenied(error.message) from error
            else:
                messages.success(request, _("The policy draft is saved."))
                return redirect("credit:policy_detail", pk=pk)
        return self.render_to_response(self.get_context_data(form=form, formset=formset))


class AuthorityLevelCreateView(ConfigFormView):
    permission_required = "credit.add_authoritylevel"
    form_class = AuthorityLevelForm
    title = gettext_lazy("New authority level")
    success_message = gettext_lazy("The authority level is saved.")

    def get_initial(self):
        last = AuthorityLevel.objects.order_by("-number").first()
        return {"number": (last.number + 1) if last else 1}

    def save(self, data):
        return services.authority_level_propose(actor=self.request.user, **data)


class AuthorityLevelEditView(AuthorityLevelCreateView):
    permission_required = "credit.change_authoritylevel"
    title = gettext_lazy("Edit authority level")

    @cached_property
    def level(self):
        # Looked up after the permission check.
        return get_object_or_404(AuthorityLevel.objects.visible_to(self.request.user), pk=self.kwargs["pk"])

    def get_initial(self):
        level = self.level
        return {"number": level.number, "name": level.name, "name_en": level.name_en, "max_amount": level.max_amount,
                "weakest_grade": level.weakest_grade}

    def save(self, data):
        return services.authority_level_propose(actor=self.request.user, level=self.level, **data)


class ApproverAuthorityView(ConfigFormView):
    """Give an approver a level (or change it); the service asks for add or change as the case may be."""

    permission_required = {"credit.add_approverauthority", "credit.change_approverauthority"}
    form_class = ApproverAuthorityForm
    title = gettext_lazy("Assign an approver to a level")
    success_message = gettext_lazy("The approver's authority is saved.")

    def get_initial(self):
        initial = {"active": True}
        user_id = self.request.GET.get("user")
        if user_id and user_id.isdigit():
            row = ApproverAuthority.objects.visible_to(self.request.user).filter(user_id=user_id).first()
            initial["user"] = int(user_id)
            if row:
                initial.update(level=row.level_id, active=row.active)
        return initial

    def save(self, data):
        return services.approver_authority_propose(actor=self.request.user, **data)


class GroupLimitListView(PortalListView):
    permission_required = "credit.view_grouplimit"
    template_name = "credit/group_limit_list.html"
    filterset_class = GroupLimitFilterSet
    default_sort = "group"
    export_name = "group-limits"
    export_title = gettext_lazy("Group limits")
    columns = [
        Column("group", gettext_lazy("Group"), "group.name", sort="group__name"),
        Column("limit", gettext_lazy("Limit"), "limit", sort="limit", kind="money", currency="currency"),
        Column("expiry", gettext_lazy("Expiry"), "expiry_date", sort="expiry_date", kind="date"),
        Column("active", pgettext_lazy("in force", "Active"), "active", sort="active"),
    ]

    queryset = GroupLimit.objects.select_related("group")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["may_add"] = access.has(user, "credit.add_grouplimit")
        context["may_change"] = access.has(user, "credit.change_grouplimit")
        context["today"] = clock.today()
        return context


class GroupLimitCreateView(ConfigFormView):
    permission_required = "credit.add_grouplimit"
    form_class = GroupLimitForm
    title = gettext_lazy("New group limit")
    cancel_url = "credit:group_limit_list"
    success_message = gettext_lazy("The group limit is saved.")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["groups"] = CustomerGroup.objects.visible_to(self.request.user).filter(
            credit_limit__isnull=True).order_by("name")
        return kwargs

    def get_initial(self):
        return {"currency": "CNY", "active": True}

    def save(self, data):
        return services.group_limit_propose(actor=self.request.user, **data)


class GroupLimitEditView(ConfigFormView):
    permission_required = "credit.change_grouplimit"
    form_class = GroupLimitForm
    cancel_url = "credit:group_limit_list"
    success_message = gettext_lazy("The group limit is saved.")

    @cached_property
    def group_limit(self):
        # Looked up after the permission check.
        return get_object_or_404(GroupLimit.objects.visible_to(self.request.user).select_related("group"),
                                 pk=self.kwargs["pk"])

    def get_title(self):
        return _("Group limit: %(group)s") % {"group": self.group_limit.group.name}

    def get_initial(self):
        row = self.group_limit
        return {"limit": row.limit, "currency": row.currency, "expiry_date": row.expiry_date, "active": row.active}

    def save(self, data):
        return services.group_limit_propose(actor=self.request.user, group=self.group_limit.group, **data)
