"""Credit applications: their data (collateral, guarantors, covenants) and the analysis
(policy check, coverage, required levels)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record, snapshot
from creditportal.core import access, clock
from creditportal.core.canonical import jsonable
from creditportal.core.errors import Conflict, ValidationFailed
from creditportal.core.money import MissingRate, RateTable, to_decimal
from customers.models import Customer

from .. import providers, rules, security, selectors
from . import terms
from ..models import Collateral, Covenant, CreditApplication, Guarantor
from ..security import current_haircuts
from ._common import (
    S,
    ZERO,
    _currency,
    _locked,
    _positive,
    _require_visible,
    _require_visible_customer,
    _save,
    add_months,
    violation_text,
)


# --- Applications: data -----------------------------------------------------------------------

CHANGE_TYPES = {CreditApplication.Type.INCREASE, CreditApplication.Type.RENEWAL, CreditApplication.Type.DECREASE}


def _application_state(app) -> dict:
    return {
        **snapshot(app),
        "collaterals": [snapshot(c) for c in app.collaterals.all()],
        "guarantors": [snapshot(g) for g in app.guarantors.all()],
        "covenants": [snapshot(c) for c in app.covenants.all()],
    }


def _date(value, field):
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise ValidationFailed(_("Enter a valid date."),
                                   field_errors={field: _("Enter a valid date.")}) from None
    return value


def _set_collaterals(app, items):
    """Each item takes the haircut table's haircut for its type unless the analyst gives one: a larger one is
    theirs to take, a smaller one needs a written reason (``rules.haircut_needs_reason``); the revaluation
    falls due the table's interval after the valuation unless a date is given (``security.current_haircuts``)."""
    app.collaterals.all().delete()
    table = current_haircuts() if items else {}
    for data in items:
        market_value = _positive(data.get("market_value"), "collaterals")
        if data.get("kind") not in Collateral.Kind.values:
            raise ValidationFailed(_("Unknown collateral type."), field_errors={"collaterals": _("Unknown type.")})
        table_haircut, months = table[data["kind"]]
        if data.get("table_haircut") is not None:  # an item kept as it was entered (the pages re-save the list)
            table_haircut = to_decimal(data["table_haircut"])
        chosen = data.get("haircut")
        chosen = None if chosen in (None, "") else to_decimal(chosen)
        if chosen is not None and (chosen < 0 or chosen > 1):
            raise ValidationFailed(_("A haircut is a fraction between 0 and 1."),
                                   field_errors={"collaterals.haircut": _("Check the haircut.")})
        reason = (data.get("haircut_reason") or "").strip()
        if rules.haircut_needs_reason(chosen, table_haircut) and not reason:
            raise ValidationFailed(
                _("The haircut table takes %(table)s off %(kind)s; a smaller haircut needs a reason.") % {
                    "table": table_haircut, "kind": Collateral.Kind(data["kind"]).label},
                field_errors={"collaterals.haircut_reason": _("Give the reason for the smaller haircut.")})
        valuation_date = _date(data.get("valuation_date") or clock.today(), "collaterals.valuation_date")
        due = _date(data.get("revaluation_due") or add_months(valuation_date, months), "collaterals.revaluation_due")
        if due < valuation_date:
            raise ValidationFailed(_("The revaluation falls due after the valuation."),
                                   field_errors={"collaterals.revaluation_due": _("Before the valuation date.")})
        Collateral.objects.create(application=app, kind=data["kind"], description=data.get("description", ""),
                                  market_value=market_value, currency=_currency(data.get("currency", app.currency)),
                                  haircut=rules.effective_haircut(chosen, table_haircut), table_haircut=table_haircut,
                                  haircut_reason=reason if chosen is not None else "",
                                  valuation_date=valuation_date, revaluation_due=due)


