"""Turns stored results (plain JSON) into rows for the page and the PDF, with labels in the active language."""
from django.utils.translation import gettext_lazy as _

from creditportal.core.formatting import shipped_text

from .models import Simulation

VERDICTS = {"too_low": _("PD too low"), "differs": _("differs from the PD"), "": _("consistent")}
PSI_LABELS = {"stable": _("stable"), "watch": _("watch"), "shift": _("significant shift"), "": "—"}
REASONS = {"max_limit": _("above the maximum limit for the grade"),
           "not_eligible": _("the policy does not lend to the grade"),
           "not_rated": _("no current rating")}


def _pct(value):
    return None if value is None else value * 100


def matrix_rows(matrix):
    if not matrix:
        return []
    rows = []
    for row in matrix["rows"]:
        if not row["total"]:
            continue
        cells = [{"count": c, "share": _pct(s), "diagonal": g == row["from"]}
                 for c, s, g in zip(row["counts"], row["shares"], matrix["grades"])]
        rows.append({"from": row["from"], "cells": cells, "total": row["total"]})
    return rows


def run_context(run) -> dict:
    r = run.results or {}
    calibration = [{**row, "observed_pct": _pct(row["observed_rate"]), "pd_pct": _pct(row["pd"]),
                    "verdict": VERDICTS.get(row["rejected"], "") if row["count"] else "—"}
                   for row in r.get("calibration", [])]
    concentration = r.get("concentration") or {"rows": [], "hhi": None}
    stability = r.get("stability") or {}
    score_psi = stability.get("score") or None
    return {
        "r": r,
        "calibration": calibration,
        "concentration_rows": [{**c, "share_pct": _pct(c["share"])} for c in concentration["rows"]],
        "hhi": concentration.get("hhi"),
        "migration": r.get("migration"),
        "migration_rows": matrix_rows(r.get("migration")),
        "stability": stability,
        "score_psi": score_psi,
        "score_psi_label": PSI_LABELS.get(score_psi["label"] if score_psi else "", ""),
        "score_psi_bins": [{**b, "expected_pct": _pct(b["expected_share"]), "actual_pct": _pct(b["actual_share"])}
                           for b in (score_psi or {}).get("bins", [])],
        # a shipped factor's name is stored in English (its msgid): shown in the reader's language
        "factor_psi": [{**f, "name": shipped_text(f["name"]), "label_text": PSI_LABELS.get(f["label"], "")}
                       for f in stability.get("factors", [])],
        "default_rate_pct": _pct(r.get("default_rate")),
    }


def simulation_context(sim, user) -> dict:
    r = sim.results or {}
    context = {"r": r, "can_activate": False}
    if sim.kind == Simulation.Kind.RATING_MODEL:
        context["matrix"] = r.get("matrix")
        context["matrix_rows"] = matrix_rows(r.get("matrix"))
        context["breaches"] = [{**b, "reason_text": REASONS.get(b["reason"], "")} for b in r.get("breaches", [])]
        provisions = r.get("provisions") or {}
        context["provisions"] = provisions
        subject_draft = sim.rating_model is not None and sim.rating_model.state == "draft"
        context["can_activate"] = subject_draft and user.has_perm("ratings.approve_ratingmodel")
    else:
        context["by_grade"] = r.get("by_grade", [])
        context["listed"] = [{**b, "reason_text": REASONS.get(b["reason"], "")} for b in r.get("listed", [])]
        subject_draft = sim.credit_policy is not None and sim.credit_policy.status == "draft"
        context["can_activate"] = subject_draft and user.has_perm("credit.approve_creditpolicy")
    context["can_activate"] = context["can_activate"] and sim.status == "finished"
    context["subject_draft"] = subject_draft
    return context
