"""Monitoring: warning rules and their alerts, the watchlist, asset classification and provisions.

State machines use django-fsm-2 (``FSMField(protected=True)`` on a ``modelbase.StateMachine``); transitions
(``modelbase.state_change``) only change the state: permission checks, row locks and the
audit record live in ``monitoring.services``. Object scoping (``visible_to(user)``) follows the customer's
own rule; configuration (rules, rates) is readable by every staff member holding the view permission.

Other apps' objects (facilities, ratings) are referred to by id in ``detail`` only: the one foreign key
downward is to ``customers.Customer``.
"""
from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField

from creditportal.core.money import AmountField, CurrencyField
from creditportal.core.naming import LocalizedNameMixin, english_field
from creditportal.core.modelbase import (
    MonthEndResult,
    StaffConfiguration,
    StateMachine,
    Timestamped,
    fraction_check,
    state_change,
    user_field,
)
from creditportal.core.querysets import CustomerScopedQuerySet
from customers.models import customer_field
from proposals.models import ConfigChange

from . import rules


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", pgettext_lazy("severity", "Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}


class Comparison(models.TextChoices):
    GT = ">", ">"
    GTE = ">=", "≥"
    LT = "<", "<"
    LTE = "<=", "≤"


class RecommendedAction(models.TextChoices):
    NONE = "none", _("None")
    RERATE = "rerate", _("Re-rate the customer")
    REDUCE_LIMIT = "reduce_limit", pgettext_lazy("recommended action", "Reduce the limit")
    SUSPEND = "suspend", _("Suspend deliveries")
    ASK_COLLATERAL = "ask_collateral", _("Ask for collateral")


class Metric(models.TextChoices):
    """What a rule measures for each customer (computed set-wise in ``monitoring.metrics``)."""

    OVERDUE_DAYS = "overdue_days", _("Days past due (oldest open invoice)")
    UTILISATION = "utilisation", _("Limit utilisation (fraction)")
    DOWNGRADE_NOTCHES = "downgrade_notches", _("Notches downgraded by the last approved rating")
    DOWNGRADE_PROPOSED = "downgrade_proposed", _("Notches of a proposed downgrade")
    CURRENT_RATIO_CHANGE = "current_ratio_change", _("Current ratio change year on year (fraction)")
    EQUITY = "equity", _("Owners' equity (yuan, latest statement)")
    LOSS_AFTER_PROFIT = "loss_after_profit", _("Loss after a profit (1 = yes)")
    ORDER_VOLUME_Z = "order_volume_z", _("Order volume z-score against the trailing average")
    LARGE_ORDERS_LATE = "large_orders_late", _("Order volume z-score while payments are late")
    NEGATIVE_RECORDS = "negative_records", _("New negative records in the window")
    REVIEW_OVERDUE_DAYS = "review_overdue_days", _("Days the rating review is overdue")
    FACILITY_EXPIRY_DAYS = "facility_expiry_days", _("Days until a facility expires")
    COVENANT_BREACHES = "covenant_breaches", _("Covenant breaches in the window")
    COLLATERAL_COVERAGE_GAP = "collateral_coverage_gap", _("Collateral coverage below the requirement (fraction)")
    REVALUATION_OVERDUE_DAYS = "revaluation_overdue_days", _("Days a collateral revaluation is overdue")
    REVALUATION_DUE_DAYS = "revaluation_due_days", _("Days until a collateral revaluation falls due")
    EXPIRED_DOCUMENTS = "expired_documents", _("Documents past their expiry date")
    LIMIT_USAGE_AVERAGE = "limit_usage_average", _("average month-end limit usage over the trailing periods "
                                                   "(fraction)")
    PAYMENT_PATTERN_CHANGE = "payment_pattern_change", _("change of the average days paid after the due date: "
                                                         "the last window against the windows before (days)")
    INSURER_NOTICE_DAYS_LEFT = "insurer_notice_days_left", _("Days left to notify the insurer of an overdue invoice")
    INSURER_CLAIM_DAYS_LEFT = "insurer_claim_days_left", _("Days left to file a claim with the insurer")
    # outside credit information (creditinfo): changes an import found, detected within the window
    OUTSIDE_NEW_DISHONEST = "outside_new_dishonest", _("New dishonest judgement debtor records (outside information)")
    OUTSIDE_NEW_BANKRUPTCY = "outside_new_bankruptcy", _("New bankruptcy records (outside information)")
    OUTSIDE_STATUS = "outside_registration_status", _("Registration status not in business (outside information)")
    OUTSIDE_CONTROLLER_CHANGED = "outside_controller_changed", _("Actual controller changed (outside information)")
    OUTSIDE_NEW_EQUITY_PLEDGE = "outside_new_equity_pledge", _("New equity pledges (outside information)")
    OUTSIDE_NEW_CHATTEL_MORTGAGE = "outside_new_chattel_mortgage", _("New chattel mortgages (outside information)")
    OUTSIDE_NEW_ENFORCEMENT = "outside_new_enforcement", _("New enforcement records or lawsuits (outside information)")
    OUTSIDE_NEW_PENALTY = "outside_new_penalty", _("New administrative penalties (outside information)")
    OUTSIDE_TAX_DOWNGRADED = "outside_tax_downgraded", _("Tax credit rating lowered (outside information)")
    OUTSIDE_CREDIT_OVERDUE_UP = "outside_credit_overdue_up", _("Overdue amount up in the credit report (outside information)")


