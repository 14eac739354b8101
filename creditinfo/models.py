"""Outside credit information (资信调查): imports from a source and the structured records they hold.

Every record carries its source (the provider, e.g. 企查查 or the central bank's credit reference centre), its
date (``as_of``: the day the source reported it) and its evidence: the import it came from (the stored file)
and, where one was attached, a document of the credit file. An import covers one customer and one or more
record kinds; for each kind it covers, its records replace the ones in force (``is_current``), and what changed
against them is kept as ``OutsideChange`` rows (monitoring's warning rules turn them into alerts).
"""
from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from creditportal.core.modelbase import user_field
from creditportal.core.money import AmountField, CurrencyField
from creditportal.core.querysets import CustomerScopedQuerySet
from customers.models import CustomerDocument, customer_field

from . import rules


def import_upload_to(instance, filename):
    return f"creditinfo/{instance.customer_id}/{uuid.uuid4().hex}{_extension(filename)}"


def _extension(filename: str) -> str:
    name = (filename or "").lower()
    return ".json" if name.endswith(".json") else ".xlsx" if name.endswith(".xlsx") else ""


class _ThroughRegistration(CustomerScopedQuerySet):
    customer_path = "registration__customer"


class _ThroughReport(CustomerScopedQuerySet):
    customer_path = "report__customer"


class RecordKind(models.TextChoices):
    REGISTRATION = rules.REGISTRATION, _("Business registration")
    COURT = rules.COURT, _("Courts and enforcement")
    PENALTY = rules.PENALTY, _("Administrative penalties")
    TAX = rules.TAX, _("Tax credit rating")
    PLEDGE = rules.PLEDGE, _("Equity pledges and chattel mortgages")
    CREDIT_REPORT = rules.CREDIT_REPORT, _("Enterprise credit report (central bank)")


class OutsideImport(models.Model):
    """One file of outside information for one customer, as the source delivered it (stored and hashed)."""

    customer = customer_field("outside_imports")
    source = models.CharField(_("source"), max_length=120, help_text=_("Who reported it, e.g. 企查查 or 人行征信中心."))
    adapter = models.CharField(_("format"), max_length=40)
    as_of = models.DateField(_("as of"), help_text=_("The day the source reported the information."))
    kinds = models.JSONField(_("record kinds"), default=list)
    file = models.FileField(_("file"), upload_to=import_upload_to, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64)
    content = models.JSONField(_("content"), default=dict, help_text=_("The records as read, in the portal's format."))
    content_sha256 = models.CharField(_("content SHA-256"), max_length=64, db_index=True)
    record_count = models.PositiveIntegerField(_("records"), default=0)
    document = models.ForeignKey(CustomerDocument, verbose_name=_("evidence document"), on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="+")
    imported_by = user_field(_("imported by"))
    created_at = models.DateTimeField(_("imported"), auto_now_add=True)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("outside information import")
        verbose_name_plural = _("outside information imports")
        ordering = ["-as_of", "-id"]
        indexes = [models.Index(fields=["customer", "as_of"])]

    def __str__(self):
        return f"{self.source} {self.as_of:%Y-%m-%d} ({self.original_name})"

    def kind_labels(self) -> list:
        return [RecordKind(k).label for k in self.kinds if k in RecordKind.values]


class OutsideRecord(models.Model):
    """What every record shares: the customer, the source, the date and the evidence."""

    customer = customer_field(on_delete=models.CASCADE)
    outside_import = models.ForeignKey(OutsideImport, verbose_name=_("import"), on_delete=models.CASCADE,
                                       related_name="+")
    source = models.CharField(_("source"), max_length=120)
    as_of = models.DateField(_("as of"))
    document = models.ForeignKey(CustomerDocument, verbose_name=_("evidence document"), on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="+")
    is_current = models.BooleanField(_("in force"), default=True, db_index=True)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        abstract = True


class RegistrationStatus(models.TextChoices):
    ACTIVE = rules.STATUS_ACTIVE, _("存续 (active)")
    REVOKED = rules.STATUS_REVOKED, _("吊销 (licence revoked)")
    CANCELLED = rules.STATUS_CANCELLED, _("注销 (deregistered)")


