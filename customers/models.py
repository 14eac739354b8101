"""Customers and their credit files: master data, groups, contacts, documents, negative records, statements.

Object scoping lives in one queryset method per model, ``visible_to(user)``: a user holding
``customers.view_all_customers`` sees every customer; any other user holding ``customers.view_customer``
(a relationship manager) sees only the customers whose ``relationship_manager`` they are; everyone else
sees nothing. Pages, API views and file downloads all start from it.
"""
from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from creditportal.core.modelbase import StoredFile, Timestamped, customer_file_name, user_field
from creditportal.core.money import AmountField, CurrencyField
from creditportal.core.querysets import CustomerScopedQuerySet, sees_all_customers, sees_own_customers

# --- Reference lists --------------------------------------------------------------------------

# GB/T 4754-2017 sections, with the range of their two-digit divisions.
INDUSTRY_SECTIONS = [
    ("A", _("Agriculture, forestry, animal husbandry and fishery"), (1, 5)),
    ("B", _("Mining"), (6, 12)),
    ("C", _("Manufacturing"), (13, 43)),
    ("D", _("Electricity, heat, gas and water production and supply"), (44, 46)),
    ("E", _("Construction"), (47, 50)),
    ("F", _("Wholesale and retail trade"), (51, 52)),
    ("G", _("Transport, storage and postal services"), (53, 60)),
    ("H", _("Accommodation and catering"), (61, 62)),
    ("I", _("Information transmission, software and IT services"), (63, 65)),
    ("J", _("Finance"), (66, 69)),
    ("K", _("Real estate"), (70, 70)),
    ("L", _("Leasing and business services"), (71, 72)),
    ("M", _("Scientific research and technical services"), (73, 75)),
    ("N", _("Water conservancy, environment and public facilities management"), (76, 79)),
    ("O", _("Resident services, repair and other services"), (80, 82)),
    ("P", _("Education"), (83, 83)),
    ("Q", _("Health and social work"), (84, 85)),
    ("R", _("Culture, sports and entertainment"), (86, 90)),
    ("S", _("Public administration, social security and social organisations"), (91, 96)),
    ("T", _("International organisations"), (97, 97)),
]
INDUSTRY_SECTION_CHOICES = [(code, label) for code, label, _range in INDUSTRY_SECTIONS]
INDUSTRY_DIVISION_RANGES = {code: rng for code, _label, rng in INDUSTRY_SECTIONS}


def division_matches_section(section: str, division: str) -> bool:
    if not division:
        return True
    if len(division) != 2 or not division.isdigit() or section not in INDUSTRY_DIVISION_RANGES:
        return False
    low, high = INDUSTRY_DIVISION_RANGES[section]
    return low <= int(division) <= high


class LegalForm(models.TextChoices):
    LIMITED_LIABILITY = "limited_liability", _("Limited liability company")
    JOINT_STOCK = "joint_stock", _("Joint-stock company")
    STATE_OWNED = "state_owned", _("State-owned enterprise")
    COLLECTIVE = "collective", _("Collective enterprise")
    PARTNERSHIP = "partnership", _("Partnership")
    SOLE_PROPRIETORSHIP = "sole_proprietorship", _("Sole proprietorship")
    FOREIGN_INVESTED = "foreign_invested", _("Foreign-invested enterprise")
    FOREIGN_COMPANY = "foreign_company", _("Company registered abroad")
    OTHER = "other", _("Other")


class CustomerSize(models.TextChoices):
    MICRO = "micro", _("Micro")
    SMALL = "small", _("Small")
    MEDIUM = "medium", pgettext_lazy("company size", "Medium")
    LARGE = "large", _("Large")


class CustomerStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", pgettext_lazy("customer status", "Active")
    SUSPENDED = "suspended", pgettext_lazy("customer status", "Suspended")
    CLOSED = "closed", _("Closed")


class GroupRelation(models.TextChoices):
    PARENT = "parent", _("Parent company")
    SUBSIDIARY = "subsidiary", _("Subsidiary")
    COMMON_CONTROL = "common_control", _("Under common control")
    GUARANTEE_LINK = "guarantee_link", _("Guarantee link")


