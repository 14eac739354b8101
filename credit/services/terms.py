"""Trade credit by grade (issue 23): the payment terms and deposit a policy sets per grade, and the limit the
policy proposes for an application (``rules.size_limit``) from the customer's data.

The payment term an application asks for, and an amount above the proposed limit, are checked by the one
policy check (``rules.policy_check``: ``max_payment_term`` hard or soft, ``above_proposed_limit`` soft); a
soft breach is a policy exception routed to the authority the matrix sets for exceptions
(``rules.required_levels``), never by a second mechanism. The customer's average days late and its credit
sales come from its payment history through the rating's behaviour rules (``ratings.engine.behaviour``).
"""
from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from creditportal.core import clock
from creditportal.core.errors import ValidationFailed
from creditportal.core.formatting import amount as format_amount
from creditportal.core.money import MissingRate, RateTable, to_decimal
from ratings.engine.behaviour import BehaviourFacts, days_late
from ratings.providers import behaviour_facts_for
from ratings.selectors import behaviour_window

from .. import rules, selectors

TERM_RULE_FIELDS = ["max_payment_term_days", "payment_term_hard", "deposit_percent", "sizing_method", "sizing_share"]
MAX_PAYMENT_TERM_DAYS = 3650


def validate_term_rule(data: dict) -> None:
    """A grade rule's trade-credit fields: a payment term of 1..3650 days, a deposit of 0..100 per cent, a known
    sizing method, and a share (0..10, a fraction) for sizing by net worth or revenue."""
    days = data.get("max_payment_term_days")
    if days is not None and not (1 <= int(days) <= MAX_PAYMENT_TERM_DAYS):
        raise ValidationFailed(_("The longest payment term is 1 to 3650 days."),
                               field_errors={"rules": _("Check the payment terms.")})
    deposit = data.get("deposit_percent")
    if deposit is not None and not (0 <= to_decimal(deposit) <= 100):
        raise ValidationFailed(_("The deposit is a percentage from 0 to 100."),
                               field_errors={"rules": _("Check the deposits.")})
    method = data.get("sizing_method") or ""
    if method and method not in rules.SIZING_METHODS:
        raise ValidationFailed(_("Unknown limit sizing method."), field_errors={"rules": _("Check the sizing.")})
    share = data.get("sizing_share")
    if share is not None and not (0 <= to_decimal(share) <= 10):
        raise ValidationFailed(_("The sizing share is a fraction from 0 to 10."),
                               field_errors={"rules": _("Check the sizing.")})
    if method in (rules.SIZING_EQUITY, rules.SIZING_REVENUE) and share is None:
        raise ValidationFailed(_("Sizing by a share of net worth or revenue needs the share."),
                               field_errors={"rules": _("Check the sizing.")})


def validate_payment_term(days) -> int | None:
    """An application's payment term: empty, or 1..3650 days."""
    if days in (None, ""):
        return None
    try:
        days = int(days)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(_("The payment term is a number of days."),
                               field_errors={"payment_term_days": _("Enter whole days.")}) from exc
    if not 1 <= days <= MAX_PAYMENT_TERM_DAYS:
        raise ValidationFailed(_("The payment term is 1 to 3650 days."),
                               field_errors={"payment_term_days": _("1 to 3650 days.")})
    return days


