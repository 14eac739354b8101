"""The credit approval memo: an application's terms, policy check, collateral, rating and every decision."""
from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from creditportal.core import clock
from creditportal.core.canonical import sha256_of
from creditportal.core.numerals import capital_amount

from . import common


def memo_number(application) -> str:
    year = (application.decided_at or application.created_at).year
    return f"CM-{year}-{application.pk:06d}"


def _violation_text(code: str, fallback: str) -> str:
    try:
        from credit.services import violation_text
    except ImportError:  # pragma: no cover - credit not ready
        return fallback or code
    text = violation_text(code)
    return text if text != code else (fallback or code)


SUMMARY_LINES = ["revenue", "net_profit", "total_assets", "total_liabilities", "equity", "operating_cash_flow"]
SUMMARY_RATIOS = ["current_ratio", "debt_to_assets", "interest_coverage", "net_margin", "roe", "receivable_days"]
TEN_THOUSAND = Decimal(10_000)


def financial_summary(customer, years: int = 3) -> dict:
    """The last ``years`` annual statements (consolidated first for a period) in ten thousand yuan (万元), with
    the key ratios of ``customers.rules.compute_ratios`` (two queries)."""
    from customers.labels import RATIO_LABELS
    from customers.models import FinancialStatement
    from customers.rules import RATIO_KINDS
    from customers.selectors import statements_table

    seen, chosen = set(), []
    for statement, analysis in statements_table(customer, limit=0):
        if statement.period_type != "annual" or statement.period_end in seen:
            continue
        seen.add(statement.period_end)
        chosen.append((statement, analysis))
        if len(chosen) == years:
            break
    chosen.reverse()  # oldest first, as finance reads a trend
    columns = [{"period": common.date_text(s.period_end), "audited": s.audited, "consolidated": s.consolidated}
               for s, _analysis in chosen]
    values = [s.values_in_yuan() for s, _analysis in chosen]
    lines = [{"label": str(FinancialStatement._meta.get_field(name).verbose_name),
              "values": [common.plain(v[name] / TEN_THOUSAND if v.get(name) is not None else None, 2)
                         for v in values]} for name in SUMMARY_LINES]
    ratios = [{"label": str(RATIO_LABELS.get(key, key)),
               "values": [common.ratio_text((a.get("ratios") or {}).get(key), RATIO_KINDS.get(key, "times"))
                          for _s, a in chosen]} for key in SUMMARY_RATIOS]
    return {"columns": columns, "lines": lines, "ratios": ratios}


def risk_picture(customer) -> dict | None:
    """The customer header's facts as the memo prints them (None when monitoring is not installed)."""
    try:
        from monitoring.header import customer_header
    except ImportError:  # pragma: no cover - the portal always has monitoring
        return None
    h = customer_header(customer)
    return {
        "on": common.date_text(clock.today()), "currency": h.currency,
        "exposure": common.money(h.exposure, h.currency), "group_exposure": common.money(h.group_exposure, h.currency),
        "group_limit": common.money(h.group_limit.limit, h.group_limit.currency) if h.group_limit else common.DASH,
        "limits": common.money(h.limits, h.currency), "usage": common.money(h.usage, h.currency),
        "usage_share": common.percent(h.usage_share, 1) if h.usage_share is not None else common.DASH,
        "overdue": common.money(h.overdue_amount, h.currency), "max_dpd": h.max_days_past_due,
        "tier": h.classification.get_tier_display() if h.classification else common.DASH,
        "alerts": ", ".join(label for _severity, label in h.alert_rows) or common.DASH,
        "watchlist": bool(h.watchlist), "open_cases": h.open_cases, "covenant_breaches": h.covenant_breaches,
        "warnings": [w["text"] for w in h.warnings],
    }


def current_facility(application):
    """The facility an increase, decrease or renewal changes (None for a new limit)."""
    return getattr(application, "facility", None) if getattr(application, "facility_id", None) else None