class Registration(OutsideRecord):
    """The business registration (工商登记) as reported on ``as_of``."""

    status = models.CharField(_("registration status"), max_length=12, choices=RegistrationStatus.choices)
    registered_capital = AmountField(_("registered capital"), null=True, blank=True)
    paid_in_capital = AmountField(_("paid-in capital"), null=True, blank=True)
    currency = CurrencyField()
    legal_representative = models.CharField(_("legal representative"), max_length=120, blank=True)
    actual_controller = models.CharField(_("actual controller"), max_length=200, blank=True)
    controller_key = models.CharField(_("actual controller (compared)"), max_length=200, blank=True, db_index=True)
    changes = models.JSONField(_("registered changes"), default=list, blank=True,
                               help_text=_("[{changed_on, item, before, after}, …] as the registry lists them."))

    class Meta:
        verbose_name = _("business registration")
        verbose_name_plural = _("business registrations")
        ordering = ["-as_of", "-id"]


class Shareholder(models.Model):
    registration = models.ForeignKey(Registration, verbose_name=_("business registration"),
                                     on_delete=models.CASCADE, related_name="shareholders")
    name = models.CharField(_("shareholder"), max_length=200)
    name_key = models.CharField(_("shareholder (compared)"), max_length=200, db_index=True)
    share = models.DecimalField(_("share (%)"), max_digits=7, decimal_places=4)

    objects = _ThroughRegistration.as_manager()

    class Meta:
        verbose_name = _("shareholder")
        verbose_name_plural = _("shareholders")
        ordering = ["registration", "-share", "name"]

    def __str__(self):
        return f"{self.name} {self.share}%"

    @property
    def is_controlling(self) -> bool:
        return rules.is_controlling(self.share)


class CourtRecordKind(models.TextChoices):
    DISHONEST = rules.COURT_DISHONEST, _("失信被执行人 (dishonest judgement debtor)")
    ENFORCED = rules.COURT_ENFORCED, _("被执行人 (judgement debtor)")
    CONSUMPTION_BAN = rules.COURT_CONSUMPTION_BAN, _("限制高消费 (high consumption restricted)")
    LAWSUIT = rules.COURT_LAWSUIT, _("Lawsuit as defendant")
    BANKRUPTCY = rules.COURT_BANKRUPTCY, _("Bankruptcy")


class CourtRecord(OutsideRecord):
    kind = models.CharField(_("kind"), max_length=20, choices=CourtRecordKind.choices)
    case_number = models.CharField(_("case number"), max_length=120)
    court = models.CharField(_("court"), max_length=200, blank=True)
    filed_on = models.DateField(_("filed on"))
    amount = AmountField(_("amount"), null=True, blank=True)
    currency = CurrencyField()
    closed = models.BooleanField(_("closed"), default=False)

    class Meta:
        verbose_name = _("court record")
        verbose_name_plural = _("court records")
        ordering = ["-filed_on", "-id"]


class AdministrativePenalty(OutsideRecord):
    decision_number = models.CharField(_("decision number"), max_length=120)
    authority = models.CharField(_("authority"), max_length=200)
    decided_on = models.DateField(_("decided on"))
    reason = models.TextField(_("reason"), blank=True)
    amount = AmountField(_("amount"), null=True, blank=True)
    currency = CurrencyField()

    class Meta:
        verbose_name = _("administrative penalty")
        verbose_name_plural = _("administrative penalties")
        ordering = ["-decided_on", "-id"]


