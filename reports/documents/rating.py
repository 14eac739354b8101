"""The rating report: everything an auditor or a credit committee needs about one approved rating.

``rating_report_context(rating)`` gathers the data with a fixed number of queries (the rating with its
customer, model and people; expert scores; statements; open alerts; the audit trail of the rating);
the template lays it out as blocks rather than long tables (WeasyPrint lays tables out slowly).
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from audit.models import AuditEvent
from creditportal.core.formatting import shipped_text
from creditportal.core.naming import localized
from creditportal.core.pdf import PDF_FONT_FAMILY
from customers.labels import RATIO_GROUP_LABELS, RATIO_LABELS, line_item_label
from customers.models import LINE_ITEMS, PeriodType
from customers.rules import RATIO_GROUPS, RATIO_KINDS
from customers.selectors import statements_table
from ratings import selectors
from ratings.models import ExpertScore, Rating

from . import common

YEARS = 3
LOWER_IS_BETTER = {"debt_to_assets", "debt_to_equity", "receivable_days", "inventory_days"}
STATEMENT_ROWS = ["revenue", "cost_of_sales", "operating_profit", "interest_expense", "net_profit",
                  "cash", "receivables", "inventory", "current_assets", "total_assets",
                  "current_liabilities", "total_liabilities", "equity", "operating_cash_flow"]
RELATED = ("customer", "customer__relationship_manager", "customer__group", "model", "created_by",
           "submitted_by", "approved_by", "overridden_by")


def report_number(rating: Rating) -> str:
    year = (rating.approved_on or rating.created_at.date()).year
    return f"RR-{year}-{rating.pk:06d}"


def load_rating(rating_id) -> Rating:
    return Rating.objects.select_related(*RELATED).get(pk=rating_id)


def _customer(customer) -> dict:
    rm = customer.relationship_manager
    return {
        "name": customer.name, "name_en": customer.name_en,
        "identifier": customer.identifier, "identifier_label": (
            _("foreign registration number") if customer.is_foreign else _("unified social credit code")),
        "country": customer.country,
        "legal_form": customer.get_legal_form_display(),
        "industry": f"{customer.industry_section} · {customer.get_industry_section_display()}"
                    + (f" ({customer.industry_division})" if customer.industry_division else ""),
        "size": customer.get_size_display(),
        "status": customer.get_status_display(),
        "established_on": common.date_text(customer.established_on),
        "registered_capital": common.money(customer.registered_capital, customer.registered_capital_currency, 0),
        "legal_representative": customer.legal_representative or common.DASH,
        "address": customer.address or common.DASH,
        "relationship_manager": common.person(rm),
        "group": customer.group.name if customer.group_id else common.DASH,
    }


def _statements(rating: Rating) -> dict:
    """Up to three annual statements up to the rated one, with ratios and trends (oldest first)."""
    rated = (rating.inputs or {}).get("statement") or {}
    rated_end = rated.get("period_end") or ""
    rated_consolidated = rated.get("consolidated")
    table = statements_table(rating.customer, limit=0)
    picked = []
    for statement, analysis in table:
        if statement.period_type != PeriodType.ANNUAL:
            continue
        if rated_end and statement.period_end.isoformat() > rated_end:
            continue
        if rated_consolidated is not None and statement.consolidated != rated_consolidated:
            continue
        if any(s.period_end == statement.period_end for s, _a in picked):
            continue
        picked.append((statement, analysis))
        if len(picked) == YEARS:
            break
    if not picked and table:
        picked = table[:YEARS]
    picked.reverse()
    if not picked:
        return {"periods": [], "rows": [], "ratio_groups": []}
    unit = picked[-1][0]
    periods = [{"label": s.period_end.strftime("%Y-%m-%d"), "audited": s.audited, "consolidated": s.consolidated}
               for s, _a in picked]
    rows = []
    for item in STATEMENT_ROWS:
        values = []
        for s, _a in picked:
            raw = getattr(s, item)
            # show every period in the newest statement's unit
            scaled = None if raw is None else raw * int(s.unit) / int(unit.unit)
            values.append(common.amount(scaled, 0 if int(unit.unit) == 1 else 1))
        rows.append({"label": line_item_label(item), "values": values})
    ratio_groups = []
    for group, keys in RATIO_GROUPS:
        group_rows = []
        for key in keys:
            series = [a["ratios"].get(key) for _s, a in picked]
            arrow, tone = common.trend_of(series, lower_is_better=key in LOWER_IS_BETTER)
            group_rows.append({"label": RATIO_LABELS.get(key, key),
                               "values": [common.ratio_text(v, RATIO_KINDS.get(key, "times")) for v in series],
                               "trend": arrow, "tone": tone})
        ratio_groups.append({"label": RATIO_GROUP_LABELS.get(group, group), "rows": group_rows})
    return {"periods": periods, "rows": rows, "ratio_groups": ratio_groups,
            "unit": unit.get_unit_display(), "currency": unit.currency}


def _factors(rating: Rating) -> list[dict]:
    result = rating.result or {}
    definition = {f.get("code"): f for f in (rating.model_definition or {}).get("factors", [])}
    rows = []
    for f in result.get("factors", []):
        kind = f.get("kind")
        value = f.get("value")
        status = f.get("status")
        if status == "zero_best":
            shown = _("zero denominator: best band")
        elif status == "zero_worst":
            shown = _("zero or negative denominator: worst band")
        elif status == "no_weight":
            shown = _("not available (weight spread over the others)")
        elif status == "missing_points":
            shown = _("not available (points for missing)")
        elif value is None:
            shown = _("not available")
        elif kind == "quantitative":
            source = (f.get("source") or "").split(".")[-1]
            shown = common.ratio_text(value, RATIO_KINDS.get(source, "times"))
        elif kind == "qualitative":
            shown = _("mean %(mean)s") % {"mean": common.plain(value)}
        else:
            shown = str(selectors.factor_value_label(f))  # a category by its label ("Large", not "large")
        rows.append({
            "code": f.get("code"),
            "name": shipped_text(f.get("name") or definition.get(f.get("code"), {}).get("name", "")),
            "kind": {"quantitative": _("quantitative"), "qualitative": _("qualitative"),
                     "categorical": _("category")}.get(kind, kind),
            "value": shown, "available": f.get("available", value is not None),
            # engine 2: the weight the factor counted with (missing factors' weight spread over the others)
            "points": common.plain(f.get("points")) if f.get("points") is not None else common.DASH,
            "weight": common.plain(f.get("weight_used", f.get("weight"))),
            "contribution": common.plain(f.get("contribution")),
            "raw_weight": f.get("weight_used", f.get("weight")), "raw_contribution": f.get("contribution"),
            "notch_up": f.get("notch_up"),
        })
    return rows


def _behaviour(rating: Rating) -> dict:
    b = (rating.inputs or {}).get("behaviour") or {}
    share_labels = {
        "ours_only": _("Our products only"), "ours_main": _("Ours main, competitors secondary"),
        "half": _("Half and half"), "competitors_main": _("Competitors' products main"),
    }
    window = b.get("window") or {}
    days = b.get("days_late")
    return {
        "available": bool(b),
        "window": f"{common.date_text(window.get('start'))} – {common.date_text(window.get('end'))}" if window else "",
        "indicators": [
            {"name": _("Net collection rate"),
             "value": common.percent(b.get("net_collection_rate")) if b.get("net_collection_rate") is not None
             else _("not available"),
             "letter": b.get("net_collection") or common.DASH},
            {"name": _("Days paid after the due date"),
             "value": (_("%(days)s days (longest %(max)s)") % {"days": days, "max": b.get("max_days_late")})
             if days is not None else _("not available"),
             "letter": b.get("days_late_grade") or common.DASH},
            {"name": _("Share of competitors' products"),
             "value": share_labels.get(b.get("competitor_share") or "", _("not answered")),
             "letter": b.get("competitor") or common.DASH},
        ],
        "letters": b.get("letters") or "",
        "result": b.get("result") or common.DASH,
        "veto": b.get("result") == "D",
    }


def _experts(rating: Rating, factor_rows: list[dict]) -> list[dict]:
    names = {r["code"]: r["name"] for r in factor_rows}
    result_factors = {f.get("code"): f for f in (rating.result or {}).get("factors", [])}
    by_factor: dict[str, list] = {}
    for score in ExpertScore.objects.filter(rating=rating).select_related("expert").order_by("factor_code", "expert_id"):
        by_factor.setdefault(score.factor_code, []).append(
            {"expert": common.person(score.expert), "score": score.score, "comment": score.comment})
    snapshot = (rating.inputs or {}).get("expert_scores") or {}
    blocks = []
    for code in dict.fromkeys([*by_factor, *snapshot]):
        experts = (result_factors.get(code) or {}).get("experts") or {}
        scores = by_factor.get(code) or [{"expert": common.DASH, "score": s, "comment": ""} for s in snapshot.get(code, [])]
        values = [common.dec(s["score"]) for s in scores if common.dec(s["score"]) is not None]
        mean = experts.get("mean") or (sum(values) / len(values) if values else None)
        spread = experts.get("spread") if experts.get("spread") is not None else (
            max(values) - min(values) if values else None)
        blocks.append({"factor": names.get(code, code), "scores": scores, "mean": common.plain(mean),
                       "spread": common.plain(spread, 0 if spread is not None and common.dec(spread) == int(common.dec(spread)) else 2),
                       "wide": spread is not None and common.dec(spread) is not None and common.dec(spread) >= 2})
    return blocks


def _caps(rating: Rating) -> list[dict]:
    return [{"label": shipped_text(c.get("label") or c.get("code")), "max_grade": c.get("max_grade"),
             "binding": c.get("binding", False)}
            for c in (rating.result or {}).get("caps", []) if c.get("triggered")]


def _warnings(rating: Rating) -> list[dict]:
    from monitoring.models import ACTIVE_ALERT_STATES, Alert

    rows = (Alert.objects.filter(customer_id=rating.customer_id, status__in=ACTIVE_ALERT_STATES)
            .select_related("rule").order_by("-raised_on", "-id")[:20])
    return [{"rule": a.rule.localized_name, "severity": a.get_severity_display(), "status": a.get_status_display(),
             "raised_on": common.date_text(a.raised_on), "value": common.plain(a.value, 4) if a.value is not None else "",
             "action": a.get_recommended_action_display()} for a in rows]


def _verb_text(verb: str) -> str:
    labels = {
        "create": pgettext("rating trail", "created"), "submit": pgettext("rating trail", "submitted"),
        "approve": pgettext("rating trail", "approved"), "return": _("returned to the maker"),
        "return_to_maker": _("returned to the maker"), "reject": pgettext("rating trail", "rejected"),
        "override": _("grade overridden"), "supersede": pgettext("rating trail", "superseded"),
    }
    return str(labels.get(verb, verb.replace("_", " ")))


def _comment_of(event: AuditEvent) -> str:
    """The person's words of a workflow step: the decision note or the override's reason."""
    after = event.after if isinstance(event.after, dict) else {}
    before = event.before if isinstance(event.before, dict) else {}
    if event.verb == "override":
        return str(after.get("override_reason") or "")
    if event.verb in ("approve", "return", "return_to_maker", "reject"):
        note = after.get("decision_note") or ""
        return str(note) if note != before.get("decision_note") or event.verb == "approve" else ""
    for key in ("comment", "note", "reason"):
        if after.get(key):
            return str(after[key])
    return ""


def _trail(rating: Rating) -> list[dict]:
    """Who did what and when: the rating's workflow events from the audit trail (its fields as fallback)."""
    events = list(AuditEvent.objects.for_object("ratings.rating", rating.pk)
                  .filter(action__in=[AuditEvent.Action.CREATE, AuditEvent.Action.TRANSITION,
                                      AuditEvent.Action.UPDATE])
                  .order_by("occurred_at", "id"))
    events = [e for e in events if e.action != AuditEvent.Action.UPDATE or e.verb == "override"]
    user_ids = {e.actor_id for e in events if e.actor_id}
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=user_ids)} if user_ids else {}
    trail = [{"when": common.date_text(e.occurred_at),
              "who": common.person(users[e.actor_id]) if e.actor_id in users else (e.actor_username or common.DASH),
              "decision": _verb_text(e.verb or e.action), "comment": _comment_of(e)}
             for e in events]
    if any(e.verb == "approve" for e in events):
        return trail
    # Ratings made before the trail recorded them: the rating's own fields.
    steps = [(rating.created_at, rating.created_by, "create", "")]
    if rating.overridden_by_id:
        steps.append((rating.submitted_at or rating.created_at, rating.overridden_by, "override",
                      rating.override_reason))
    if rating.submitted_by_id:
        steps.append((rating.submitted_at, rating.submitted_by, "submit", ""))
    if rating.approved_by_id:
        steps.append((rating.approved_at, rating.approved_by, "approve", rating.decision_note))
    shown = {t["decision"] for t in trail}
    for when, who, verb, comment in steps:
        if _verb_text(verb) not in shown:
            trail.append({"when": common.date_text(when), "who": common.person(who), "decision": _verb_text(verb),
                          "comment": comment or ""})
    return trail