def _external_rating(data, customer):
    """An outside party's agency rating: agency, its grade, the grade on the master scale (mapped by
    ``rules.external_to_master`` unless given) and its date; a portal customer is rated in the portal."""
    if customer is not None:
        return {}
    agency = (data.get("external_agency") or "").strip()
    grade = (data.get("external_grade") or "").strip()
    mapped = (data.get("mapped_grade") or "").strip().upper()
    rated_on = data.get("external_rated_on") or None
    if not (agency or grade or mapped or rated_on):
        return {}
    if not (agency and grade and rated_on):
        raise ValidationFailed(_("An agency rating names the agency, its grade and its date."),
                               field_errors={"guarantors.external_grade": _("Agency, grade and date.")})
    rated_on = _date(rated_on, "guarantors.external_rated_on")
    if rated_on > clock.today():
        raise ValidationFailed(_("The agency rating date is in the future."),
                               field_errors={"guarantors.external_rated_on": _("In the future.")})
    mapped = mapped or rules.external_to_master(grade) or ""
    if mapped not in rules.DEFAULT_GRADES:
        raise ValidationFailed(_("Map the agency grade to a grade of the master scale."),
                               field_errors={"guarantors.mapped_grade": _("Choose the master-scale grade.")})
    return {"external_agency": agency, "external_grade": grade, "mapped_grade": mapped,
            "external_rated_on": rated_on}


def _set_guarantors(app, items, actor):
    """A guarantor customer is named among the customers ``actor`` can see (one already on the application
    may stay): another portfolio's customer is refused exactly as a missing one, so its name never shows."""
    kept = set(app.guarantors.exclude(customer=None).values_list("customer_id", flat=True))
    app.guarantors.all().delete()
    visible = Customer.objects.visible_to(actor)
    for data in items:
        customer = data.get("customer")
        if customer is not None:
            pk = getattr(customer, "pk", customer)
            customer = (Customer.objects if pk in kept else visible).filter(pk=pk).first() \
                if isinstance(pk, int) else None
            if customer is None:
                raise ValidationFailed(_("This guarantor is not a customer you can name."),
                                       field_errors={"guarantors": _("Unknown customer.")})
        name = data.get("outside_name", "") or ""
        if customer is None and not name:
            raise ValidationFailed(_("A guarantor is a customer or a named outside party."),
                                   field_errors={"guarantors": _("Name the guarantor.")})
        if customer is not None and customer.pk == app.customer_id:
            raise ValidationFailed(_("A customer cannot guarantee itself."), field_errors={"guarantors": _("Same customer.")})
        Guarantor.objects.create(application=app, customer=customer, outside_name=name if customer is None else "",
                                 amount=_positive(data.get("amount"), "guarantors"),
                                 currency=_currency(data.get("currency", app.currency)),
                                 **_external_rating(data, customer))


def _set_covenants(app, items):
    app.covenants.all().delete()
    for data in items:
        if data.get("ratio") not in Covenant.Ratio.values or data.get("comparison") not in Covenant.Comparison.values:
            raise ValidationFailed(_("Choose a ratio and a comparison."), field_errors={"covenants": _("Check the covenant.")})
        Covenant.objects.create(application=app, ratio=data["ratio"], comparison=data["comparison"],
                                threshold=to_decimal(data.get("threshold")),
                                frequency=data.get("frequency") or Covenant.Frequency.EACH_STATEMENT)


def _validate_application(app):
    if app.application_type in CHANGE_TYPES:
        if app.facility_id is None:
            raise ValidationFailed(_("An increase, renewal or decrease names the facility it changes."),
                                   field_errors={"facility": _("Choose the facility.")})
        if app.facility.customer_id != app.customer_id:
            raise ValidationFailed(_("The facility belongs to another customer."),
                                   field_errors={"facility": _("Another customer's facility.")})
        if app.facility.currency != app.currency:
            raise ValidationFailed(_("Use the facility's currency."), field_errors={"currency": app.facility.currency})
        if app.application_type == CreditApplication.Type.DECREASE and app.amount >= app.facility.limit:
            raise ValidationFailed(_("A decrease asks for less than the current limit."),
                                   field_errors={"amount": _("Not below the current limit.")})
        if app.application_type == CreditApplication.Type.INCREASE and app.amount <= app.facility.limit:
            raise ValidationFailed(_("An increase asks for more than the current limit."),
                                   field_errors={"amount": _("Not above the current limit.")})
    elif app.facility_id is not None:
        app.facility = None
    if not (app.purpose or "").strip():
        raise ValidationFailed(_("State the purpose."), field_errors={"purpose": _("Required.")})
    if app.term_months < 1 or app.term_months > 600:
        raise ValidationFailed(_("The term is in months, 1 to 600."), field_errors={"term_months": _("1 to 600.")})


APPLICATION_FIELDS = ["application_type", "facility", "amount", "currency", "term_months", "product", "purpose",
                      "conditions", "payment_term_days", "expected_monthly_sales"]


