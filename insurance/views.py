"""Pages of credit insurance: policies and uninsured caps (proposals, four-eyes), buyer limits, notifications to
the insurer and claims. Thin: every write is one service call."""
from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.generic import TemplateView

from creditportal.core import clock
from creditportal.core.errors import ValidationFailed
from creditportal.core.lists import Column, PortalListView
from creditportal.core.views import PortalPermissionMixin, ServiceFormView
from proposals.models import ChangeState, Proposal

from . import forms, selectors, services
from .models import GRADES, BuyerLimit, InsuranceClaim, InsurancePolicy


class PolicyListView(PortalPermissionMixin, TemplateView):
    """The policies, the uninsured caps by grade and the proposals waiting for a second person."""

    permission_required = "insurance.view_insurancepolicy"
    template_name = "insurance/policy_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        caps = selectors.uninsured_caps()
        context.update({
            "policies": list(InsurancePolicy.objects.visible_to(self.request.user)),
            "caps": [(grade, caps.get(grade)) for grade in GRADES],
            "pending": list(Proposal.objects.filter(kind__in=[services.POLICY_KIND, services.CAPS_KIND],
                                                    state=ChangeState.PROPOSED).select_related("proposed_by")),
            "today": clock.today(),
        })
        return context


class PolicyProposeView(ServiceFormView):
    """Propose a new policy or a change of one (``?number=`` fills in the policy in force)."""

    permission_required = {"insurance.add_insurancepolicy", "insurance.change_insurancepolicy"}
    form_class = forms.PolicyForm
    title = gettext_lazy("Propose an insurance policy")
    cancel_url = "insurance:policy_list"
    success_message = gettext_lazy("Proposed: it applies when another risk administrator approves it.")
    success_url_name = "proposals:detail"

    def get_initial(self):
        policy = InsurancePolicy.objects.filter(policy_number=self.request.GET.get("number", "")).first()
        if policy is None:
            return {"currency": "CNY"}
        return {name: getattr(policy, name) for name in ["policy_number", *services.POLICY_FIELDS]}

    def perform(self, d):
        return services.policy_propose(actor=self.request.user, **d)


class CapsProposeView(ServiceFormView):
    permission_required = "insurance.change_uninsuredcap"
    form_class = forms.CapsForm
    title = gettext_lazy("Propose the uninsured exposure caps by grade")
    cancel_url = "insurance:policy_list"
    success_message = gettext_lazy("Proposed: it applies when another risk administrator approves it.")
    success_url_name = "proposals:detail"

    def get_initial(self):
        return {f"cap_{grade}": amount for grade, amount in selectors.uninsured_caps().items()}

    def perform(self, d):
        return services.uninsured_caps_propose(actor=self.request.user,
                                               caps={grade: d.get(f"cap_{grade}") for grade in GRADES})


class BuyerLimitListView(PortalListView):
    permission_required = "insurance.view_buyerlimit"
    template_name = "insurance/buyer_limit_list.html"
    default_sort = "customer"
    export_name = "buyer-limits"
    export_title = gettext_lazy("Buyer limits")
    columns = [
        Column("customer", gettext_lazy("Customer"), "customer.name", sort="customer__name"),
        Column("policy", pgettext_lazy("insurance", "Policy"), "policy.policy_number", sort="policy__policy_number"),
        Column("amount", gettext_lazy("Amount"), "amount", sort="amount", kind="money", currency="currency"),
        Column("valid_from", gettext_lazy("Valid from"), "valid_from", sort="valid_from", kind="date"),
        Column("valid_to", gettext_lazy("Valid to"), "valid_to", sort="valid_to", kind="date"),
        Column("state", gettext_lazy("State"), "get_state_display", sort="state"),
        Column("conditions", gettext_lazy("Conditions"), "conditions"),
    ]

    queryset = BuyerLimit.objects.select_related("customer", "policy")


class BuyerLimitRequestView(ServiceFormView):
    permission_required = "insurance.add_buyerlimit"
    form_class = forms.BuyerLimitRequestForm
    pass_user = True
    title = gettext_lazy("Request a buyer limit from the insurer")
    cancel_url = "insurance:buyer_limit_list"
    success_message = gettext_lazy("Buyer limit request recorded.")

    def get_initial(self):
        return {"customer": self.request.GET.get("customer"), "currency": "CNY"}

    def perform(self, d):
        return services.buyer_limit_request(actor=self.request.user, policy=d["policy"], customer=d["customer"],
                                            amount=d["amount"], currency=d["currency"], conditions=d["conditions"])


class _SubjectFormView(ServiceFormView):
    """A form about one visible object: another portfolio's answers 404 (after the permission check)."""

    model = None

    @cached_property
    def subject(self):
        obj = self.model.objects.visible_to(self.request.user).filter(pk=self.kwargs["pk"]).first()
        if obj is None:
            raise Http404
        return obj

    def dispatch(self, request, *args, **kwargs):
        self.subject
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["subject"] = self.subject
        return context


BUYER_LIMIT_ACTIONS = {
    "grant": (forms.BuyerLimitGrantForm, gettext_lazy("The insurer granted the buyer limit")),
    "reduce": (forms.BuyerLimitReduceForm, gettext_lazy("The insurer reduced the buyer limit")),
    "withdraw": (forms.BuyerLimitWithdrawForm, gettext_lazy("The insurer withdrew the buyer limit")),
}