def _summary(rating: Rating, factors: list[dict], behaviour: dict, caps: list[dict]) -> list[str]:
    lines = [_("Score %(score)s of 100 gives the model grade %(model)s; the final grade is %(grade)s (letter %(letter)s), "
               "probability of default %(pd)s.") % {
        "score": common.plain(rating.score), "model": rating.model_grade, "grade": rating.grade,
        "letter": rating.letter, "pd": common.percent(rating.pd, 2)}]
    # only factors that had data: a missing one is neither the strongest nor the weakest
    ranked = sorted((f for f in factors if f["available"] and (common.dec(f["raw_weight"]) or 0) > 0),
                    key=lambda f: (common.dec(f["raw_contribution"]) or 0) / (common.dec(f["raw_weight"]) or 1))
    if ranked:
        lines.append(_("Strongest factor: %(best)s; weakest factor: %(worst)s.") % {
            "best": ranked[-1]["name"], "worst": ranked[0]["name"]})
    if behaviour["available"] and behaviour["result"] != common.DASH:
        lines.append(_("Payment behaviour: %(letters)s → %(result)s.") % {
            "letters": behaviour["letters"] or common.DASH, "result": behaviour["result"]})
    for cap in caps:
        if cap["binding"]:
            lines.append(_("The cap “%(cap)s” holds the grade at %(grade)s or worse.") % {
                "cap": cap["label"], "grade": cap["max_grade"]})
    if rating.override_grade:
        lines.append(_("The grade was overridden from %(model)s to %(grade)s: %(reason)s") % {
            "model": rating.model_grade, "grade": rating.override_grade, "reason": rating.override_reason})
    completeness = rating.completeness
    if completeness is not None:
        lines.append(_("Data completeness: %(percent)s%% of the model's weight had data.")
                     % {"percent": common.plain(completeness["percent"])})
    if rating.completeness_override_reason:
        lines.append(_("Approved below the minimum data completeness: %(reason)s")
                     % {"reason": rating.completeness_override_reason})
    if rating.review_due:
        lines.append(_("Next review: %(date)s.") % {"date": common.date_text(rating.review_due)})
    return lines