def _trade_terms(application) -> dict:
    """The payment term asked, the grade's terms and the proposed limit with its arithmetic in words
    (``credit.services.trade_terms_view``: as the policy check stored them once submitted)."""
    from credit.services import trade_terms_view

    trade = trade_terms_view(application)
    sizing = trade.get("sizing") or {}
    terms = trade.get("terms") or {}
    return {
        "payment_term_days": application.payment_term_days,
        "max_payment_term_days": terms.get("max_payment_term_days"),
        "payment_term_hard": terms.get("payment_term_hard"),
        "deposit_percent": terms.get("deposit_percent"),
        "proposed_limit": common.money(Decimal(sizing["limit"]), trade["currency"]) if sizing.get("limit") else "",
        "method": trade.get("sizing_method", ""),
        "lines": trade.get("sizing_text", []),
        "shown": bool(application.payment_term_days or terms.get("max_payment_term_days")
                      or terms.get("deposit_percent") or sizing),
    }


def _guarantee_rows(application, guarantors, policy) -> list[dict]:
    """Each guarantee's amount, the guarantor's grade, its recovery factor and the counted value: as the policy
    check recorded them (``policy_result["security"]``), else as they stand today (``credit.security``)."""
    recorded = {row["id"]: row for row in policy.get("security", []) if row.get("kind") == "guarantee"}
    if guarantors and any(g.pk not in recorded for g in guarantors):
        from credit.security import security_by_application
        from credit.services import security_item_json

        recorded.update({i.item.pk: security_item_json(i) for i in
                         security_by_application([application.pk])[application.pk] if i.kind == "guarantee"})
    rows = []
    for g in guarantors:
        row = recorded.get(g.pk, {})
        grade = row.get("grade", "")
        rows.append({"name": str(g), "amount": common.money(g.amount, g.currency),
                     "grade": _("unrated") if grade in ("", "unrated") else grade,
                     "agency": (f"{g.external_agency} {g.external_grade}" if g.external_agency else ""),
                     "factor": common.percent(row.get("factor"), 1) if row.get("factor") else common.DASH,
                     "counted": common.money(row["counted"], g.currency) if row.get("counted") else common.DASH})
    return rows