@transaction.atomic
def application_create(*, actor, customer, amount, currency, term_months, purpose,
                       application_type=CreditApplication.Type.NEW, product=CreditApplication.Product.TRADE_CREDIT,
                       facility=None, conditions="", collaterals=(), guarantors=(), covenants=(),
                       payment_term_days=None, expected_monthly_sales=None) -> CreditApplication:
    access.require(actor, "credit.add_creditapplication")
    _require_visible_customer(actor, customer)
    app = CreditApplication(customer=customer, application_type=application_type, facility=facility,
                            amount=_positive(amount, "amount"), currency=_currency(currency),
                            term_months=int(term_months), product=product, purpose=purpose, conditions=conditions,
                            payment_term_days=terms.validate_payment_term(payment_term_days),
                            expected_monthly_sales=terms.validate_expected_sales(expected_monthly_sales),
                            created_by=actor, status_changed_at=timezone.now())
    _validate_application(app)
    app.save()
    _set_collaterals(app, collaterals)
    _set_guarantors(app, guarantors, actor)
    _set_covenants(app, covenants)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=app, after=_application_state(app))
    return app


@transaction.atomic
def application_update(*, actor, application, collaterals=None, guarantors=None, covenants=None,
                       **fields) -> CreditApplication:
    access.require(actor, "credit.change_creditapplication")
    _require_visible(actor, CreditApplication.objects, application)
    app = _locked(CreditApplication, application.pk)
    if app.status not in (S.DRAFT, S.RETURNED):
        raise Conflict(_("Only a draft or returned application can be changed."))
    before = _application_state(app)
    for name in APPLICATION_FIELDS:
        if name in fields:
            value = fields[name]
            if name == "amount":
                value = _positive(value, "amount")
            elif name == "currency":
                value = _currency(value)
            elif name == "term_months":
                value = int(value)
            elif name == "payment_term_days":
                value = terms.validate_payment_term(value)
            elif name == "expected_monthly_sales":
                value = terms.validate_expected_sales(value)
            setattr(app, name, value)
    _validate_application(app)
    _save(app)
    if collaterals is not None:
        _set_collaterals(app, collaterals)
    if guarantors is not None:
        _set_guarantors(app, guarantors, actor)
    if covenants is not None:
        _set_covenants(app, covenants)
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=app, before=before, after=_application_state(app))
    return app


# --- Applications: analysis (policy check, coverage, required levels) -----------------------

def secured_amount(app, table: RateTable) -> Decimal:
    """Lendable collateral value plus guarantees at face × the guarantor's recovery factor
    (``security.security_by_application``, ``rules.secured_value``), in the application's currency."""
    if not app.pk:
        return ZERO
    items = security.security_by_application([app.pk], on_date=table.on_date)[app.pk]
    return security.secured_value(items, app.currency, table)


def latest_statement_figures(customer, table: RateTable):
    """(equity, revenue) of the customer's latest statement, in the reporting currency (None if missing)."""
    statement = customer.statements.order_by("-period_end", "-consolidated").first()
    if statement is None:
        return None, None
    values = statement.values_in_yuan()
    equity = values.get("equity")
    revenue = values.get("revenue")
    if statement.period_type != "annual" and revenue is not None:
        revenue = None  # a revenue cap is about a year's revenue
    convert = lambda v: None if v is None else table.convert(v, statement.currency)  # noqa: E731
    return convert(equity), convert(revenue)