class BuyerLimitActionView(_SubjectFormView):
    permission_required = "insurance.change_buyerlimit"
    model = BuyerLimit
    template_name = "insurance/form.html"
    cancel_url = "insurance:buyer_limit_list"
    action = "grant"
    success_message = gettext_lazy("Buyer limit saved.")

    def get_form_class(self):
        return BUYER_LIMIT_ACTIONS[self.action][0]

    def get_title(self):
        return BUYER_LIMIT_ACTIONS[self.action][1]

    def get_initial(self):
        limit = self.subject
        return {"amount": limit.amount, "valid_from": limit.valid_from or clock.today(), "valid_to": limit.valid_to,
                "conditions": limit.conditions, "decided_on": clock.today()}

    def perform(self, d):
        actor, limit = self.request.user, self.subject
        if self.action == "grant":
            return services.buyer_limit_grant(actor=actor, limit=limit, **d)
        if self.action == "reduce":
            return services.buyer_limit_reduce(actor=actor, limit=limit, **d)
        return services.buyer_limit_withdraw(actor=actor, limit=limit, **d)


def _invoice(user, number, field="invoice_number"):
    from collection.models import Invoice

    invoice = Invoice.objects.visible_to(user).filter(number=(number or "").strip()).first()
    if invoice is None:
        raise ValidationFailed(_("Unknown invoice."), field_errors={field: _("Unknown invoice.")})
    return invoice


class _InvoiceFormView(ServiceFormView):
    """A form about an invoice typed by its number (``?invoice=`` fills it in), dated today unless changed."""

    cancel_url = "insurance:claim_list"
    date_field = ""

    def get_initial(self):
        return {"invoice_number": self.request.GET.get("invoice", ""), self.date_field: clock.today()}

    def invoice(self, d):
        return _invoice(self.request.user, d["invoice_number"])


class NotificationCreateView(_InvoiceFormView):
    permission_required = "insurance.add_insurernotification"
    form_class = forms.NotificationForm
    title = gettext_lazy("Record a notification to the insurer")
    success_message = gettext_lazy("Notification recorded.")
    date_field = "notified_on"

    def perform(self, d):
        return services.notification_record(actor=self.request.user, invoice=self.invoice(d),
                                            notified_on=d["notified_on"], reference=d["reference"], note=d["note"])

    def success_url_for(self, item):
        return reverse("customers:customer_detail", args=[item.customer_id]) + "?tab=insurance"


class ClaimListView(PortalListView):
    permission_required = "insurance.view_insuranceclaim"
    template_name = "insurance/claim_list.html"
    default_sort = "-filed_on"
    export_name = "insurance-claims"
    export_title = gettext_lazy("Insurance claims")
    columns = [
        Column("filed_on", gettext_lazy("Filed on"), "filed_on", sort="filed_on", kind="date"),
        Column("customer", gettext_lazy("Customer"), "customer.name", sort="customer__name"),
        Column("invoice", gettext_lazy("Invoice"), "invoice.number"),
        Column("policy", pgettext_lazy("insurance", "Policy"), "policy.policy_number"),
        Column("amount", gettext_lazy("Amount claimed"), "amount", sort="amount", kind="money", currency="currency"),
        Column("state", gettext_lazy("State"), "get_state_display", sort="state"),
        Column("paid_amount", gettext_lazy("Paid by the insurer"), "paid_amount", kind="money", currency="currency"),
    ]

    queryset = InsuranceClaim.objects.select_related("customer", "invoice", "policy")


class ClaimCreateView(_InvoiceFormView):
    permission_required = "insurance.add_insuranceclaim"
    form_class = forms.ClaimForm
    title = gettext_lazy("File a claim with the insurer")
    success_message = gettext_lazy("Claim recorded.")
    date_field = "filed_on"

    def perform(self, d):
        return services.claim_file(actor=self.request.user, invoice=self.invoice(d), amount=d["amount"],
                                   filed_on=d["filed_on"], reference=d["reference"], note=d["note"])

    def success_url_for(self, claim):
        return reverse("insurance:claim_list")


CLAIM_TITLES = {"accept": gettext_lazy("The insurer accepted the claim"),
                "reject": gettext_lazy("The insurer rejected the claim"),
                "pay": gettext_lazy("The insurer paid the claim"),
                "link": gettext_lazy("Link the claim payout and the write-off")}


class ClaimActionView(_SubjectFormView):
    permission_required = "insurance.change_insuranceclaim"
    model = InsuranceClaim
    form_class = forms.ClaimDecisionForm
    template_name = "insurance/form.html"
    cancel_url = "insurance:claim_list"
    action = "accept"
    success_message = gettext_lazy("Claim saved.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "action": self.action}

    def get_title(self):
        return CLAIM_TITLES[self.action]

    def perform(self, d):
        actor, claim = self.request.user, self.subject
        if self.action == "accept":
            return services.claim_accept(actor=actor, claim=claim, reference=d["reference"])
        if self.action == "reject":
            return services.claim_reject(actor=actor, claim=claim, note=d["note"])
        if self.action == "pay":
            return services.claim_pay(actor=actor, claim=claim, paid_amount=d["paid_amount"], paid_on=d["paid_on"])
        from collection.models import ClaimPayout, WriteOff

        payout = write_off = None
        if d.get("claim_payout"):
            payout = ClaimPayout.objects.visible_to(actor).filter(pk=d["claim_payout"]).first()
            if payout is None:
                raise ValidationFailed(_("Unknown claim payout."), field_errors={"claim_payout": _("Unknown.")})
        if d.get("write_off"):
            write_off = WriteOff.objects.visible_to(actor).filter(pk=d["write_off"]).first()
            if write_off is None:
                raise ValidationFailed(_("Unknown write-off."), field_errors={"write_off": _("Unknown.")})
        return services.claim_link(actor=actor, claim=claim, claim_payout=payout, write_off=write_off)