class WarningRule(LocalizedNameMixin, StaffConfiguration):
    """An early-warning rule: a customer fires it when ``metric comparison threshold`` holds.

    ``window_days`` is the look-back (or look-ahead) period the metric uses where it has one (new
    negative records, breaches, the order-volume period); ``periods`` the number of trailing periods of
    the z-score rules.
    """

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = english_field(max_length=200)
    metric = models.CharField(_("metric"), max_length=40, choices=Metric.choices)
    comparison = models.CharField(_("comparison"), max_length=2, choices=Comparison.choices)
    threshold = models.DecimalField(_("threshold"), max_digits=20, decimal_places=4)
    window_days = models.PositiveIntegerField(_("window (days)"), default=30)
    periods = models.PositiveSmallIntegerField(_("trailing periods"), default=6)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    recommended_action = models.CharField(_("recommended action"), max_length=20, choices=RecommendedAction.choices,
                                          default=RecommendedAction.NONE)
    enabled = models.BooleanField(_("enabled"), default=True)
    description = models.TextField(_("description"), blank=True)
    description_en = english_field(text=True)

    class Meta:
        verbose_name = _("warning rule")
        verbose_name_plural = _("warning rules")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(comparison__in=[">", ">=", "<", "<="]),
                                   name="monitoring_rule_comparison_known"),
            models.CheckConstraint(condition=Q(periods__gte=2), name="monitoring_rule_periods_min"),
        ]

    def fires(self, value) -> bool:
        return rules.compare(value, self.comparison, self.threshold)


RULE_CHANGE_FIELDS = ["name", "name_en", "metric", "comparison", "threshold", "window_days", "periods", "severity",
                      "recommended_action", "enabled", "description", "description_en"]


class RuleChangeKind(models.TextChoices):
    CREATE = "create", pgettext_lazy("rule change", "New rule")
    UPDATE = "update", pgettext_lazy("rule change", "Change of the rule")


class WarningRuleChange(ConfigChange):
    """A proposed new warning rule or change of one (four-eyes, ``proposals``): one risk administrator proposes
    it, another approves it, and only then does it take effect (enabling or disabling a rule included).

    ``values``/``previous``: the changed fields (a new rule: every field; ``previous`` empty). One open proposal
    per rule code at a time (``key``: ``rule-<code>``)."""

    change_slug = "monitoring.warning_rule"

    kind = models.CharField(_("kind"), max_length=10, choices=RuleChangeKind.choices)
    rule = models.ForeignKey(WarningRule, verbose_name=_("rule"), on_delete=models.PROTECT, null=True, blank=True,
                             related_name="changes")
    code = models.SlugField(_("code"), max_length=60)

    class Meta(ConfigChange.Meta):
        verbose_name = _("warning rule change")
        verbose_name_plural = _("warning rule changes")
        constraints = [
            *ConfigChange.Meta.constraints,
            models.CheckConstraint(condition=Q(kind="create") | Q(rule__isnull=False),
                                   name="monitoring_rule_change_names_its_rule"),
        ]

    def __str__(self):
        return _("Warning rule change %(id)s (%(code)s)") % {"id": self.pk, "code": self.code}


class AlertStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("alert status", "Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")
    DISMISSED = "dismissed", _("Dismissed")


ACTIVE_ALERT_STATES = [AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED]


class AlertQuerySet(CustomerScopedQuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_ALERT_STATES)