def _previous(rating: Rating) -> dict | None:
    """The customer's rating approved before this one, and the change: notches up or down (one query)."""
    from ratings.models import RatingState

    previous = (Rating.objects.filter(customer_id=rating.customer_id, approved_at__isnull=False,
                                      state__in=[RatingState.APPROVED, RatingState.SUPERSEDED])
                .exclude(pk=rating.pk).filter(pk__lt=rating.pk)
                .only("id", "grade", "letter", "approved_on", "approved_at", "pd")
                .order_by("-approved_at", "-pk").first())
    if previous is None:
        return None
    try:
        notches = selectors.notches_between(previous.grade, rating.grade)
    except ValueError:
        notches = None
    if notches is None:
        change = _("not comparable (another scale)")
    elif notches > 0:
        change = _("upgraded by %(n)s notch(es)") % {"n": notches}
    elif notches < 0:
        change = _("downgraded by %(n)s notch(es)") % {"n": -notches}
    else:
        change = _("unchanged")
    return {"grade": previous.grade, "letter": previous.letter, "pd": common.percent(previous.pd, 2),
            "date": common.date_text(previous.approved_on or previous.approved_at), "change": change,
            "direction": "up" if notches and notches > 0 else ("down" if notches and notches < 0 else "same")}


def _exposure(rating: Rating) -> dict:
    """The customer's exposure as the dashboard and the customer header show it (``monitoring.header``: the one
    definition, ``credit.rules.customer_exposure``), in the reporting currency; only the header's exposure figures
    are read (``exposure_header``), not its rating, alerts, holds and warnings, which the report does not print."""
    from monitoring.header import exposure_header

    header = exposure_header(rating.customer)
    currency = header.currency
    return {
        "currency": currency, "missing_rates": header.missing_rates,
        "exposure": common.money(header.exposure, currency), "group_exposure": common.money(header.group_exposure, currency)
        if rating.customer.group_id else None,
        "limits": common.money(header.limits, currency), "usage": common.money(header.usage, currency),
        "facilities": header.facilities,
        "overdue": common.money(header.overdue_amount, currency), "days_past_due": header.max_days_past_due,
        "classification": header.classification.get_tier_display() if header.classification else common.DASH,
    }


