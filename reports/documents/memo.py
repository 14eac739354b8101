"""The credit approval memo: an application's terms, policy check, collateral, rating and every decision."""
from __future__ import annotations

from django.utils.translation import gettext as _

from creditportal.core.canonical import sha256_of

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
        "decisions": [[d.pk, d.action, d.actor_id, d.level, d.comment, d.voided] for d in decisions],
        "collateral": [[c.pk, c.kind, c.market_value, c.currency, c.haircut] for c in collaterals],
    }
    number = memo_number(application)
    sha = sha256_of(data_for_hash)
    return {
        "report_number": number,
        "title": _("Credit approval memo"),
        "source_sha256": sha,
        "page_counter_css": common.page_counter_css(),
        "footer_text": common.footer_text(number, sha, _("Memo data SHA-256:")),
        "header_text": f"{_('Credit approval memo')} · {customer.name}",
        "customer": {"name": customer.name, "name_en": customer.name_en, "identifier": customer.identifier,
                     "industry": customer.get_industry_section_display(), "size": customer.get_size_display(),
                     "relationship_manager": common.person(customer.relationship_manager)},
        "application": {
            "id": application.pk, "status": application.get_status_display(),
            "type": application.get_application_type_display(), "product": application.get_product_display(),
            "amount": common.money(application.amount, application.currency),
            "amount_reporting": common.amount(application.amount_reporting),
            "term_months": application.term_months, "purpose": application.purpose,
            "conditions": application.conditions, "created_at": common.date_text(application.created_at),
            "decided_at": common.date_text(application.decided_at), "made_by": common.person(application.created_by),
            "analyst": common.person(application.reviewer), "analyst_opinion": application.analyst_opinion,
            "levels": f"{application.current_level} / {application.required_levels}",
            "group_exposure": common.amount(application.group_exposure),
            "grade_used": application.rating_grade or common.DASH,
            "exception": application.policy_exception, "exception_reason": application.exception_reason,
            "return_reason": application.return_reason,
        },
        "policy": {"name": str(application.policy) if application.policy_id else common.DASH,
                   "version": policy.get("policy_version") or common.DASH,
                   "checked_on": common.date_text(policy.get("checked_on")),
                   "coverage": common.percent(policy.get("coverage"), 1),
                   "blocked": policy.get("blocked", False), "needs_exception": policy.get("needs_exception", False),
                   "violations": violations, "checked": bool(policy)},
        "collaterals": [{"kind": c.get_kind_display(), "description": c.description,
                         "market_value": common.money(c.market_value, c.currency),
                         "haircut": common.percent(c.haircut, 1),
                         "lendable": common.money(c.lendable_value, c.currency),
                         "valued": common.date_text(c.valuation_date),
                         "revaluation_due": common.date_text(c.revaluation_due)} for c in collaterals],
        "guarantors": [{"name": str(g), "amount": common.money(g.amount, g.currency)} for g in guarantors],
        "covenants": [{"text": f"{g.get_ratio_display()} {g.comparison} {common.plain(g.threshold, 2)}",
                       "frequency": g.get_frequency_display()} for g in covenants],
        "rating": None if rating is None else {
            "grade": rating.grade, "letter": rating.letter, "pd": common.percent(rating.pd),
            "date": common.date_text(rating.approved_on), "review_due": common.date_text(rating.review_due),
            "expired": rating.is_expired},
        "decisions": [{"action": d.get_action_display(), "who": common.person(d.actor),
                       "on_behalf_of": common.person(d.on_behalf_of) if d.on_behalf_of_id else "",
                       "level": d.level, "comment": d.comment, "voided": d.voided,
                       "when": common.date_text(d.at)} for d in decisions],
    }