class Alert(StateMachine, Timestamped):
    """One alert per rule and customer while it is open or acknowledged; re-evaluation updates it."""

    rule = models.ForeignKey(WarningRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="alerts")
    customer = customer_field("alerts")
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, db_index=True)
    status = FSMField(_("status"), default=AlertStatus.OPEN, choices=AlertStatus.choices, protected=True,
                      db_index=True)
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=4, null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    recommended_action = models.CharField(_("recommended action"), max_length=20, choices=RecommendedAction.choices,
                                          default=RecommendedAction.NONE)
    still_firing = models.BooleanField(_("condition still holds"), default=True)
    raised_on = models.DateField(_("raised on"), db_index=True)
    last_seen_on = models.DateField(_("last seen on"))
    times_seen = models.PositiveIntegerField(_("evaluations that fired"), default=1)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
                              null=True, blank=True, related_name="monitoring_alerts")
    comment = models.TextField(_("comment"), blank=True)
    handled_by = user_field(_("handled by"), optional=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    action_taken = models.CharField(_("action taken"), max_length=200, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-raised_on", "-id"]
        permissions = [("handle_alert", "Can acknowledge, resolve and dismiss alerts")]
        constraints = [
            models.UniqueConstraint(fields=["rule", "customer"], condition=Q(status__in=["open", "acknowledged"]),
                                    name="monitoring_one_active_alert_per_rule_customer"),
        ]
        indexes = [models.Index(fields=["status", "severity"]), models.Index(fields=["customer", "status"])]

    def __str__(self):
        return f"{self.rule} · {self.customer}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_ALERT_STATES

    acknowledge = state_change(status, AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)
    resolve = state_change(status, [AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED], AlertStatus.RESOLVED)
    dismiss = state_change(status, [AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED], AlertStatus.DISMISSED)


class WatchlistQuerySet(CustomerScopedQuerySet):
    def current(self, on_date):
        return self.filter(since__lte=on_date).filter(Q(until__isnull=True) | Q(until__gte=on_date))


class WatchlistEntry(Timestamped):
    customer = customer_field("watchlist_entries")
    reason = models.TextField(_("reason"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
                              related_name="watchlist_entries")
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True, help_text=_("Empty: until taken off."))
    alert = models.ForeignKey(Alert, verbose_name=_("from alert"), on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    created_by = user_field(_("added by"))

    objects = WatchlistQuerySet.as_manager()

    class Meta:
        verbose_name = _("watchlist entry")
        verbose_name_plural = _("watchlist entries")
        ordering = ["-since", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(until__isnull=True) | Q(until__gte=models.F("since")),
                                   name="monitoring_watchlist_period_order"),
        ]

    def __str__(self):
        return f"{self.customer} ({self.since})"


# --- Asset classification and provisions ------------------------------------------------------------

class Tier(models.TextChoices):
    NORMAL = rules.NORMAL, pgettext_lazy("classification tier", "Normal")
    SPECIAL_MENTION = rules.SPECIAL_MENTION, pgettext_lazy("classification tier", "Special mention")
    SUBSTANDARD = rules.SUBSTANDARD, pgettext_lazy("classification tier", "Substandard")
    DOUBTFUL = rules.DOUBTFUL, pgettext_lazy("classification tier", "Doubtful")
    LOSS = rules.LOSS, pgettext_lazy("classification tier", "Loss")


class ClassificationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    PENDING = "pending_approval", _("Reclassification pending approval")


class ClassificationQuerySet(CustomerScopedQuerySet):
    pass


class AssetClassification(StateMachine):
    """A customer's tier for one month (by debtor: it applies to all the customer's exposures).

    ``floor_tier`` is the worse of the floor by days past due and the floor by the rating's ``letter``
    (``rules.classify``); ``tier`` is what applies (never better than the floor). A manual reclassification is requested (``requested_tier`` + reason) and applies only when a
    second person of the approver group approves it.
    """

    customer = customer_field("asset_classifications")
    period = models.DateField(_("month end"), db_index=True)
    days_past_due = models.IntegerField(_("days past due"), default=0)
    exposure = AmountField(_("exposure (reporting currency)"), default=Decimal("0"))
    currency = CurrencyField(verbose_name=_("reporting currency"))
    letter = models.CharField(_("rating letter"), max_length=1, blank=True,
                              help_text=_("The letter of the rating in force at the month end (empty: not rated)."))
    floor_tier = models.CharField(_("floor (days past due and grade)"), max_length=20, choices=Tier.choices)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, db_index=True)
    manual = models.BooleanField(_("classified manually"), default=False)
    reason = models.TextField(_("reason for the manual tier"), blank=True)
    status = FSMField(_("status"), default=ClassificationStatus.CONFIRMED, choices=ClassificationStatus.choices,
                      protected=True, db_index=True)
    requested_tier = models.CharField(_("requested tier"), max_length=20, choices=Tier.choices, blank=True)
    request_reason = models.TextField(_("reason for the request"), blank=True)
    requested_by = user_field(_("requested by"), optional=True)
    requested_at = models.DateTimeField(_("requested at"), null=True, blank=True)
    approved_by = user_field(_("approved by"), optional=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    classified_at = models.DateTimeField(_("classified at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ClassificationQuerySet.as_manager()

    @property
    def dpd_floor_tier(self) -> str:
        """The floor by days past due alone."""
        return rules.floor_tier(self.days_past_due)

    def get_dpd_floor_tier_display(self):
        return Tier(self.dpd_floor_tier).label

    class Meta:
        verbose_name = _("asset classification")
        verbose_name_plural = _("asset classifications")
        ordering = ["-period", "customer_id"]
        permissions = [
            ("classify_exposure", "Can classify exposures and request a reclassification"),
            ("approve_classification", "Can approve a manual reclassification (four-eyes)"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["customer", "period"], name="monitoring_one_classification_per_month"),
        ]
        indexes = [models.Index(fields=["period", "tier"])]

    def __str__(self):
        return f"{self.customer} {self.period:%Y-%m}: {self.get_tier_display()}"

    request_reclassification = state_change(status, ClassificationStatus.CONFIRMED, ClassificationStatus.PENDING)
    approve = state_change(status, ClassificationStatus.PENDING, ClassificationStatus.CONFIRMED)
    reject = state_change(status, ClassificationStatus.PENDING, ClassificationStatus.CONFIRMED)


class ProvisionRate(StaffConfiguration):
    """The provision rate of one tier (configurable; defaults in the design brief)."""

    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, unique=True)
    rate = models.DecimalField(pgettext_lazy("provision", "rate"), max_digits=6, decimal_places=4,
                               help_text=_("A fraction of the exposure, e.g. 0.25 for a quarter."))

    class Meta:
        verbose_name = _("provision rate")
        verbose_name_plural = _("provision rates")
        ordering = ["id"]
        constraints = [fraction_check("rate", "monitoring_provision_rate_fraction")]

    def __str__(self):
        return f"{self.get_tier_display()}: {self.rate}"


class ProvisionRateChange(ConfigChange):
    """A change of the provision rates (four-eyes, ``proposals``): one risk administrator proposes it, another
    approves it, and only then do the rates apply (``values``/``previous``: {tier: "0.0200"} of the changed
    tiers). One open proposal at a time (``key``: ``provision-rates``)."""

    change_slug = "monitoring.provision_rates"

    class Meta(ConfigChange.Meta):
        verbose_name = _("provision rate change")
        verbose_name_plural = _("provision rate changes")

    @property
    def rates(self) -> dict:
        """The proposed rates by tier (``values``)."""
        return self.values


class ProvisionRun(MonthEndResult):
    """The provisions of one month end: one line per customer with exposure; totals by tier."""

    rates = models.JSONField(_("rates used"), default=dict)
    totals = models.JSONField(_("totals by tier"), default=dict)
    total_exposure = AmountField(_("total exposure"), default=Decimal("0"))
    total_provision = AmountField(_("total provision"), default=Decimal("0"))
    run_by = user_field(_("run by"))
    run_at = models.DateTimeField(_("run at"))

    class Meta(MonthEndResult.Meta):
        verbose_name = _("provision run")
        verbose_name_plural = _("provision runs")
        permissions = [("run_provisions", "Can run the month-end classification and provisions")]


class ProvisionLineQuerySet(CustomerScopedQuerySet):
    pass


class ProvisionLine(models.Model):
    run = models.ForeignKey(ProvisionRun, verbose_name=pgettext_lazy("provision run", "run"), on_delete=models.CASCADE, related_name="lines")
    customer = customer_field()
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    exposure = AmountField(_("exposure"))
    rate = models.DecimalField(pgettext_lazy("provision", "rate"), max_digits=6, decimal_places=4)
    amount = AmountField(_("provision"))

    objects = ProvisionLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("provision line")
        verbose_name_plural = _("provision lines")
        ordering = ["run_id", "-amount", "customer_id"]
        constraints = [models.UniqueConstraint(fields=["run", "customer"], name="monitoring_provision_line_once")]

    def __str__(self):
        return f"{self.run} {self.customer_id} {self.amount}"