def validate_expected_sales(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        value = to_decimal(value)
    except ValueError as exc:
        raise ValidationFailed(_("Enter a number."), field_errors={"expected_monthly_sales": _("Enter a number.")}) \
            from exc
    if value <= 0:
        raise ValidationFailed(_("The expected monthly credit sales must be positive."),
                               field_errors={"expected_monthly_sales": _("Must be positive.")})
    return value


# --- The customer's payment history, as the sizing reads it --------------------------------------

def payment_history(customer_id: int, on_date) -> dict:
    """The customer's credit sales falling due in the payment-behaviour window (reporting currency), the
    window's months and the average days late (``ratings.engine.behaviour.days_late``; ``None``: no history)."""
    window = behaviour_window(on_date)
    months = (window.due_until.year - window.due_after.year) * 12 + window.due_until.month - window.due_after.month
    facts = behaviour_facts_for([customer_id], window).get(customer_id)
    if not isinstance(facts, BehaviourFacts):
        return {"sales": None, "months": months, "days_late": None}
    return {"sales": facts.amount_due, "months": months, "days_late": days_late(facts)}


def application_sizing(app, *, rule: rules.GradeRule | None, table: RateTable, equity=None, revenue=None,
                       on_date=None) -> rules.LimitSizing | None:
    """The limit the grade's rule proposes for ``app`` (reporting currency), or ``None`` when the rule sets no
    sizing method. ``equity``/``revenue``: the latest statement's (``latest_statement_figures``)."""
    if rule is None or not rule.sizing_method:
        return None
    on_date = on_date or clock.today()
    if rule.sizing_method != rules.SIZING_SALES_DAYS:
        return rules.size_limit(method=rule.sizing_method, cap=rule.max_limit, equity=equity, revenue=revenue,
                                share=rule.sizing_share)
    expected = None
    if app.expected_monthly_sales:
        expected = table.convert(app.expected_monthly_sales, app.currency)
    history = payment_history(app.customer_id, on_date)
    monthly, source = rules.monthly_credit_sales(expected=expected, history_sales=history["sales"],
                                                 history_months=history["months"])
    if app.payment_term_days:
        term, term_source = app.payment_term_days, "application"
    else:
        term, term_source = rule.max_payment_term_days, "policy"
    return rules.size_limit(method=rule.sizing_method, cap=rule.max_limit, monthly_sales=monthly,
                            sales_source=source, sales_months=history["months"], payment_term_days=term, term_source=term_source,
                            days_late=history["days_late"])


def grade_terms(rule: rules.GradeRule | None) -> dict:
    """What the grade's rule says about terms (stored with the policy check; shown on the application)."""
    if rule is None:
        return {}
    return {"grade": rule.grade, "max_payment_term_days": rule.max_payment_term_days,
            "payment_term_hard": rule.payment_term_hard,
            "deposit_percent": None if rule.deposit_percent is None else str(rule.deposit_percent),
            "sizing_method": rule.sizing_method}


def application_terms(app, *, on_date=None) -> dict:
    """For the application's page before its submission (afterwards the stored policy check says it): the
    grade of the customer's current rating, what its rule sets for terms, and the proposed limit."""
    from .applications import latest_statement_figures

    on_date = on_date or clock.today()
    rating = selectors.current_rating(app.customer)
    grade = getattr(rating, "grade", None)
    policy = selectors.policy_in_force(on_date)
    row = next((r for r in policy.rules.all() if r.grade == grade), None) if policy and grade else None
    rule = row.as_rule() if row else None
    sizing = None
    if rule is not None and rule.sizing_method:
        table = RateTable(on_date)
        try:
            equity, revenue = (latest_statement_figures(app.customer, table)
                               if rule.sizing_method != rules.SIZING_SALES_DAYS else (None, None))
            sizing = application_sizing(app, rule=rule, table=table, equity=equity, revenue=revenue,
                                        on_date=on_date)
        except MissingRate:
            sizing = rules.LimitSizing(rule.sizing_method, missing="fx_rate")
    return {"grade": grade, "terms": grade_terms(rule), "sizing": sizing.as_dict() if sizing else None}


# --- In words --------------------------------------------------------------------------------

def method_label(method: str) -> str:
    from django.utils.translation import gettext

    labels = {
        rules.SIZING_SALES_DAYS: gettext("monthly credit sales × (payment term + average days late) / 30"),
        rules.SIZING_EQUITY: gettext("a share of net worth"),
        rules.SIZING_REVENUE: gettext("a share of revenue"),
    }
    return labels.get(method, method)


def _missing_text(code: str) -> str:
    return {
        "monthly_sales": _("No expected monthly credit sales and no sales in the payment history."),
        "payment_term": _("No payment term: neither the application nor the policy sets one."),
        "equity": _("No statement with equity."),
        "revenue": _("No annual statement with revenue."),
        "share": _("The policy sets no share."),
        "fx_rate": _("No FX rate for the currency."),
    }.get(code, code)


def sizing_words(sizing: dict | None, currency: str) -> list[str]:
    """The proposed limit's arithmetic as sentences, in the reader's language (``sizing``: ``as_dict()``)."""
    if not sizing:
        return []
    if sizing.get("missing"):
        return [_("No limit can be proposed: %(reason)s") % {"reason": _missing_text(sizing["missing"])}]
    money = lambda value: f"{currency} {format_amount(value)}"  # noqa: E731
    lines = []
    for step in sizing.get("steps", []):
        code = step["code"]
        if code == "monthly_sales":
            lines.append((_("Monthly credit sales %(amount)s, as the relationship manager expects them.")
                          if step.get("source") == "expected" else
                          _("Monthly credit sales %(amount)s: the customer's credit sales falling due in the "
                            "last %(months)s months, divided by %(months)s.")) % {"amount": money(step["value"]),
                                                                                   "months": step.get("months", "")})
        elif code == "payment_term":
            lines.append((_("Payment term %(days)s days, as the application asks.")
                          if step.get("source") == "application" else
                          _("Payment term %(days)s days, the longest the policy allows for the grade."))
                         % {"days": step["value"]})
        elif code == "days_late":
            lines.append((_("Average days late %(days)s, from the payment history.") if step.get("source")
                          else _("No payment history: average days late counted as 0.")) % {"days": step["value"]})
        elif code == "sales_days":
            lines.append(_("%(sales)s × %(days)s days / 30 = %(result)s.")
                         % {"sales": money(step["monthly_sales"]), "days": step["days"],
                            "result": money(step["value"])})
        elif code in ("equity", "revenue"):
            lines.append((_("Net worth (equity) %(amount)s, from the latest statement.") if code == "equity" else
                          _("Revenue %(amount)s, from the latest annual statement.")) % {"amount": money(step["value"])})
        elif code in ("equity_share", "revenue_share"):
            lines.append(_("%(base)s × %(share)s = %(result)s.")
                         % {"base": money(step["base"]), "share": step["share"], "result": money(step["value"])})
        elif code == "cap":
            lines.append((_("Capped at the grade's maximum limit %(cap)s: proposed %(result)s.") if step.get("capped")
                          else _("Within the grade's maximum limit %(cap)s: proposed %(result)s."))
                         % {"cap": money(step["cap"]), "result": money(step["value"])})
    return lines


def trade_terms_view(app) -> dict:
    """The grade's terms and the proposed limit for the page, the API and the memo: computed now while the
    application can change (draft, returned), else as its last policy check stored them."""
    from django.conf import settings

    from ..models import CreditApplication

    if app.status in (CreditApplication.Status.DRAFT, CreditApplication.Status.RETURNED):
        info = application_terms(app)
    else:
        stored = app.policy_result or {}
        info = {"grade": app.rating_grade or None, "terms": stored.get("terms") or {}, "sizing": stored.get("sizing")}
    currency = settings.REPORTING_CURRENCY
    sizing = info["sizing"]
    return {**info, "currency": currency,
            "sizing_method": method_label(sizing["method"]) if sizing else "",
            "sizing_text": sizing_words(sizing, currency)}


def customer_grade_terms(customer, *, on_date=None) -> dict:
    """The grade of the customer's current rating and what the policy in force sets for its terms (the new
    application form shows them before there is an application to size)."""
    rating = selectors.current_rating(customer)
    grade = getattr(rating, "grade", None)
    policy = selectors.policy_in_force(on_date)
    row = next((r for r in policy.rules.all() if r.grade == grade), None) if policy and grade else None
    return {"grade": grade, "terms": grade_terms(row.as_rule() if row else None)}