# --- Scoping (the rule: ``creditportal.core.querysets.CustomerScopedQuerySet``) -------------------

class CustomerQuerySet(CustomerScopedQuerySet):
    customer_path = ""


class CustomerGroupQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Who sees every customer sees every group. A relationship manager sees (and may edit) the groups that
        hold a customer of their portfolio, as a member or as the parent company, and the empty groups (no
        member, no parent: they name nobody); the members listed are filtered by ``Customer.visible_to``."""
        if sees_all_customers(user):
            return self
        if sees_own_customers(user):
            own = Customer.objects.visible_to(user)
            return self.filter(
                models.Exists(own.filter(group=models.OuterRef("pk")))
                | models.Q(parent_company__in=own)
                | (~models.Exists(Customer.objects.filter(group=models.OuterRef("pk")))
                   & models.Q(parent_company__isnull=True)))
        return self.none()

    def with_visible_parent(self, user):
        """Annotate ``visible_parent_name`` / ``visible_parent_id``: the parent company only when ``user`` may
        see it (a group list never names another portfolio's customer)."""
        visible = Customer.objects.visible_to(user).filter(pk=models.OuterRef("parent_company_id"))
        return self.annotate(visible_parent_name=models.Subquery(visible.values("name")[:1]),
                             visible_parent_id=models.Subquery(visible.values("pk")[:1]))


# --- Models -----------------------------------------------------------------------------------

class CustomerGroup(Timestamped):
    """A group of related companies (关联企业)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    parent_company = models.ForeignKey(
        "Customer", verbose_name=_("parent company"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="parent_of_groups",
    )
    notes = models.TextField(_("notes"), blank=True)

    objects = CustomerGroupQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer group")
        verbose_name_plural = _("customer groups")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Customer(Timestamped):
    name = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, null=True, unique=True,
        help_text=_("18 characters with the check digit of GB 32100-2015."),
    )
    is_foreign = models.BooleanField(_("registered abroad"), default=False)
    registration_number = models.CharField(_("foreign registration number"), max_length=64, blank=True)
    country = models.CharField(_("country"), max_length=2, default="CN", help_text=_("ISO 3166 two-letter code."))
    legal_form = models.CharField(_("legal form"), max_length=32, choices=LegalForm.choices,
                                  default=LegalForm.LIMITED_LIABILITY)
    industry_section = models.CharField(_("industry section"), max_length=1, choices=INDUSTRY_SECTION_CHOICES)
    industry_division = models.CharField(_("industry division"), max_length=2, blank=True,
                                         help_text=_("Two-digit GB/T 4754 division, where known."))
    size = models.CharField(_("size"), max_length=10, choices=CustomerSize.choices)
    registered_capital = AmountField(_("registered capital"), null=True, blank=True)
    registered_capital_currency = CurrencyField(verbose_name=_("registered capital currency"))
    established_on = models.DateField(_("established on"), null=True, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=CustomerStatus.choices,
                              default=CustomerStatus.PROSPECT, db_index=True)
    relationship_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("relationship manager"), on_delete=models.PROTECT,
        related_name="managed_customers",
    )
    group = models.ForeignKey(CustomerGroup, verbose_name=_("group of related companies"), on_delete=models.SET_NULL,
                              null=True, blank=True, related_name="members")
    group_relation = models.CharField(_("relation within the group"), max_length=20, choices=GroupRelation.choices,
                                      blank=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "id"]
        permissions = [
            ("view_all_customers", "Can view every customer (not only the own portfolio)"),
            ("reassign_customer", "Can reassign a customer to another relationship manager"),
            ("suspend_customer", "Can suspend a customer"),
            ("resume_customer", "Can lift a customer's suspension"),
        ]
        indexes = [
            models.Index(fields=["relationship_manager", "status"]),
            # the list's order (API, pages): a page is an index walk instead of a sort of every customer
            models.Index(fields=["name", "id"], name="customers_name_id_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_foreign=True) | ~models.Q(credit_code=None),
                name="customer_domestic_has_credit_code",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def identifier(self) -> str:
        return self.registration_number if self.is_foreign else (self.credit_code or "")


def customer_field(related_name: str = "+", *, on_delete=models.PROTECT, optional: bool = False) -> models.ForeignKey:
    """The customer a row is about (what ``CustomerScopedQuerySet`` scopes by): ``PROTECT`` for the credit
    department's records, ``CASCADE`` for the parts of the customer's own file; ``optional``: may be empty."""
    extra = {"null": True, "blank": True} if optional else {}
    return models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=on_delete, related_name=related_name,
                             **extra)

class Contact(Timestamped):
    customer = customer_field("contacts", on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=100)
    position = models.CharField(_("position"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "name", "id"]

    def __str__(self):
        return self.name


class DocumentType(models.TextChoices):
    BUSINESS_LICENCE = "business_licence", _("Business licence")
    TAX_REGISTRATION = "tax_registration", _("Tax registration")
    AUDITED_REPORT = "audited_report", _("Audited report")
    BANK_STATEMENT = "bank_statement", _("Bank statement")
    SITE_VISIT_REPORT = "site_visit_report", _("Site-visit report")
    CREDIT_BUREAU_REPORT = "credit_bureau_report", _("Credit-bureau report")
    OTHER = "other", _("Other")


def document_upload_to(instance, filename):
    return customer_file_name("customer_documents", instance.customer_id, filename)


class CustomerDocument(StoredFile):
    customer = customer_field("documents", on_delete=models.CASCADE)
    doc_type = models.CharField(_("document type"), max_length=32, choices=DocumentType.choices)
    file = models.FileField(_("file"), upload_to=document_upload_to, max_length=255)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta(StoredFile.Meta):
        verbose_name = _("customer document")
        verbose_name_plural = _("customer documents")

    def is_expired(self, on_date) -> bool:
        return self.expires_on is not None and self.expires_on < on_date


class NegativeRecordKind(models.TextChoices):
    LITIGATION = "litigation", _("Litigation")
    TAX_PENALTY = "tax_penalty", _("Tax penalty")
    DEFAULT_ELSEWHERE = "default_elsewhere", _("Default elsewhere")
    ADMINISTRATIVE_PENALTY = "administrative_penalty", _("Administrative penalty")


class NegativeRecord(models.Model):
    customer = customer_field("negative_records", on_delete=models.CASCADE)
    kind = models.CharField(_("kind"), max_length=32, choices=NegativeRecordKind.choices)
    occurred_on = models.DateField(_("date"))
    source = models.CharField(_("source"), max_length=200)
    amount = AmountField(_("amount"), null=True, blank=True)
    currency = CurrencyField()
    description = models.TextField(_("description"), blank=True)
    recorded_by = user_field(_("recorded by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("negative record")
        verbose_name_plural = _("negative records")
        ordering = ["-occurred_on", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.occurred_on}"


class PeriodType(models.TextChoices):
    ANNUAL = "annual", _("Annual")
    INTERIM = "interim", _("Interim")


class StatementUnit(models.IntegerChoices):
    YUAN = 1, _("Yuan (元)")
    THOUSAND = 1000, _("Thousand yuan (千元)")
    TEN_THOUSAND = 10000, pgettext_lazy("amount unit", "Ten thousand yuan")


# Line items of a statement, in the order of the entry form, the import template and the tables.
BALANCE_SHEET_ITEMS = [
    "cash", "receivables", "inventory", "current_assets", "total_assets",
    "short_term_debt", "current_liabilities", "long_term_debt", "total_liabilities", "equity",
]
INCOME_ITEMS = [
    "revenue", "cost_of_sales", "operating_profit", "interest_expense", "profit_before_tax", "net_profit",
]
CASH_FLOW_ITEMS = ["operating_cash_flow", "investing_cash_flow", "financing_cash_flow"]
LINE_ITEMS = BALANCE_SHEET_ITEMS + INCOME_ITEMS + CASH_FLOW_ITEMS
REQUIRED_LINE_ITEMS = ["total_assets", "total_liabilities", "equity"]


class StatementLayout(models.TextChoices):
    """How detailed a statement is: ``summary`` holds only the key figures (every statement entered before the
    detailed chart, and the old API's fields); ``general_2019`` the lines of the general enterprise format."""
    SUMMARY = "summary", _("Key figures only")
    GENERAL_2019 = "general_2019", _("General enterprise format (2019)")


class AuditOpinion(models.TextChoices):
    UNQUALIFIED = "unqualified", _("Unqualified (标准无保留)")
    QUALIFIED = "qualified", _("Qualified (保留)")
    ADVERSE = "adverse", _("Adverse (否定)")
    DISCLAIMER = "disclaimer", _("Disclaimer of opinion (无法表示)")


def _line(label, **kwargs):
    return models.DecimalField(label, max_digits=20, decimal_places=2, null=True, blank=True, **kwargs)


class FinancialStatement(Timestamped):
    customer = customer_field("statements", on_delete=models.CASCADE)
    period_end = models.DateField(_("period end"))
    period_type = models.CharField(_("period type"), max_length=10, choices=PeriodType.choices,
                                   default=PeriodType.ANNUAL)
    audited = models.BooleanField(_("audited"), default=False)
    consolidated = models.BooleanField(_("consolidated"), default=False)
    currency = CurrencyField()
    unit = models.PositiveIntegerField(_("unit"), choices=StatementUnit.choices, default=StatementUnit.YUAN)
    layout = models.CharField(_("layout"), max_length=16, choices=StatementLayout.choices,
                              default=StatementLayout.SUMMARY)
    auditor = models.CharField(_("auditor"), max_length=200, blank=True)
    audit_opinion = models.CharField(_("audit opinion"), max_length=16, choices=AuditOpinion.choices, blank=True)
    # Every line of the statement, ``{code of customers.chart: amount as decimal text}`` in the statement's unit:
    # the record. The key-figure columns below are copies of the lines the ratios read (``chart.KEY_FIGURES``),
    # written by the service with the lines, so set-wise SQL (peers, monitoring) reads them without the JSON.
    lines = models.JSONField(_("lines"), default=dict, blank=True)

    # Key figures — balance sheet
    cash = _line(_("cash and equivalents"))
    receivables = _line(_("accounts receivable"))
    inventory = _line(_("inventory"))
    current_assets = _line(_("current assets"))
    total_assets = models.DecimalField(_("total assets"), max_digits=20, decimal_places=2)
    short_term_debt = _line(_("short-term borrowings"))
    current_liabilities = _line(_("current liabilities"))
    long_term_debt = _line(_("long-term borrowings"))
    total_liabilities = models.DecimalField(_("total liabilities"), max_digits=20, decimal_places=2)
    equity = models.DecimalField(_("owners' equity"), max_digits=20, decimal_places=2)
    # Income statement
    revenue = _line(_("revenue"))
    cost_of_sales = _line(_("cost of sales"))
    operating_profit = _line(_("operating profit"))
    interest_expense = _line(_("interest expense"))
    profit_before_tax = _line(_("profit before tax"))
    net_profit = _line(_("net profit"))
    # Cash-flow statement
    operating_cash_flow = _line(_("net cash flow from operating activities"))
    investing_cash_flow = _line(_("net cash flow from investing activities"))
    financing_cash_flow = _line(_("net cash flow from financing activities"))

    source = models.CharField(_("source"), max_length=10, default="manual",
                              choices=[("manual", _("Entered")), ("import", pgettext_lazy("source", "Imported"))])
    created_by = user_field(_("entered by"))

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("financial statement")
        verbose_name_plural = _("financial statements")
        ordering = ["customer_id", "-period_end", "period_type", "-consolidated"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "period_end", "period_type", "consolidated"],
                                    name="statement_unique_period"),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.period_end} {self.period_type}"

    def values_in_yuan(self) -> dict[str, Decimal | None]:
        """Every line item multiplied by the statement's unit (``None`` stays ``None``)."""
        unit = Decimal(int(self.unit))
        return {
            name: (value * unit if value is not None else None)
            for name in LINE_ITEMS
            for value in [getattr(self, name)]
        }

    def line_values(self) -> dict[str, Decimal]:
        """The lines as ``{code: Decimal}`` in the statement's unit; a statement without lines (written around the
        service) gives its key figures."""
        return lines_as_decimals(self.lines, self)

    def lines_in_yuan(self) -> dict[str, Decimal]:
        unit = Decimal(int(self.unit))
        return {code: value * unit for code, value in self.line_values().items()}


