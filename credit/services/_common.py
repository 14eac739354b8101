"""What the parts of the credit services share: refusal texts, locking, transitions, input checks."""
from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from creditportal.core.errors import Conflict, NotAllowed, ValidationFailed
from creditportal.core.money import CURRENCY_CODES, to_decimal
from customers.models import Customer

from ..models import CreditApplication


S = CreditApplication.Status
ZERO = Decimal("0")

VIOLATION_LABELS = {
    "grade_not_eligible": gettext_lazy("The policy does not lend to this grade."),
    "max_limit": gettext_lazy("The customer's exposure after this amount exceeds the policy's maximum limit for "
                              "the grade."),
    "max_equity_share": gettext_lazy("The customer's exposure after this amount exceeds the policy's share of "
                                     "equity."),
    "max_revenue_share": gettext_lazy("The customer's exposure after this amount exceeds the policy's share of "
                                      "revenue."),
    "equity_unknown": gettext_lazy("No statement with equity: the equity cap cannot be checked."),
    "revenue_unknown": gettext_lazy("No statement with revenue: the revenue cap cannot be checked."),
    "max_term": gettext_lazy("The term exceeds the policy's maximum term."),
    "min_coverage": gettext_lazy("Collateral and guarantees cover less than the policy requires."),
    "group_limit": gettext_lazy("The group's exposure after this amount exceeds the group limit: refused until "
                                "the group limit is raised."),
    "no_policy": gettext_lazy("No credit policy is in force."),
    "max_payment_term": gettext_lazy("The payment term is longer than the policy allows for the grade."),
    "above_proposed_limit": gettext_lazy("The customer's exposure after this amount is above the limit the policy "
                                         "proposes."),
}

LIMIT_REASON_LABELS = {
    "suspended": gettext_lazy("The facility is suspended."),
    "closed": gettext_lazy("The facility is closed."),
    "expired": gettext_lazy("The facility has expired."),
    "not_started": gettext_lazy("The facility has not started yet."),
    "rating_expired": gettext_lazy("The customer has no approved, current rating."),
    "customer_suspended": gettext_lazy("The customer is suspended or closed."),
    "over_free_limit": gettext_lazy("The amount exceeds the free limit."),
    "over_group_limit": gettext_lazy("The amount exceeds the free group limit."),
    "amount_not_positive": gettext_lazy("The amount must be positive."),
    "missing_fx_rate": gettext_lazy("No FX rate for this currency."),
}


def violation_text(code: str) -> str:
    from ..providers import policy_check_message

    return str(VIOLATION_LABELS.get(code) or policy_check_message(code) or code)


def limit_reason_text(code: str) -> str:
    return str(LIMIT_REASON_LABELS.get(code, code))


# --- helpers ----------------------------------------------------------------------------------

def _locked(model, pk):
    return model.objects.select_for_update().get(pk=pk)


def _transition(obj, method_name: str):
    try:
        getattr(obj, method_name)()
    except TransitionNotAllowed as exc:
        raise Conflict(_("This action is not allowed in the object's current state (%(state)s).")
                       % {"state": obj.get_status_display()}) from exc


def _save(obj, **kwargs):
    try:
        obj.save(**kwargs)
    except ConcurrentTransition as exc:
        raise Conflict(_("Someone else changed this object at the same time; reload and try again.")) from exc


def _positive(value, field: str) -> Decimal:
    try:
        amount = to_decimal(value)
    except ValueError as exc:
        raise ValidationFailed(_("Enter a number."), field_errors={field: _("Enter a number.")}) from exc
    if amount <= 0:
        raise ValidationFailed(_("The amount must be positive."), field_errors={field: _("Must be positive.")})
    return amount


def _currency(value, field="currency") -> str:
    if value not in CURRENCY_CODES:
        raise ValidationFailed(_("Unknown currency."), field_errors={field: _("Unknown currency.")})
    return value


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _require_visible_customer(actor, customer):
    if not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
        raise NotAllowed(_("This customer is not in your portfolio."))


def _require_visible(actor, queryset, obj):
    if not queryset.visible_to(actor).filter(pk=obj.pk).exists():
        raise NotAllowed(_("You may not act on this object."))

def system_actor():
    from accounts.system import system_user

    return system_user()


User = get_user_model()