def analyse(app, *, grade: str | None, on_date=None) -> dict:
    """The policy check, coverage, exposure and required levels for ``app`` (nothing saved).

    Caps apply to exposure (design brief §3): the customer's exposure after the amount applied for — its
    facilities at max(limit, usage), its other pending applications, the amount — and the group's (the
    members' sum) against a hard group limit. All in the reporting currency through the FX table.
    """
    on_date = on_date or clock.today()
    table = RateTable(on_date)
    decrease = app.application_type == CreditApplication.Type.DECREASE
    replaced = app.facility if app.facility_id and app.application_type in CHANGE_TYPES else None
    try:
        amount_reporting = table.convert(app.amount, app.currency)
        items = security.security_by_application([app.pk], on_date=on_date)[app.pk] if app.pk else []
        secured = security.secured_value(items, app.currency, table)
        exposures = selectors.customer_exposures(
            selectors.group_member_ids(app.customer), table=table,
            exclude_facility_ids=[replaced.pk] if replaced else [], exclude_application_ids=[app.pk] if app.pk else [])
        replaced_usage = ZERO
        if replaced is not None:
            replaced_usage = table.convert(selectors.utilisation([replaced], table=table)[replaced.pk],
                                           replaced.currency)
        group_limit = selectors.group_limit_in_force(app.customer, on_date)
        group_limit_amount = table.convert(group_limit.limit, group_limit.currency) if group_limit else None
    except MissingRate as exc:
        raise ValidationFailed(_("No FX rate for the currency: %(error)s") % {"error": exc}) from exc
    coverage = rules.coverage_ratio(secured, app.amount)
    own_before = exposures.get(app.customer_id, ZERO)
    group_before = sum(exposures.values(), ZERO)
    exposure_after = rules.exposure_after(exposure=own_before, amount=amount_reporting, replaced_usage=replaced_usage)
    group_after = group_before - own_before + exposure_after
    policy = selectors.policy_in_force(on_date)
    rule = sizing = None
    if policy is None:
        result = rules.PolicyResult((rules.Violation("no_policy", rules.HARD),))
    else:
        rule_row = next((r for r in policy.rules.all() if r.grade == grade), None)
        equity, revenue = latest_statement_figures(app.customer, table)
        rule = rule_row.as_rule() if rule_row else None
        if rule is None:
            result = rules.PolicyResult((rules.Violation("grade_not_eligible", rules.HARD, "", grade or ""),))
        else:
            try:
                sizing = terms.application_sizing(app, rule=rule, table=table, equity=equity, revenue=revenue,
                                                  on_date=on_date)
            except MissingRate as exc:
                raise ValidationFailed(_("No FX rate for the currency: %(error)s") % {"error": exc}) from exc
            result = rules.policy_check(rule=rule, amount=amount_reporting, term_months=app.term_months,
                                        coverage=coverage, equity=equity, revenue=revenue, exposure=exposure_after,
                                        group_exposure=group_after, group_limit=group_limit_amount,
                                        decrease=decrease, payment_term_days=app.payment_term_days,
                                        proposed_limit=sizing.limit if sizing else None)
    facts = []
    if not decrease:
        extra, facts = providers.extra_policy_checks(app, grade=grade, exposure_after=exposure_after,
                                                     on_date=on_date)
        result = rules.PolicyResult(tuple(result.violations) + tuple(extra))
    needs = rules.required_levels(levels=selectors.matrix_levels(), amount=group_after - group_before,
                                  group_exposure=group_before, grade=grade,
                                  exception=bool(result.soft) and not decrease, decrease=decrease,
                                  grade_rank=selectors.grade_rank)
    return {
        "policy": policy,
        "policy_result": result,
        "coverage": coverage,
        "secured": secured,
        "security_items": items,
        "amount_reporting": amount_reporting,
        "exposure": own_before,
        "exposure_after": exposure_after,
        "group_exposure": group_before,
        "group_exposure_after": group_after,
        "group_limit": group_limit_amount,
        "required": needs,
        "terms": terms.grade_terms(rule),
        "sizing": sizing,
        "facts": facts,
    }


def security_item_json(item) -> dict:
    return {"kind": item.kind, "id": item.item.pk, "face": str(item.face), "currency": item.currency,
            "factor": str(item.factor), "counted": str(item.counted), "grade": item.grade,
            "grade_source": item.grade_source}


def _policy_result_json(analysis) -> dict:
    result = analysis["policy_result"]
    return jsonable({
        "violations": [{**v.as_dict(), "message": violation_text(v.code)} for v in result.violations],
        "blocked": result.blocked,
        "needs_exception": result.needs_exception,
        "coverage": None if analysis["coverage"] is None else str(analysis["coverage"]),
        # each item's face value, factor and counted value at the check (the memo shows them as decided)
        "security": [security_item_json(i) for i in analysis.get("security_items", [])],
        "exposure_after": analysis["exposure_after"],
        "group_exposure_after": analysis["group_exposure_after"],
        "group_limit": analysis["group_limit"],
        "policy_version": analysis["policy"].version if analysis["policy"] else None,
        "checked_on": clock.today(),
        "terms": analysis.get("terms") or {},
        "sizing": analysis["sizing"].as_dict() if analysis.get("sizing") else None,
        "facts": analysis.get("facts", []),
    })