def lines_as_decimals(lines: dict | None, key_figures) -> dict[str, Decimal]:
    """``{code: Decimal}`` of stored lines; key figures (an object or dict of the columns) fill the codes the
    lines lack (a row written before the lines existed, or around the service)."""
    from . import chart

    result = {code: Decimal(str(text)) for code, text in (lines or {}).items() if text not in (None, "")}
    get = key_figures.get if isinstance(key_figures, dict) else (lambda name: getattr(key_figures, name))
    for name, code in chart.KEY_FIGURES.items():
        if code not in result and get(name) is not None:
            result[code] = get(name)
    return result


class PeerStatistic(models.Model):
    """The portfolio's quartiles of one ratio among the customers of one industry section and size (their latest
    statements), replaced each night by ``customers.services.peers.peer_statistics_refresh``; pages read them
    from here (``selectors.peer_statistics``), never computing them per request."""

    industry_section = models.CharField(_("industry section"), max_length=1, choices=INDUSTRY_SECTION_CHOICES)
    size = models.CharField(_("size"), max_length=10, choices=CustomerSize.choices)
    ratio = models.CharField(_("ratio"), max_length=40)
    count = models.PositiveIntegerField(_("customers"))
    p25 = models.DecimalField(_("first quartile"), max_digits=24, decimal_places=4)
    median = models.DecimalField(_("median"), max_digits=24, decimal_places=4)
    p75 = models.DecimalField(_("third quartile"), max_digits=24, decimal_places=4)
    computed_on = models.DateField(_("computed on"))

    class Meta:
        verbose_name = _("peer statistic")
        verbose_name_plural = _("peer statistics")
        constraints = [models.UniqueConstraint(fields=["industry_section", "size", "ratio"], name="peer_stat_unique")]

    def __str__(self):
        return f"{self.industry_section}/{self.size} {self.ratio}"


