"""Credit applications and their approval workflow: collateral, guarantors, covenants, breaches, decisions."""
from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField

from creditportal.core.formatting import money
from creditportal.core.modelbase import StateMachine, Timestamped, state_change, user_field
from creditportal.core.money import AmountField, CurrencyField
from creditportal.core.querysets import CustomerScopedQuerySet
from customers.models import Customer, customer_field

from .. import rules
from .policy import CreditPolicy


# --- Applications -----------------------------------------------------------------------------

class ApplicationQuerySet(CustomerScopedQuerySet):
    pass


class CreditApplication(StateMachine, Timestamped):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        UNDER_REVIEW = "under_review", _("Under review")
        RECOMMENDED = "recommended", _("Recommended")
        PENDING_APPROVAL = "pending_approval", _("Pending approval")
        APPROVED = "approved", _("Approved")
        FACILITY_OPENED = "facility_opened", _("Facility opened")
        RETURNED = "returned", _("Returned")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Type(models.TextChoices):
        NEW = "new", _("New")
        INCREASE = "increase", _("Increase")
        RENEWAL = "renewal", _("Renewal")
        DECREASE = "decrease", _("Decrease")
        TEMPORARY = "temporary", _("Temporary")

    class Product(models.TextChoices):
        TRADE_CREDIT = "trade_credit", _("Trade credit")
        LOAN = "loan", _("Loan")
        GUARANTEE = "guarantee", _("Guarantee")

    OPEN_STATES = [Status.DRAFT, Status.SUBMITTED, Status.UNDER_REVIEW, Status.RECOMMENDED,
                   Status.PENDING_APPROVAL, Status.RETURNED]

    customer = customer_field("credit_applications")
    application_type = models.CharField(_("type"), max_length=12, choices=Type.choices, default=Type.NEW)
    facility = models.ForeignKey("Facility", verbose_name=_("facility to change"), on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="change_applications",
                                 help_text=_("For an increase, renewal or decrease: the facility it changes."))
    amount = AmountField(_("limit requested"))
    currency = CurrencyField()
    term_months = models.PositiveIntegerField(_("term (months)"))
    payment_term_days = models.PositiveIntegerField(
        _("payment term (days)"), null=True, blank=True,
        help_text=_("The days from invoice to due date the customer asks for (trade credit)."))
    expected_monthly_sales = AmountField(
        _("expected monthly credit sales"), null=True, blank=True,
        help_text=_("In the application's currency; used by the limit sizing (empty: the customer's history)."))
    product = models.CharField(_("product"), max_length=14, choices=Product.choices, default=Product.TRADE_CREDIT)
    purpose = models.TextField(_("purpose"))
    conditions = models.TextField(_("conditions"), blank=True)
    status = FSMField(_("status"), default=Status.DRAFT, choices=Status.choices, protected=True, db_index=True)
    # Workflow facts (set by the services)
    current_level = models.PositiveSmallIntegerField(_("current approval level"), default=0)
    required_levels = models.PositiveSmallIntegerField(_("levels required"), default=0)
    policy = models.ForeignKey(CreditPolicy, verbose_name=_("policy applied"), on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")
    policy_result = models.JSONField(_("policy check"), default=dict, blank=True)
    policy_exception = models.BooleanField(_("policy exception"), default=False)
    exception_reason = models.TextField(_("reason for the exception"), blank=True)
    rating = models.ForeignKey("ratings.Rating", verbose_name=_("rating used"), on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")
    rating_grade = models.CharField(_("grade used"), max_length=8, blank=True)
    group_exposure = AmountField(_("group exposure (reporting currency)"), default=Decimal("0"))
    amount_reporting = AmountField(_("amount (reporting currency)"), default=Decimal("0"))
    analyst_opinion = models.TextField(_("analyst's opinion"), blank=True)
    return_reason = models.TextField(_("reason for the return"), blank=True)
    created_by = user_field(_("made by"))
    reviewer = user_field(_("analyst"), optional=True)
    status_changed_at = models.DateTimeField(_("waiting since"), null=True, blank=True, db_index=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("credit application")
        verbose_name_plural = _("credit applications")
        ordering = ["-created_at", "-id"]
        # The list's order (API and pages): without it every page sorts all applications (issue 10, bench).
        indexes = [models.Index(fields=["-created_at", "-id"], name="credit_app_created_idx")]
        permissions = [
            ("submit_creditapplication", "Can submit a credit application"),
            ("withdraw_creditapplication", "Can withdraw a credit application"),
            ("review_creditapplication", "Can review and recommend a credit application"),
            ("approve_creditapplication", "Can approve, reject or return a credit application at a level"),
            ("decide_creditapplication", "Can take workflow actions on credit applications (the service checks which)"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="credit_application_amount_positive"),
            models.CheckConstraint(condition=models.Q(term_months__gt=0), name="credit_application_term_positive"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.customer} {money(self.amount, self.currency)}"

    # transitions (only the state changes here; see credit.services)
    submit = state_change(status, [Status.DRAFT, Status.RETURNED], Status.SUBMITTED)
    start_review = state_change(status, Status.SUBMITTED, Status.UNDER_REVIEW)
    recommend = state_change(status, Status.UNDER_REVIEW, Status.RECOMMENDED)
    route_to_approval = state_change(status, Status.RECOMMENDED, Status.PENDING_APPROVAL)
    approve_level = state_change(status, Status.PENDING_APPROVAL, Status.PENDING_APPROVAL)
    approve_final = state_change(status, Status.PENDING_APPROVAL, Status.APPROVED)
    open_facility = state_change(status, Status.APPROVED, Status.FACILITY_OPENED)
    return_to_manager = state_change(status, [Status.SUBMITTED, Status.UNDER_REVIEW, Status.RECOMMENDED,
                                              Status.PENDING_APPROVAL], Status.RETURNED)
    reject = state_change(status, [Status.UNDER_REVIEW, Status.RECOMMENDED, Status.PENDING_APPROVAL], Status.REJECTED)
    withdraw = state_change(status, [Status.DRAFT, Status.SUBMITTED, Status.UNDER_REVIEW, Status.RECOMMENDED,
                                     Status.PENDING_APPROVAL, Status.RETURNED], Status.WITHDRAWN)


class Collateral(models.Model):
    class Kind(models.TextChoices):
        REAL_ESTATE = "real_estate", pgettext_lazy("collateral type", "Real estate")
        DEPOSIT = "deposit", _("Cash deposit")
        RECEIVABLES = "receivables", _("Receivables")
        INVENTORY = "inventory", _("Inventory")
        EQUIPMENT = "equipment", _("Equipment")
        SECURITIES = "securities", _("Securities")
        OTHER = "other", _("Other")

    application = models.ForeignKey(CreditApplication, verbose_name=_("application"), on_delete=models.CASCADE,
                                    related_name="collaterals")
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=300, blank=True)
    market_value = AmountField(_("market value"))
    currency = CurrencyField()
    haircut = models.DecimalField(_("haircut"), max_digits=5, decimal_places=4,
                                  help_text=_("A fraction: 0.3 takes 30 per cent off the market value."))
    table_haircut = models.DecimalField(_("haircut of the table"), max_digits=5, decimal_places=4, null=True,
                                        blank=True, help_text=_("The haircut table's value for the type when the "
                                                                "item was entered."))
    haircut_reason = models.TextField(_("reason for a smaller haircut"), blank=True)
    valuation_date = models.DateField(_("valuation date"))
    revaluation_due = models.DateField(_("revaluation due"))

    class Meta:
        verbose_name = _("collateral")
        verbose_name_plural = _("collateral")
        ordering = ["application_id", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(haircut__gte=0) & models.Q(haircut__lte=1),
                                   name="credit_collateral_haircut_fraction"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {money(self.market_value, self.currency)}"

    @property
    def lendable_value(self) -> Decimal:
        return rules.lendable_value(self.market_value, self.haircut)


class Guarantor(models.Model):
    application = models.ForeignKey(CreditApplication, verbose_name=_("application"), on_delete=models.CASCADE,
                                    related_name="guarantors")
    customer = models.ForeignKey(Customer, verbose_name=_("guarantor (customer)"), on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="+")
    outside_name = models.CharField(_("guarantor (outside party)"), max_length=200, blank=True)
    external_agency = models.CharField(_("rating agency"), max_length=100, blank=True)
    external_grade = models.CharField(_("agency grade"), max_length=12, blank=True)
    mapped_grade = models.CharField(_("grade on the master scale"), max_length=8, blank=True,
                                    help_text=_("The agency grade on the portal's master scale."))
    external_rated_on = models.DateField(_("agency rating date"), null=True, blank=True)
    amount = AmountField(_("amount guaranteed"))
    currency = CurrencyField()

    class Meta:
        verbose_name = _("guarantor")
        verbose_name_plural = _("guarantors")
        ordering = ["application_id", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(customer=None) | ~models.Q(outside_name=""),
                                   name="credit_guarantor_named"),
        ]

    def __str__(self):
        return str(self.customer) if self.customer_id else self.outside_name


class Covenant(models.Model):
    class Ratio(models.TextChoices):
        DEBT_TO_EQUITY = "debt_to_equity", pgettext_lazy("covenant metric", "Debt to equity")
        EQUITY_RATIO = "equity_ratio", _("Equity ratio")
        DEBT_TO_ASSETS = "debt_to_assets", _("Debt to assets")
        CURRENT_RATIO = "current_ratio", _("Current ratio")
        INTEREST_COVERAGE = "interest_coverage", _("Interest coverage")
        NET_MARGIN = "net_margin", _("Net margin")
        NET_WORTH = "net_worth", _("Net worth (yuan)")

    class Comparison(models.TextChoices):
        GTE = ">=", "≥"
        GT = ">", ">"
        LTE = "<=", "≤"
        LT = "<", "<"

    class Frequency(models.TextChoices):
        EACH_STATEMENT = "each_statement", _("Each new statement")
        QUARTERLY = "quarterly", _("Quarterly")
        HALF_YEARLY = "half_yearly", _("Half-yearly")
        YEARLY = "yearly", _("Yearly")

    application = models.ForeignKey(CreditApplication, verbose_name=_("application"), on_delete=models.CASCADE,
                                    related_name="covenants")
    ratio = models.CharField(_("ratio"), max_length=20, choices=Ratio.choices)
    comparison = models.CharField(_("comparison"), max_length=2, choices=Comparison.choices)
    threshold = models.DecimalField(_("threshold"), max_digits=20, decimal_places=4)
    frequency = models.CharField(_("tested"), max_length=16, choices=Frequency.choices,
                                 default=Frequency.EACH_STATEMENT)
    last_tested_on = models.DateField(_("last tested"), null=True, blank=True)

    class Meta:
        verbose_name = _("covenant")
        verbose_name_plural = _("covenants")
        ordering = ["application_id", "id"]

    def __str__(self):
        return f"{self.get_ratio_display()} {self.comparison} {self.threshold}"


class CovenantBreach(models.Model):
    covenant = models.ForeignKey(Covenant, verbose_name=_("covenant"), on_delete=models.PROTECT,
                                 related_name="breaches")
    customer = customer_field()
    statement_id = models.BigIntegerField(_("statement"))
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=4, null=True, blank=True,
                                help_text=_("Empty: the ratio has no meaning (equity at or below zero)."))
    tested_on = models.DateField(_("tested on"))
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("covenant breach")
        verbose_name_plural = _("covenant breaches")
        ordering = ["-tested_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["covenant", "statement_id"],
                                               name="credit_breach_once_per_statement")]

    def __str__(self):
        return f"{self.covenant} = {self.value}"


ROUTE_REASONS = {  # why an application went to its approval levels (a routing decision's comment holds the codes)
    "amount": _("the amount with the group's exposure"),
    "grade": _("the rating grade"),
    "policy_exception": _("a policy exception (the top level decides)"),
    "decrease": _("a decrease of the limit (one level)"),
    "no_matrix": _("no authority matrix"),
    "beyond_matrix": _("beyond the authority matrix"),
}


class Decision(models.Model):
    """One step of an application's timeline: who, when, which level, what, with which comment."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("Submitted")
        START_REVIEW = "start_review", _("Review started")
        RECOMMEND = "recommend", _("Recommended")
        ROUTE = "route", _("Sent for approval")
        APPROVE = "approve", _("Approved")
        REJECT = "reject", _("Rejected")
        RETURN = "return", _("Returned")
        WITHDRAW = "withdraw", _("Withdrawn")
        OPEN_FACILITY = "open_facility", _("Facility opened")

    application = models.ForeignKey(CreditApplication, verbose_name=_("application"), on_delete=models.CASCADE,
                                    related_name="decisions")
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    actor = user_field(_("by"))
    on_behalf_of = user_field(_("on behalf of"), optional=True)
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)
    comment = models.TextField(pgettext_lazy("approval decision", "comment"), blank=True)
    acknowledged_warnings = models.JSONField(
        _("warnings acknowledged"), default=list, blank=True,
        help_text=_("What the approver saw and acknowledged with the comment: [{code, text, params}]."))
    voided = models.BooleanField(_("voided by a return"), default=False)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["application_id", "at", "id"]
        constraints = [
            # one person cannot approve two levels of one application (among approvals still valid)
            models.UniqueConstraint(fields=["application", "actor"], condition=models.Q(action="approve", voided=False),
                                    name="credit_decision_one_level_per_person"),
            models.UniqueConstraint(fields=["application", "level"], condition=models.Q(action="approve", voided=False),
                                    name="credit_decision_one_approval_per_level"),
        ]

    def __str__(self):
        return f"{self.application_id} {self.action} {self.level or ''}"

    def comment_text(self) -> str:
        """The comment as people read it (the page and the memo): a routing decision's reason codes in words."""
        from django.utils.translation import gettext

        if self.action == self.Action.ROUTE and self.comment:
            codes = [c for c in self.comment.split(",") if c]
            return gettext("Because of %(reasons)s.") % {
                "reasons": ", ".join(str(ROUTE_REASONS.get(c, c)) for c in codes)}
        return self.comment
