"""Credit: policies, the authority matrix, applications and their approval workflow, facilities, orders.

State machines use django-fsm-2 (``FSMField(protected=True)`` + ``ConcurrentTransitionMixin``); the
transitions only change the state: every rule, permission check, row lock and audit record lives in
``credit.services``. Object scoping: ``visible_to(user)`` follows ``customers.Customer.visible_to``.
"""
from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition

from creditportal.core.money import AmountField, CurrencyField
from creditportal.core.querysets import CustomerScopedQuerySet, StaffQuerySet
from customers.models import Customer

from . import rules

GRADE_CHOICES = [(g, g) for g in rules.DEFAULT_GRADES]


# --- Credit policy ----------------------------------------------------------------------------

class CreditPolicy(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        IN_FORCE = "in_force", _("in force")
        SUPERSEDED = "superseded", _("superseded")

    name = models.CharField(_("name"), max_length=200)
    version = models.PositiveIntegerField(_("version"), unique=True)
    effective_from = models.DateField(_("effective from"))
    status = FSMField(_("status"), default=Status.DRAFT, choices=Status.choices, protected=True, db_index=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    activated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("activated by"),
                                     on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)

    objects = StaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("credit policy")
        verbose_name_plural = _("credit policies")
        ordering = ["-effective_from", "-version"]
        permissions = [("approve_creditpolicy", "Can put a credit policy in force (four-eyes)")]

    def __str__(self):
        return f"{self.name} v{self.version}"

    @transition(field=status, source=Status.DRAFT, target=Status.IN_FORCE)
    def activate(self):
        pass

    @transition(field=status, source=Status.IN_FORCE, target=Status.SUPERSEDED)
    def supersede(self):
        pass


class PolicyGradeRule(models.Model):
    """What a policy allows for one grade; each rule is hard (blocks) or soft (needs an exception)."""

    policy = models.ForeignKey(CreditPolicy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="rules")
    grade = models.CharField(_("grade"), max_length=4, choices=GRADE_CHOICES)
    eligible = models.BooleanField(_("eligible for credit"), default=True)
    max_limit = AmountField(_("maximum limit (reporting currency)"), null=True, blank=True)
    max_limit_hard = models.BooleanField(_("maximum limit is a hard rule"), default=True)
    max_equity_share = models.DecimalField(_("maximum limit as a share of equity"), max_digits=6, decimal_places=4,
                                           null=True, blank=True)
    max_revenue_share = models.DecimalField(_("maximum limit as a share of revenue"), max_digits=6,
                                            decimal_places=4, null=True, blank=True)
    share_hard = models.BooleanField(_("share caps are hard rules"), default=False)
    max_term_months = models.PositiveIntegerField(_("maximum term (months)"), null=True, blank=True)
    term_hard = models.BooleanField(_("maximum term is a hard rule"), default=False)
    min_coverage = models.DecimalField(_("required collateral/guarantee coverage"), max_digits=6, decimal_places=4,
                                       null=True, blank=True, help_text=_("A fraction of the amount: 0.5 is half of it."))
    coverage_hard = models.BooleanField(_("coverage is a hard rule"), default=False)
    pricing_spread_bps = models.PositiveIntegerField(_("pricing spread (basis points)"), default=0)
    review_months = models.PositiveIntegerField(_("review frequency (months)"), default=12)

    class Meta:
        verbose_name = _("policy rule")
        verbose_name_plural = _("policy rules")
        ordering = ["policy_id", "id"]
        constraints = [models.UniqueConstraint(fields=["policy", "grade"], name="credit_policy_rule_unique_grade")]

    def __str__(self):
        return f"{self.policy_id} {self.grade}"

    def as_rule(self) -> rules.GradeRule:
        return rules.GradeRule(
            grade=self.grade, eligible=self.eligible, max_limit=self.max_limit, max_limit_hard=self.max_limit_hard,
            max_equity_share=self.max_equity_share, max_revenue_share=self.max_revenue_share,
            share_hard=self.share_hard, max_term_months=self.max_term_months, term_hard=self.term_hard,
            min_coverage=self.min_coverage, coverage_hard=self.coverage_hard,
        )


# --- Authority matrix -------------------------------------------------------------------------

class AuthorityLevel(models.Model):
    number = models.PositiveSmallIntegerField(_("level"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    max_amount = AmountField(_("maximum amount (reporting currency)"), null=True, blank=True,
                             help_text=_("Empty: no upper limit."))
    weakest_grade = models.CharField(_("weakest grade it may approve"), max_length=4, choices=GRADE_CHOICES,
                                     blank=True)

    objects = StaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("authority level")
        verbose_name_plural = _("authority levels")
        ordering = ["number"]

    def __str__(self):
        return f"{self.number} · {self.name}"

    def as_level(self) -> rules.Level:
        return rules.Level(self.number, self.max_amount, self.weakest_grade)


class ApproverAuthority(models.Model):
    """The authority level of one approver (a user of the ``approver`` group)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("approver"), on_delete=models.PROTECT,
                                related_name="credit_authority")
    level = models.ForeignKey(AuthorityLevel, verbose_name=_("level"), on_delete=models.PROTECT,
                              related_name="approvers")
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = StaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("approver authority")
        verbose_name_plural = _("approver authorities")
        ordering = ["level__number", "user__username"]

    def __str__(self):
        return f"{self.user} → {self.level}"


class DelegationQuerySet(StaffQuerySet):
    def active_on(self, on_date):
        return self.filter(revoked=False, start_date__lte=on_date, end_date__gte=on_date)


class Delegation(models.Model):
    """An approver's authority lent to a stand-in for a period: capped at the delegator's own level,
    expiring by itself after ``end_date`` (authority is computed by date, no job needed)."""

    delegator = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("delegator"), on_delete=models.PROTECT,
                                  related_name="credit_delegations_given")
    delegate = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("stand-in"), on_delete=models.PROTECT,
                                 related_name="credit_delegations_received")
    level = models.ForeignKey(AuthorityLevel, verbose_name=_("delegated level"), on_delete=models.PROTECT,
                              related_name="+")
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until (inclusive)"))
    reason = models.CharField(_("reason"), max_length=300)
    revoked = models.BooleanField(_("revoked"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = DelegationQuerySet.as_manager()

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")),
                                   name="credit_delegation_period_order"),
            models.CheckConstraint(condition=~models.Q(delegator=models.F("delegate")),
                                   name="credit_delegation_other_person"),
        ]

    def __str__(self):
        return f"{self.delegator} → {self.delegate} ({self.start_date}–{self.end_date})"


class GroupLimit(models.Model):
    """集团统一授信: one overall limit for a group of related companies, drawn on by its members' facilities."""

    group = models.OneToOneField("customers.CustomerGroup", verbose_name=_("group of related companies"),
                                 on_delete=models.PROTECT, related_name="credit_limit")
    limit = AmountField(_("group limit"))
    currency = CurrencyField()
    expiry_date = models.DateField(_("expiry"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = StaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("group limit")
        verbose_name_plural = _("group limits")
        ordering = ["group__name"]

    def __str__(self):
        return f"{self.group} {self.currency} {self.limit}"


# --- Applications -----------------------------------------------------------------------------

class ApplicationQuerySet(CustomerScopedQuerySet):
    pass


class CreditApplication(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        UNDER_REVIEW = "under_review", _("under review")
        RECOMMENDED = "recommended", _("recommended")
        PENDING_APPROVAL = "pending_approval", _("pending approval")
        APPROVED = "approved", _("approved")
        FACILITY_OPENED = "facility_opened", _("facility opened")
        RETURNED = "returned", _("returned")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrawn")

    class Type(models.TextChoices):
        NEW = "new", _("new")
        INCREASE = "increase", _("increase")
        RENEWAL = "renewal", _("renewal")
        DECREASE = "decrease", _("decrease")
        TEMPORARY = "temporary", _("temporary")

    class Product(models.TextChoices):
        TRADE_CREDIT = "trade_credit", _("trade credit")
        LOAN = "loan", _("loan")
        GUARANTEE = "guarantee", _("guarantee")

    OPEN_STATES = [Status.DRAFT, Status.SUBMITTED, Status.UNDER_REVIEW, Status.RECOMMENDED,
                   Status.PENDING_APPROVAL, Status.RETURNED]

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="credit_applications")
    application_type = models.CharField(_("type"), max_length=12, choices=Type.choices, default=Type.NEW)
    facility = models.ForeignKey("Facility", verbose_name=_("facility to change"), on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="change_applications",
                                 help_text=_("For an increase, renewal or decrease: the facility it changes."))
    amount = AmountField(_("limit requested"))
    currency = CurrencyField()
    term_months = models.PositiveIntegerField(_("term (months)"))
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
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("made by"), on_delete=models.PROTECT,
                                   related_name="+")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("analyst"), on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
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
        return f"#{self.pk} {self.customer} {self.currency} {self.amount}"

    # transitions (only the state changes here; see credit.services)
    @transition(field=status, source=[Status.DRAFT, Status.RETURNED], target=Status.SUBMITTED)
    def submit(self):
        pass

    @transition(field=status, source=Status.SUBMITTED, target=Status.UNDER_REVIEW)
    def start_review(self):
        pass

    @transition(field=status, source=Status.UNDER_REVIEW, target=Status.RECOMMENDED)
    def recommend(self):
        pass

    @transition(field=status, source=Status.RECOMMENDED, target=Status.PENDING_APPROVAL)
    def route_to_approval(self):
        pass

    @transition(field=status, source=Status.PENDING_APPROVAL, target=Status.PENDING_APPROVAL)
    def approve_level(self):
        pass

    @transition(field=status, source=Status.PENDING_APPROVAL, target=Status.APPROVED)
    def approve_final(self):
        pass

    @transition(field=status, source=Status.APPROVED, target=Status.FACILITY_OPENED)
    def open_facility(self):
        pass

    @transition(field=status, source=[Status.SUBMITTED, Status.UNDER_REVIEW, Status.RECOMMENDED,
                                      Status.PENDING_APPROVAL], target=Status.RETURNED)
    def return_to_manager(self):
        pass

    @transition(field=status, source=[Status.UNDER_REVIEW, Status.RECOMMENDED, Status.PENDING_APPROVAL],
                target=Status.REJECTED)
    def reject(self):
        pass

    @transition(field=status, source=[Status.DRAFT, Status.SUBMITTED, Status.UNDER_REVIEW, Status.RECOMMENDED,
                                      Status.PENDING_APPROVAL, Status.RETURNED], target=Status.WITHDRAWN)
    def withdraw(self):
        pass


class Collateral(models.Model):
    class Kind(models.TextChoices):
        REAL_ESTATE = "real_estate", _("real estate")
        DEPOSIT = "deposit", _("cash deposit")
        RECEIVABLES = "receivables", _("receivables")
        INVENTORY = "inventory", _("inventory")
        EQUIPMENT = "equipment", _("equipment")
        SECURITIES = "securities", _("securities")
        OTHER = "other", _("other")

    application = models.ForeignKey(CreditApplication, verbose_name=_("application"), on_delete=models.CASCADE,
                                    related_name="collaterals")
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=300, blank=True)
    market_value = AmountField(_("market value"))
    currency = CurrencyField()
    haircut = models.DecimalField(_("haircut"), max_digits=5, decimal_places=4,
                                  help_text=_("A fraction: 0.3 takes 30 per cent off the market value."))
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
        return f"{self.get_kind_display()} {self.currency} {self.market_value}"

    @property
    def lendable_value(self) -> Decimal:
        return rules.lendable_value(self.market_value, self.haircut)


class Guarantor(models.Model):
    application = models.ForeignKey(CreditApplication, verbose_name=_("application"), on_delete=models.CASCADE,
                                    related_name="guarantors")
    customer = models.ForeignKey(Customer, verbose_name=_("guarantor (customer)"), on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="+")
    outside_name = models.CharField(_("guarantor (outside party)"), max_length=200, blank=True)
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
        DEBT_TO_EQUITY = "debt_to_equity", _("debt to equity")
        EQUITY_RATIO = "equity_ratio", _("equity ratio")
        DEBT_TO_ASSETS = "debt_to_assets", _("debt to assets")
        CURRENT_RATIO = "current_ratio", _("current ratio")
        INTEREST_COVERAGE = "interest_coverage", _("interest coverage")
        NET_MARGIN = "net_margin", _("net margin")
        NET_WORTH = "net_worth", _("net worth (yuan)")

    class Comparison(models.TextChoices):
        GTE = ">=", "≥"
        GT = ">", ">"
        LTE = "<=", "≤"
        LT = "<", "<"

    class Frequency(models.TextChoices):
        EACH_STATEMENT = "each_statement", _("each new statement")
        QUARTERLY = "quarterly", _("quarterly")
        HALF_YEARLY = "half_yearly", _("half-yearly")
        YEARLY = "yearly", _("yearly")

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
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+")
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


class Decision(models.Model):
    """One step of an application's timeline: who, when, which level, what, with which comment."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("submitted")
        START_REVIEW = "start_review", _("review started")
        RECOMMEND = "recommend", _("recommended")
        ROUTE = "route", _("sent for approval")
        APPROVE = "approve", _("approved")
        REJECT = "reject", _("rejected")
        RETURN = "return", _("returned")
        WITHDRAW = "withdraw", _("withdrawn")
        OPEN_FACILITY = "open_facility", _("facility opened")

    application = models.ForeignKey(CreditApplication, verbose_name=_("application"), on_delete=models.CASCADE,
                                    related_name="decisions")
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT,
                              related_name="+")
    on_behalf_of = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("on behalf of"),
                                     on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)
    comment = models.TextField(pgettext_lazy("approval decision", "comment"), blank=True)
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


# --- Facilities and orders --------------------------------------------------------------------

class Facility(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """授信额度: an approved limit the customer's orders and invoices draw on."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")
        EXPIRED = "expired", pgettext_lazy("limit", "expired")
        CLOSED = "closed", _("closed")

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="facilities")
    application = models.ForeignKey(CreditApplication, verbose_name=_("approved by application"),
                                    on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    product = models.CharField(_("product"), max_length=14, choices=CreditApplication.Product.choices,
                               default=CreditApplication.Product.TRADE_CREDIT)
    limit = AmountField(_("limit"))
    currency = CurrencyField()
    start_date = models.DateField(_("start"))
    expiry_date = models.DateField(_("expiry"))
    temporary = models.BooleanField(_("temporary"), default=False)
    status = FSMField(_("status"), default=Status.ACTIVE, choices=Status.choices, protected=True, db_index=True)
    status_reason = models.CharField(_("reason for the status"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["customer_id", "-start_date", "-id"]
        permissions = [("suspend_facility", "Can suspend a facility (suspend deliveries)"),
                       ("resume_facility", "Can lift a facility's suspension"),
                       ("check_facility", "Can run a limit check on a facility")]
        constraints = [
            models.CheckConstraint(condition=models.Q(expiry_date__gte=models.F("start_date")),
                                   name="credit_facility_period_order"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.customer} {self.currency} {self.limit}"

    @transition(field=status, source=Status.ACTIVE, target=Status.SUSPENDED)
    def suspend(self):
        pass

    @transition(field=status, source=Status.SUSPENDED, target=Status.ACTIVE)
    def resume(self):
        pass

    @transition(field=status, source=[Status.ACTIVE, Status.SUSPENDED], target=Status.EXPIRED)
    def expire(self):
        pass

    @transition(field=status, source=[Status.ACTIVE, Status.SUSPENDED, Status.EXPIRED], target=Status.CLOSED)
    def close(self):
        pass


class OrderQuerySet(CustomerScopedQuerySet):
    customer_path = "facility__customer"


class Order(models.Model):
    """An order (or drawdown) recorded against a facility: it reserves the limit until released."""

    class Status(models.TextChoices):
        RESERVED = "reserved", _("reserved")
        RELEASED = "released", _("released")
        CANCELLED = "cancelled", _("cancelled")

    facility = models.ForeignKey(Facility, verbose_name=_("facility"), on_delete=models.PROTECT,
                                 related_name="orders")
    reference = models.CharField(_("order reference"), max_length=100)
    amount = AmountField(_("amount"))
    currency = CurrencyField()
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RESERVED,
                              db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="credit_order_created_idx")]  # the list's order
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="credit_order_amount_positive"),
            models.UniqueConstraint(fields=["facility", "reference"], name="credit_order_unique_reference"),
        ]

    def __str__(self):
        return f"{self.reference} {self.currency} {self.amount}"