def approval_memo_context(application) -> dict:
    """The memo's data for the active language (a fixed number of queries)."""
    from ratings.selectors import current_rating

    customer = application.customer
    collaterals = list(application.collaterals.all())
    guarantors = list(application.guarantors.select_related("customer"))
    covenants = list(application.covenants.all())
    decisions = list(application.decisions.select_related("actor", "on_behalf_of").order_by("at", "id"))
    # The rating the decision rested on (kept on the application); the current one when none was kept.
    rating = getattr(application, "rating", None) or current_rating(customer)
    policy = application.policy_result or {}
    violations = [{"text": _violation_text(v.get("code", ""), v.get("message", "")),
                   "severity": _("hard rule") if v.get("severity") == "hard" else _("soft rule"),
                   "hard": v.get("severity") == "hard", "limit": v.get("limit", ""), "actual": v.get("actual", "")}
                  for v in policy.get("violations", [])]
    data_for_hash = {
        "application": application.pk, "status": application.status, "amount": application.amount,
        "currency": application.currency, "term_months": application.term_months, "policy_result": policy,
        "decisions": [[d.pk, d.action, d.actor_id, d.level, d.comment, d.voided, d.acknowledged_warnings]
                      for d in decisions],
        "collateral": [[c.pk, c.kind, c.market_value, c.currency, c.haircut] for c in collaterals],
        "guarantees": [[g.pk, g.customer_id, g.outside_name, g.amount, g.currency, g.mapped_grade]
                       for g in guarantors],
    }
    if application.payment_term_days is not None:  # trade credit (issue 23); older memos keep their hash
        data_for_hash["payment_term_days"] = application.payment_term_days
    number = memo_number(application)
    sha = sha256_of(data_for_hash)
    facility = current_facility(application)
    return {
        "report_number": number,
        "title": _("Credit approval memo"),
        "source_sha256": sha,
        "page_counter_css": common.page_counter_css(),
        "footer_text": common.footer_text(number, sha, _("Memo data SHA-256:")),
        "header_text": f"{_('Credit approval memo')} · {customer.name}",
        "customer": {"name": customer.name, "name_en": customer.name_en, "identifier": customer.identifier,
                     "identifier_label": (_("Foreign registration number") if customer.is_foreign
                                          else _("Unified social credit code")),
                     "group": customer.group.name if customer.group_id else "",
                     "industry": customer.get_industry_section_display(), "size": customer.get_size_display(),
                     "relationship_manager": common.person(customer.relationship_manager)},
        "application": {
            "id": application.pk, "status": application.get_status_display(),
            "type": application.get_application_type_display(), "product": application.get_product_display(),
            "amount": common.money(application.amount, application.currency),
            "amount_reporting": common.money(application.amount_reporting, settings.REPORTING_CURRENCY),
            "term_months": application.term_months, "purpose": application.purpose,
            "conditions": application.conditions, "created_at": common.date_text(application.created_at),
            "decided_at": common.date_text(application.decided_at), "made_by": common.person(application.created_by),
            "analyst": common.person(application.reviewer), "analyst_opinion": application.analyst_opinion,
            "levels": f"{application.current_level} / {application.required_levels}",
            "group_exposure": common.money(application.group_exposure, settings.REPORTING_CURRENCY),
            "grade_used": application.rating_grade or common.DASH,
            "exception": application.policy_exception, "exception_reason": application.exception_reason,
            "return_reason": application.return_reason,
            "amount_in_words": (capital_amount(application.amount, application.currency)
                                if (get_language() or "").startswith("zh") and application.currency == "CNY" else ""),
            "current_limit": (common.money(facility.limit, facility.currency) if facility is not None else ""),
            "change": (common.money(application.amount - facility.limit, application.currency)
                       if facility is not None and facility.currency == application.currency else ""),
        },
        "trade": _trade_terms(application),
        "risk": risk_picture(customer),
        "financials": financial_summary(customer),
        "signoff": _signoff(application, decisions),
        "policy": {"name": str(application.policy) if application.policy_id else common.DASH,
                   "version": policy.get("policy_version") or common.DASH,
                   "checked_on": common.date_text(policy.get("checked_on")),
                   "coverage": common.percent(policy.get("coverage"), 1),
                   "blocked": policy.get("blocked", False), "needs_exception": policy.get("needs_exception", False),
                   "violations": violations, "checked": bool(policy)},
        "collaterals": [{"kind": c.get_kind_display(), "description": c.description,
                         "market_value": common.money(c.market_value, c.currency),
                         "haircut": common.percent(c.haircut, 1),
                         "table_haircut": common.percent(c.table_haircut, 1) if c.table_haircut is not None else "",
                         "haircut_reason": c.haircut_reason,
                         "lendable": common.money(c.lendable_value, c.currency),
                         "valued": common.date_text(c.valuation_date),
                         "revaluation_due": common.date_text(c.revaluation_due)} for c in collaterals],
        "guarantors": _guarantee_rows(application, guarantors, policy),
        "covenants": [{"text": f"{g.get_ratio_display()} {g.comparison} {common.plain(g.threshold, 2)}",
                       "frequency": g.get_frequency_display()} for g in covenants],
        "rating": None if rating is None else {
            "grade": rating.grade, "letter": rating.letter, "pd": common.percent(rating.pd),
            "date": common.date_text(rating.approved_on), "review_due": common.date_text(rating.review_due),
            "expired": rating.is_expired},
        "decisions": [{"action": d.get_action_display(), "who": common.person(d.actor),
                       "on_behalf_of": common.person(d.on_behalf_of) if d.on_behalf_of_id else "",
                       "level": d.level, "comment": d.comment_text(), "voided": d.voided,
                       "acknowledged": [w.get("text", w.get("code", "")) for w in (d.acknowledged_warnings or [])],
                       "when": common.date_text(d.at)} for d in decisions],
    }


def _signoff(application, decisions) -> list[dict]:
    """Who signs the memo: the relationship manager who made it, the analyst who reviewed it and each approval
    level, with the name and date of the decision where one was taken (blank lines to sign otherwise)."""
    approvals = {d.level: d for d in decisions if d.action == "approve" and not d.voided}
    rows = [{"role": _("Relationship manager"), "who": common.person(application.created_by),
             "when": common.date_text(application.submitted_at) if getattr(application, "submitted_at", None)
             else common.date_text(application.created_at)},
            {"role": _("Credit analyst"), "who": common.person(application.reviewer) if application.reviewer_id else "",
             "when": ""}]
    for level in range(1, (application.required_levels or 0) + 1):
        decision = approvals.get(level)
        rows.append({"role": _("Approver, level %(level)s") % {"level": level},
                     "who": common.person(decision.actor) if decision else "",
                     "when": common.date_text(decision.at) if decision else ""})
    return rows