class LatestAnalysis(models.Model):
    """The ratios and warning flags of each customer's latest statement, as ``selectors.latest_ratios_for`` returns
    them: kept so that the nightly re-rating and the peers read one row per customer instead of analysing every
    statement every night. A derived copy, not a record (no audit trail):

    * written by ``services.analysis.latest_analysis_refresh``: the statement services for their customer, in
      their transaction; nightly for the rows that are missing or stale; at the end of the demo load and the
      generator;
    * forgotten by the database itself when any statement of the customer is inserted, changed or deleted by any
      path (triggers installed after every ``migrate``: ``customers.triggers``);
    * ignored by the readers when it was computed under other ratio rules (``rules_version``), who then compute.
    """

    customer = models.OneToOneField(Customer, verbose_name=_("customer"), primary_key=True,
                                    on_delete=models.CASCADE, related_name="+")
    statement = models.ForeignKey(FinancialStatement, verbose_name=_("statement"), on_delete=models.CASCADE,
                                  related_name="+")
    rules_version = models.CharField(_("rules version"), max_length=16)
    # {"period_end": ISO date, "period_type", "consolidated", "currency", "ratios": {key: decimal text | null},
    #  "negative_equity", "loss_after_profit", "zero_denominators": [key, …]}
    analysis = models.JSONField(_("analysis"))
    refreshed_at = models.DateTimeField(_("refreshed at"), auto_now=True)

    class Meta:
        verbose_name = _("latest statement analysis")
        verbose_name_plural = _("latest statement analyses")

    def __str__(self):
        return f"{self.customer_id}: {self.statement_id}"