def _signoff(rating: Rating) -> list[dict]:
    """Who signs the report: the analyst who made the rating, who submitted it and who approved it."""
    rows = [{"role": _("Credit analyst (maker)"), "who": common.person(rating.created_by),
             "when": common.date_text(rating.created_at)}]
    if rating.submitted_by_id and rating.submitted_by_id != rating.created_by_id:
        rows.append({"role": _("Submitted by"), "who": common.person(rating.submitted_by),
                     "when": common.date_text(rating.submitted_at)})
    rows.append({"role": _("Approved by (checker)"), "who": common.person(rating.approved_by) if rating.approved_by_id
                 else "", "when": common.date_text(rating.approved_at) if rating.approved_at else ""})
    return rows


def rating_report_context(rating: Rating) -> dict:
    """The data of the rating report, formatted for the active language (call inside ``translation.override``)."""
    factors = _factors(rating)
    behaviour = _behaviour(rating)
    caps = _caps(rating)
    model = rating.model
    number = report_number(rating)
    sha = rating.inputs_sha256
    return {
        "report_number": number,
        "title": _("Credit rating report"),
        "source_sha256": sha,
        "page_counter_css": common.page_counter_css(),
        "footer_text": common.footer_text(number, sha, _("Input snapshot SHA-256:")),
        "customer": _customer(rating.customer),
        "rating": {
            "id": rating.pk, "grade": rating.grade, "letter": rating.letter, "pd": common.percent(rating.pd, 2),
            "score": common.plain(rating.score), "model_grade": rating.model_grade,
            "score_grade": (rating.result or {}).get("score_grade", rating.model_grade),
            "date": common.date_text(rating.approved_on or rating.approved_at),
            "approved_at": common.date_text(rating.approved_at),
            "review_due": common.date_text(rating.review_due),
            "model_name": localized(model), "model_code": model.code, "model_version": model.version,
            "state": rating.get_state_display(), "origin": rating.get_origin_display(),
            "as_of": common.date_text((rating.inputs or {}).get("as_of")),
            "meaning": shipped_text(selectors.grade_meaning(rating)),
        },
        "summary": _summary(rating, factors, behaviour, caps),
        "statements": _statements(rating),
        "factors": factors,
        "factor_chart": common.factor_chart_svg(
            [{"name": f["name"], "weight": f["raw_weight"], "contribution": f["raw_contribution"]} for f in factors],
            font_family=PDF_FONT_FAMILY.replace('"', "'")),
        "total_score": common.plain(rating.score),
        "behaviour": behaviour,
        "experts": _experts(rating, factors),
        "caps": caps,
        "override": {"grade": rating.override_grade, "model_grade": rating.model_grade,
                     "reason": rating.override_reason, "by": common.person(rating.overridden_by)}
        if rating.override_grade else None,
        "warnings": _warnings(rating),
        "trail": _trail(rating),
        "negative": ((rating.inputs or {}).get("negative") or {}).get("count_3y", 0),
        "rationale": rating.rationale,
        "previous": _previous(rating),
        "exposure": _exposure(rating),
        "signoff": _signoff(rating),
    }