class TaxRatingLevel(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    M = "M", "M"
    C = "C", "C"
    D = "D", "D"


class TaxRating(OutsideRecord):
    year = models.PositiveSmallIntegerField(_("year"))
    rating = models.CharField(_("tax credit rating"), max_length=1, choices=TaxRatingLevel.choices)

    class Meta:
        verbose_name = _("tax credit rating")
        verbose_name_plural = _("tax credit ratings")
        ordering = ["-year", "-id"]


class PledgeKind(models.TextChoices):
    EQUITY_PLEDGE = rules.PLEDGE_EQUITY, _("Equity pledge")
    CHATTEL_MORTGAGE = rules.PLEDGE_CHATTEL, _("Chattel mortgage")


class Pledge(OutsideRecord):
    kind = models.CharField(_("kind"), max_length=20, choices=PledgeKind.choices)
    registration_number = models.CharField(_("registration number"), max_length=120)
    pledgee = models.CharField(pgettext_lazy("pledge", "pledgee / mortgagee"), max_length=200)
    amount = AmountField(_("amount"), null=True, blank=True)
    currency = CurrencyField()
    registered_on = models.DateField(_("registered on"))
    released = models.BooleanField(_("released"), default=False)

    class Meta:
        verbose_name = _("pledge or mortgage")
        verbose_name_plural = _("pledges and mortgages")
        ordering = ["-registered_on", "-id"]


class CreditReport(OutsideRecord):
    """The summary of the central bank's enterprise credit report (企业征信报告)."""

    report_date = models.DateField(_("report date"))
    currency = CurrencyField()
    overdue_amount = AmountField(_("overdue amount"), default=0)
    guarantees_given = AmountField(_("guarantees given"), default=0)
    queries_3m = models.PositiveIntegerField(_("queries in the last 3 months"), default=0)

    class Meta:
        verbose_name = _("enterprise credit report")
        verbose_name_plural = _("enterprise credit reports")
        ordering = ["-report_date", "-id"]

    @property
    def loans_outstanding(self):
        return sum((loan.outstanding for loan in self.loans.all()), start=0)


class CreditReportLoan(models.Model):
    report = models.ForeignKey(CreditReport, verbose_name=_("enterprise credit report"), on_delete=models.CASCADE,
                               related_name="loans")
    lender = models.CharField(_("lender"), max_length=200)
    outstanding = AmountField(_("outstanding"))
    overdue = AmountField(_("overdue"), default=0)

    objects = _ThroughReport.as_manager()

    class Meta:
        verbose_name = _("loan in the credit report")
        verbose_name_plural = _("loans in the credit report")
        ordering = ["report", "-outstanding", "lender"]


class ChangeKind(models.TextChoices):
    """What changed between two imports (``rules.diff``); the warning rules of monitoring count them."""

    REGISTRATION_STATUS = rules.CHANGE_STATUS, _("Registration status not in business")
    CONTROLLER_CHANGED = rules.CHANGE_CONTROLLER, _("Actual controller changed")
    NEW_DISHONEST = rules.CHANGE_DISHONEST, _("New 失信被执行人 record")
    NEW_BANKRUPTCY = rules.CHANGE_BANKRUPTCY, _("New bankruptcy record")
    NEW_ENFORCEMENT = rules.CHANGE_ENFORCEMENT, _("New enforcement, restriction or lawsuit")
    NEW_PENALTY = rules.CHANGE_PENALTY, _("New administrative penalty")
    TAX_DOWNGRADED = rules.CHANGE_TAX, _("Tax credit rating lowered")
    NEW_EQUITY_PLEDGE = rules.CHANGE_EQUITY_PLEDGE, _("New equity pledge")
    NEW_CHATTEL_MORTGAGE = rules.CHANGE_CHATTEL, _("New chattel mortgage")
    CREDIT_OVERDUE_UP = rules.CHANGE_OVERDUE, _("Overdue amount in the credit report increased")


class OutsideChange(models.Model):
    customer = customer_field("outside_changes", on_delete=models.CASCADE)
    outside_import = models.ForeignKey(OutsideImport, verbose_name=_("import"), on_delete=models.CASCADE,
                                       related_name="changes")
    kind = models.CharField(_("change"), max_length=30, choices=ChangeKind.choices, db_index=True)
    detected_on = models.DateField(_("detected on"), db_index=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("change of outside information")
        verbose_name_plural = _("changes of outside information")
        ordering = ["-detected_on", "-id"]
        indexes = [models.Index(fields=["customer", "kind", "detected_on"])]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.detected_on:%Y-%m-%d})"

    def detail_rows(self) -> list[tuple]:
        """The detail as (label, value) for people: known keys labelled, codes shown by their names."""
        labels = {"status": _("registration status"), "before": _("Before"), "after": _("After"),
                  "court_kind": _("kind"), "case_number": _("case number"), "filed_on": _("filed on"),
                  "amount": _("amount"), "decision_number": _("decision number"), "authority": _("authority"),
                  "decided_on": _("decided on"), "year": _("year"), "rating": _("tax credit rating"),
                  "registration_number": _("registration number"), "pledgee": pgettext_lazy("pledge", "pledgee / mortgagee"),
                  "registered_on": _("registered on"), "currency": _("currency"), "report_date": _("report date")}
        names = {**dict(RegistrationStatus.choices), **dict(CourtRecordKind.choices)}
        return [(labels.get(key, key), names.get(value, value) if isinstance(value, str) else value)
                for key, value in self.detail.items() if value not in (None, "")]
