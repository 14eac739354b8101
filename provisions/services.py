"""Every write of the ECL app: month-end snapshots, scenarios (four-eyes), impaired assessments, the ECL
run (propose → approve by another person → lock) and the audited downloads of the disclosure.

The arithmetic is in ``provisions.rules`` (no Django); the reads in ``provisions.selectors``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import AuditEvent
from audit.services import audit_record
from creditportal.core import access, clock
from creditportal.core.canonical import jsonable, sha256_of
from creditportal.core.errors import Conflict, NotAllowed, ValidationFailed
from customers.services import require_visible
from proposals import registry as proposals_registry
from proposals import services as proposals

from . import rules, selectors
from .models import (AgingSnapshot, AgingSnapshotLine, AssessmentEvidence, EclLine, EclRun, ImpairedAssessment,
                     RunState, ScenarioChange, ScenarioSet, ScenarioState)

ZERO = Decimal("0")
Action = AuditEvent.Action


def _rule_error(error: rules.RuleError):
    field = error.field or "__all__"
    return ValidationFailed(_message(error), field_errors={field: _message(error)})


def _message(error: rules.RuleError) -> str:
    """The rule's refusal in the user's language (the rules module has no translations of its own)."""
    text = error.message
    known = [
        ("the weights add up to", _("The weights of the scenarios must add up to 100%.")),
        ("cannot be negative", _("A factor or an amount cannot be negative.")),
        ("look-back of", _("The look-back is longer than the history of month-end snapshots.")),
        ("look-back is at least", _("The look-back is at least one month.")),
        ("enter at least one scenario", _("Enter at least one scenario.")),
        ("has no name", _("Every scenario needs a name.")),
        ("two scenarios are called", _("Two scenarios have the same name.")),
        ("must be between 0 and 100%", _("A weight is between 0 and 100%.")),
        ("must be between 0 and 1", _("A rate is between 0 and 1 (100%).")),
        ("unknown bucket", _("Unknown aging bucket.")),
        ("haircut", _("The haircut is a fraction between 0 and 1.")),
        ("not a number", _("Enter a number.")),
    ]
    for needle, message in known:
        if needle in text:
            return f"{message} ({text})"
    return text


# --- snapshots ------------------------------------------------------------------------------------

def _check_month(period) -> dt.date:
    if not isinstance(period, dt.date):
        raise ValidationFailed(_("Enter a month end."), field_errors={"period": _("Enter a month end.")})
    period = selectors.month_end(period)
    if period >= clock.today():
        raise ValidationFailed(_("The month %(month)s has not ended yet.") % {"month": f"{period:%Y-%m}"},
                               field_errors={"period": _("Choose a month that has ended.")})
    return period


def snapshot_take(*, actor, period: dt.date) -> AgingSnapshot:
    """The month-end aging snapshot of ``period``'s month (idempotent: an existing one is returned as is)."""
    access.require(actor, "provisions.take_agingsnapshot")
    period = _check_month(period)
    existing = AgingSnapshot.objects.filter(period=period).first()
    if existing is not None:
        return existing
    if not selectors.has_invoices_by(period):
        raise ValidationFailed(_("There are no receivables by %(month)s: nothing to take a snapshot of.")
                               % {"month": f"{period:%Y-%m}"}, field_errors={"period": _("No data for this month.")})
    rows, missing = selectors.aging_at(period)
    facts = selectors.customer_facts([r["customer_id"] for r in rows], period)
    totals = {k: ZERO for k in [*selectors.BUCKETS, "gross", "written_off", "recovered", "new_loss"]}
    payload = []
    for row in rows:
        section, letter, tier = facts.get(row["customer_id"], ("", "", ""))
        row.update(industry_section=section, letter=letter, tier=tier)
        for key in [*totals, *selectors.SPLIT_BANDS]:
            row[key] = rules.cents(row[key])  # as stored (two places), so the hash reads back the same
        for key in totals:
            totals[key] += row[key]
        payload.append(row)
    summary = {**totals, "missing_rates": missing}
    digest = sha256_of({"period": period, "currency": settings.REPORTING_CURRENCY, "lines": payload})
    try:
        with transaction.atomic():
            snapshot = AgingSnapshot.objects.create(
                period=period, previous_period=selectors.previous_month_end(period),
                currency=settings.REPORTING_CURRENCY, totals=jsonable(summary), total_gross=totals["gross"],
                customer_count=sum(1 for r in payload if r["gross"] > 0), sha256=digest, taken_by=actor)
            AgingSnapshotLine.objects.bulk_create(
                [AgingSnapshotLine(snapshot=snapshot, **row) for row in payload], batch_size=2000)
            snapshot.segment_totals = selectors.snapshot_segment_totals(snapshot.pk)
            AgingSnapshot.objects.filter(pk=snapshot.pk).update(segment_totals=snapshot.segment_totals)
            audit_record(actor=actor, action=Action.CREATE, obj=snapshot, verb="agingsnapshot_take",
                         after={"period": period, "sha256": digest, "customers": snapshot.customer_count,
                                "gross": totals["gross"]})
    except IntegrityError:  # taken at the same time by someone else
        return AgingSnapshot.objects.get(period=period)
    return snapshot


def snapshot_digest(snapshot: AgingSnapshot) -> str:
    """The SHA-256 of a snapshot's stored lines (what ``snapshot_take`` records and ``snapshot_verify`` checks)."""
    fields = ["customer_id", *selectors.BUCKETS, *selectors.SPLIT_BANDS, "gross", "written_off", "recovered",
              "new_loss", "industry_section", "letter", "tier"]
    lines = [dict(zip(fields, values)) for values in
             snapshot.lines.order_by("customer_id").values_list(*fields).iterator(chunk_size=5000)]
    return sha256_of({"period": snapshot.period, "currency": snapshot.currency, "lines": lines})


def snapshot_verify(snapshot: AgingSnapshot) -> bool:
    """True when the stored lines still hash to the snapshot's SHA-256."""
    return snapshot_digest(snapshot) == snapshot.sha256


def snapshots_take_back(*, actor, months: int, until: dt.date | None = None) -> list[AgingSnapshot]:
    """The snapshots of the last ``months`` ended months (oldest first), skipping months without data."""
    until = until or selectors.previous_month_end(clock.today())
    taken = []
    for period in selectors.month_ends_back(until, months):
        if not selectors.has_invoices_by(period):
            continue
        taken.append(snapshot_take(actor=actor, period=period))
    return taken


# --- scenarios (four-eyes through ``proposals``) ---------------------------------------------------

SCENARIO_KEY = "scenarios"


def _set_values(item: ScenarioSet | None) -> dict:
    """What a proposal records as in force (``previous``) and ``apply`` compares: {id, name, scenarios}."""
    return {"id": item.pk, "name": item.name, "scenarios": item.scenarios} if item is not None else {}


def scenario_set_propose(*, actor, name: str, scenarios: list[dict], reason: str) -> ScenarioChange:
    """Propose forward-looking scenarios (weights in percent summing to 100, factors ≥ 0, a reason). Nothing
    applies until another risk administrator approves the proposal (``scenario_set_approve``); bad input is
    refused with the reason and nothing is saved."""
    access.require(actor, "provisions.add_scenarioset")
    errors = {}
    if not (name or "").strip():
        errors["name"] = _("Enter a name.")
    if not (reason or "").strip():
        errors["reason"] = _("Say why (the source of the forecast).")
    if errors:
        raise ValidationFailed(next(iter(errors.values())), field_errors=errors)
    try:
        clean = rules.check_scenarios(scenarios, selectors.BUCKETS)
    except rules.RuleError as error:
        raise _rule_error(error) from None
    with transaction.atomic():
        current = ScenarioSet.objects.select_for_update().filter(state=ScenarioState.ACTIVE).first()
        return proposals.change_propose(
            actor=actor, model=ScenarioChange, key=SCENARIO_KEY, previous=jsonable(_set_values(current)),
            values=jsonable({"name": name.strip()[:100], "reason": reason.strip(), "scenarios": clean}))


def _apply_scenario_change(actor, change) -> ScenarioSet:
    """Put approved scenarios in force (called by ``proposals.services.change_approve`` in its transaction):
    the set in force is retired, a new set is created from the proposal. Refused when the set in force is no
    longer the one the proposal replaced."""
    current = ScenarioSet.objects.select_for_update().filter(state=ScenarioState.ACTIVE).first()
    if jsonable(_set_values(current)) != change.previous:
        raise Conflict(_("The scenarios in force changed after this proposal was made; propose again."))
    if current is not None:
        current.retire()
        current.decided_at = current.decided_at or timezone.now()
        current.save()
        audit_record(actor=actor, action=Action.TRANSITION, obj=current, verb="scenarioset_retire",
                     after={"state": current.state, "replaced_by_change": change.pk})
    item = ScenarioSet.objects.create(
        name=change.values["name"][:100], scenarios=change.values["scenarios"], reason=change.values["reason"],
        change=change, proposed_by_id=change.proposed_by_id, proposed_at=change.proposed_at, decided_by=actor,
        decided_at=timezone.now())
    audit_record(actor=actor, action=Action.CREATE, obj=item, verb="scenarioset_in_force",
                 after={"scenarios": item.scenarios, "reason": item.reason, "change": change.pk})
    return item


def _scenario_text(values: dict) -> str:
    return "; ".join(f"{s['name']}: {s['weight']}% × {s['factor']}"
                     + (" (" + ", ".join(f"{selectors.bucket_label(b)} × {f}"
                                         for b, f in (s.get("bucket_factors") or {}).items()) + ")"
                        if s.get("bucket_factors") else "")
                     for s in values.get("scenarios") or [])


def _scenario_change_rows(change) -> list[dict]:
    before = change.previous or {}
    return [
        {"field": "name", "label": _("Name"), "before": before.get("name"), "after": change.values.get("name")},
        {"field": "scenarios", "label": _("Scenarios (weight × factor)"),
         "before": _scenario_text(before) if before else None, "after": _scenario_text(change.values)},
        {"field": "reason", "label": _("Reason"), "before": None, "after": change.values.get("reason")},
    ]


proposals_registry.register(proposals_registry.ChangeKind(
    slug=ScenarioChange.change_slug, model=ScenarioChange, apply=_apply_scenario_change,
    permission="provisions.approve_scenarioset", propose_permission="provisions.add_scenarioset",
    title=lambda change: _("Forward-looking scenarios %(name)s") % {"name": change.values.get("name", "")},
    rows=_scenario_change_rows, list_url="provisions:scenario_list",
    detail_url=lambda change: reverse("provisions:scenario_change_detail", args=[change.pk]),
    messages={"open": gettext_lazy("Forward-looking scenarios are already waiting for approval: approve, reject "
                                   "or withdraw them first.")}))


def scenario_set_approve(*, actor, change: ScenarioChange, note: str = "") -> ScenarioSet:
    """Another risk administrator puts the proposed scenarios in force (four-eyes); returns the set in force."""
    return proposals.change_approve(actor=actor, change=change, note=note)


def scenario_set_reject(*, actor, change: ScenarioChange, note: str = "") -> ScenarioChange:
    return proposals.change_reject(actor=actor, change=change, note=note)


def scenario_set_withdraw(*, actor, change: ScenarioChange, note: str = "") -> ScenarioChange:
    return proposals.change_withdraw(actor=actor, change=change, note=note)


# --- impaired assessments -------------------------------------------------------------------------

def _snapshot_of(period) -> AgingSnapshot:
    snapshot = AgingSnapshot.objects.filter(period=period).first()
    if snapshot is None:
        raise ValidationFailed(_("There is no aging snapshot for %(month)s: take it first.")
                               % {"month": f"{period:%Y-%m}"},
                               field_errors={"period": _("No snapshot for this month.")})
    return snapshot


@transaction.atomic
def impaired_assess(*, actor, customer, period: dt.date, reason: str, evidence: str = "",
                    collateral_value=ZERO, collateral_haircut=ZERO, guarantees=ZERO,
                    insurance_cover=ZERO, evidence_files=()) -> ImpairedAssessment:
    """Assess one credit-impaired customer for a month end (or flag one by hand): ECL = exposure − expected
    recoveries. Entered again for the same month, the assessment is replaced (audited before/after), unless
    the month is locked. ``evidence_files`` (uploads) are attached in the same transaction (``evidence_upload``):
    a refused file saves nothing."""
    access.require(actor, "provisions.assess_impaired")
    require_visible(actor, customer)
    if not (reason or "").strip():
        raise ValidationFailed(_("Say why the customer is credit-impaired and how the recoveries were estimated."),
                               field_errors={"reason": _("Enter the reason.")})
    if not isinstance(period, dt.date):
        raise ValidationFailed(_("Enter a month end."), field_errors={"period": _("Enter a month end.")})
    period = selectors.month_end(period)
    snapshot = _snapshot_of(period)
    if selectors.locked_run(period) is not None:
        raise Conflict(_("The ECL of %(month)s is locked: an assessment for it is entered with a correction run.")
                       % {"month": f"{period:%Y-%m}"})
    line = snapshot.lines.filter(customer_id=customer.pk).first()
    exposure = line.gross if line else ZERO
    try:
        values = {k: rules.as_decimal(v, k) for k, v in (("collateral_value", collateral_value),
                                                          ("collateral_haircut", collateral_haircut),
                                                          ("guarantees", guarantees),
                                                          ("insurance_cover", insurance_cover))}
        recoveries = rules.expected_recoveries(collateral=values["collateral_value"],
                                               haircut=values["collateral_haircut"],
                                               guarantees=values["guarantees"], insurance=values["insurance_cover"])
    except rules.RuleError as error:
        raise _rule_error(error) from None
    ecl = rules.individual_ecl(exposure, recoveries)
    existing = ImpairedAssessment.objects.select_for_update().filter(customer=customer, period=period).first()
    before = _assessment_dict(existing) if existing else None
    item = existing or ImpairedAssessment(customer=customer, period=period)
    item.exposure, item.expected_recoveries, item.ecl = exposure, recoveries, ecl
    for key, value in values.items():
        setattr(item, key, value)
    item.reason, item.evidence, item.created_by = reason.strip(), (evidence or "").strip()[:300], actor
    item.save()
    audit_record(actor=actor, action=Action.UPDATE if existing else Action.CREATE, obj=item,
                 verb="impaired_assess", before=before, after=_assessment_dict(item))
    for uploaded_file in evidence_files or ():
        evidence_upload(actor=actor, assessment=item, uploaded_file=uploaded_file)
    return item


def _assessment_dict(item) -> dict:
    return jsonable({"exposure": item.exposure, "collateral_value": item.collateral_value,
                     "collateral_haircut": item.collateral_haircut, "guarantees": item.guarantees,
                     "insurance_cover": item.insurance_cover, "expected_recoveries": item.expected_recoveries,
                     "ecl": item.ecl, "reason": item.reason, "evidence": item.evidence})


def evidence_upload(*, actor, assessment: ImpairedAssessment, uploaded_file, title: str = "") -> AssessmentEvidence:
    """Attach a file to an impaired assessment (valuation report, insolvency notice, guarantee letter...): its
    name, type, size and content are checked as for the customer documents, it is stored under a server-chosen
    name, hashed and audited. Refused for a locked month (the assessment is then final)."""
    # the customer documents' checks and storage (one home for upload validation)
    from customers.services.documents import _check_upload, _delete_file_unless_committed

    access.require(actor, "provisions.assess_impaired")
    require_visible(actor, assessment.customer)
    if selectors.locked_run(assessment.period) is not None:
        raise Conflict(_("The ECL of %(month)s is locked: its assessments take no more evidence.")
                       % {"month": f"{assessment.period:%Y-%m}"})
    name, _extension, content_type = _check_upload(uploaded_file)
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    evidence = AssessmentEvidence(assessment=assessment, customer_id=assessment.customer_id,
                                  title=(title or "").strip()[:200], original_name=name, content_type=content_type,
                                  size=uploaded_file.size, sha256=digest.hexdigest(), uploaded_by=actor)
    with transaction.atomic():
        evidence.file.save(name, uploaded_file, save=False)
        _delete_file_unless_committed(evidence.file.storage, evidence.file.name)
        evidence.save()
        audit_record(actor=actor, action=Action.UPLOAD, obj=evidence, verb="impaired_evidence_upload",
                     after={"assessment": assessment.pk, "customer": assessment.customer_id, "file": name,
                            "size": evidence.size, "sha256": evidence.sha256, "title": evidence.title})
    return evidence


def evidence_open(*, actor, evidence: AssessmentEvidence):
    """Open an evidence file for download after checking the actor may see impaired assessments and the
    customer; the download is audited."""
    access.require(actor, "provisions.view_impairedassessment")
    if not AssessmentEvidence.objects.visible_to(actor).filter(pk=evidence.pk).exists():
        raise NotAllowed(_("This customer is not in your portfolio."))
    with transaction.atomic():
        audit_record(actor=actor, action=Action.DOWNLOAD, obj=evidence, verb="impaired_evidence_download",
                     after={"file": evidence.original_name, "sha256": evidence.sha256})
    return evidence.file.open("rb")


# --- the ECL run ----------------------------------------------------------------------------------

def _segment_rates(period, *, lookback, averaging, segment_by, min_history, scenarios, override) -> dict:
    """Loss rates of the book and of each segment (fallback to the book below the history threshold)."""
    chain_snaps = selectors.consecutive_snapshots(period)
    available = max(len(chain_snaps) - 1, 0)
    if lookback > available:
        message = (_("The look-back of %(lookback)s months is longer than the history: %(available)s monthly "
                     "rolls of consecutive month-end snapshots end at %(month)s.")
                   % {"lookback": lookback, "available": available, "month": f"{period:%Y-%m}"})
        raise ValidationFailed(message, field_errors={"lookback": message})
    used = chain_snaps[-(lookback + 1):]
    periods = [s.period for s in used]
    history = selectors.bucket_history([s.pk for s in used], segment_by)
    result = {}
    for segment, months in sorted(history.items()):
        try:
            hist = rules.historical_rates(selectors.months_of(months, periods), selectors.CHAIN, lookback=lookback,
                                          method=averaging)
        except rules.RuleError as error:
            raise _rule_error(error) from None
        historical = _bucket_rates(hist["loss_rates"], months.get(period, {}))
        fallback = segment != "book" and hist["observations"] < min_history
        result[segment] = {"roll_rates": hist["roll_rates"], "band_rates": hist["loss_rates"],
                           "historical": historical, "observations": hist["observations"], "fallback": fallback}
    book = result.setdefault("book", {"roll_rates": {}, "band_rates": {},
                                      "historical": {**{b: ZERO for b in selectors.BUCKETS},
                                                     selectors.LOSS_BUCKET: rules.ONE},
                                      "observations": 0, "fallback": False})
    for segment, data in result.items():
        base = book if data["fallback"] else data
        adjusted = rules.adjusted_rates(base["historical"], scenarios)
        data["adjusted"] = adjusted
        data["used"] = {b: override.get(b, adjusted[b]) for b in selectors.BUCKETS}
    return {"segments": result, "periods": periods}


def _bucket_rates(band_rates: dict, balances: dict) -> dict:
    return rules.bucket_rates(band_rates, balances, selectors.BANDS_OF, selectors.LOSS_BUCKET)


def _run_params_check(lookback, averaging, segment_by, min_history, override, override_reason):
    errors = {}
    if averaging not in rules.AVERAGING:
        errors["averaging"] = _("Choose simple or amount-weighted.")
    if segment_by not in ("book", "industry", "grade"):
        errors["segment_by"] = _("Choose the whole book, industry or letter grade.")
    if not isinstance(lookback, int) or lookback < 1:
        errors["lookback"] = _("The look-back is at least one month.")
    if not isinstance(min_history, int) or min_history < 0:
        errors["min_history"] = _("Enter a number of months.")
    if override and not (override_reason or "").strip():
        errors["override_reason"] = _("Say why the matrix is overridden.")
    if errors:
        raise ValidationFailed(next(iter(errors.values())), field_errors=errors)
    try:
        return rules.check_override(override or {}, selectors.BUCKETS)
    except rules.RuleError as error:
        raise _rule_error(error) from None


def ecl_run_propose(*, actor, period: dt.date, lookback: int = 24, averaging: str = "simple",
                    segment_by: str = "book", min_history: int = 12, override: dict | None = None,
                    override_reason: str = "", corrects: EclRun | None = None, correction_reason: str = "") -> EclRun:
    """Compute and propose the ECL of a month end. A locked month is never recomputed: a run for it is
    refused unless it is a correction that names the locked run and says why (a new run; the locked one
    stays as it is). One open (proposed or approved) run per month."""
    access.require(actor, "provisions.propose_eclrun")
    if not isinstance(period, dt.date):
        raise ValidationFailed(_("Enter a month end."), field_errors={"period": _("Enter a month end.")})
    period = selectors.month_end(period)
    override = _run_params_check(lookback, averaging, segment_by, min_history, override, override_reason)
    snapshot = _snapshot_of(period)
    with transaction.atomic():
        locked = (EclRun.objects.select_for_update().filter(period=period, state=RunState.LOCKED)
                  .order_by("-id").first())
        if locked is not None:
            if corrects is None:
                raise Conflict(_("The ECL of %(month)s is locked and is never recomputed. A correction is a new run "
                                 "that names the locked run and says why.") % {"month": f"{period:%Y-%m}"})
            if corrects.pk != locked.pk:
                raise Conflict(_("A correction names the newest locked run of the month."))
            if not (correction_reason or "").strip():
                raise ValidationFailed(_("Say why the locked run is corrected."),
                                       field_errors={"correction_reason": _("Enter the reason.")})
        elif corrects is not None:
            raise ValidationFailed(_("Only a locked run is corrected; this month has none."),
                                   field_errors={"corrects": _("The month has no locked run.")})
        if EclRun.objects.filter(period=period, state__in=[RunState.PROPOSED, RunState.APPROVED]).exists():
            raise Conflict(_("An ECL run of %(month)s is already open: approve, lock or reject it first.")
                           % {"month": f"{period:%Y-%m}"})
        scenario_set = selectors.active_scenarios()
        scenarios = scenario_set.scenarios if scenario_set else []
        computed = _compute(period, snapshot, lookback=lookback, averaging=averaging, segment_by=segment_by,
                            min_history=min_history, scenarios=scenarios, override=override)
        run = EclRun(period=period, snapshot=snapshot, currency=snapshot.currency, lookback=lookback,
                     averaging=averaging, segment_by=segment_by, min_history=min_history, scenario_set=scenario_set,
                     scenarios=scenarios, override=jsonable(override), override_reason=(override_reason or "").strip(),
                     corrects=corrects, correction_reason=(correction_reason or "").strip(), proposed_by=actor,
                     **computed["fields"])
        run.sha256 = sha256_of({"period": period, "snapshot": snapshot.sha256, "rates": run.rates,
                                "matrix": run.matrix, "movement": run.movement, "lines": computed["digest_lines"]})
        try:
            with transaction.atomic():
                run.save()
        except IntegrityError:
            raise Conflict(_("An ECL run of %(month)s is already open: approve, lock or reject it first.")
                           % {"month": f"{period:%Y-%m}"}) from None
        _write_lines(run.pk, computed["lines"])
        audit_record(actor=actor, action=Action.CREATE, obj=run, verb="eclrun_propose",
                     after={"period": period, "total_allowance": run.total_allowance, "sha256": run.sha256,
                            "corrects": corrects.pk if corrects else None,
                            "correction_reason": run.correction_reason, "override": run.override})
    return run


LINE_COLUMNS = ["customer_id", "segment", "bucket", "gross", "rate", "allowance", "impaired"]


def _write_lines(run_id: int, lines: list[tuple]) -> None:
    """Write a run's lines ((customer, segment, bucket, gross, rate, allowance, impaired) tuples) in one COPY on
    PostgreSQL (a full-portfolio run has some 200k lines: ``bulk_create`` spent most of the run building
    objects and INSERT statements), ``bulk_create`` elsewhere."""
    if connection.vendor == "postgresql":
        columns = ", ".join(["run_id", *LINE_COLUMNS])
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {EclLine._meta.db_table} ({columns}) FROM STDIN") as copy:
                for line in lines:
                    copy.write_row((run_id, *line))
        return
    EclLine.objects.bulk_create([EclLine(run_id=run_id, **dict(zip(LINE_COLUMNS, line))) for line in lines],
                                batch_size=2000)


def _compute(period, snapshot, *, lookback, averaging, segment_by, min_history, scenarios, override) -> dict:
    rates = _segment_rates(period, lookback=lookback, averaging=averaging, segment_by=segment_by,
                           min_history=min_history, scenarios=scenarios, override=override)
    segments = rates["segments"]
    assessments = {a.customer_id: a for a in ImpairedAssessment.objects.filter(period=period)}
    fields = ["customer_id", "industry_section", "letter", "tier", *selectors.BUCKETS, "gross", "written_off",
              "recovered"]
    lines, digest_lines = [], []
    current, written_off, recovered = {}, {}, {}
    gross_by_bucket = {b: ZERO for b in selectors.BUCKETS}
    allowance_by_bucket = {b: ZERO for b in selectors.BUCKETS}
    individual = {"gross": ZERO, "allowance": ZERO, "customers": 0, "unassessed": 0}
    by_segment: dict[str, dict] = {}
    for values in snapshot.lines.order_by("customer_id").values_list(*fields).iterator(chunk_size=2000):
        row = dict(zip(fields, values))
        cid = row["customer_id"]
        written_off[cid], recovered[cid] = row["written_off"], row["recovered"]
        if row["gross"] <= 0:
            continue
        segment = selectors.segment_key(row, segment_by)
        seg = segments.get(segment) or segments["book"]
        total = by_segment.setdefault(segment, {"gross": ZERO, "allowance": ZERO})
        impaired = (row["letter"] == selectors.IMPAIRED_LETTER or row["tier"] in selectors.IMPAIRED_TIERS
                    or cid in assessments)
        if impaired:
            assessment = assessments.get(cid)
            ecl = rules.individual_ecl(row["gross"], assessment.expected_recoveries) if assessment else row["gross"]
            line_rate = rules.rate(ecl / row["gross"])
            lines.append((cid, segment, selectors.INDIVIDUAL, row["gross"], line_rate, ecl, True))
            digest_lines.append([cid, selectors.INDIVIDUAL, row["gross"], ecl])
            individual["gross"] += row["gross"]
            individual["allowance"] += ecl
            individual["customers"] += 1
            individual["unassessed"] += 0 if assessment else 1
            current[cid] = (row["gross"], ecl)
            total["gross"] += row["gross"]
            total["allowance"] += ecl
            continue
        customer_allowance = ZERO
        for bucket in selectors.BUCKETS:
            gross = row[bucket]
            if gross <= 0:
                continue
            bucket_rate = Decimal(seg["used"][bucket])
            amount = rules.allowance(gross, bucket_rate)
            lines.append((cid, segment, bucket, gross, bucket_rate, amount, False))
            digest_lines.append([cid, bucket, gross, amount])
            gross_by_bucket[bucket] += gross
            allowance_by_bucket[bucket] += amount
            customer_allowance += amount
        current[cid] = (row["gross"], customer_allowance)
        total["gross"] += row["gross"]
        total["allowance"] += customer_allowance
    matrix_rows = []
    for bucket in selectors.BUCKETS:
        gross, amount = gross_by_bucket[bucket], allowance_by_bucket[bucket]
        if segment_by == "book":
            shown = segments["book"]["used"][bucket]
        else:
            shown = rules.rate(amount / gross) if gross else ZERO
        matrix_rows.append({"bucket": bucket, "gross": gross, "rate": shown, "allowance": amount})
    matrix_gross = sum(gross_by_bucket.values(), ZERO)
    matrix_allowance = sum(allowance_by_bucket.values(), ZERO)
    if individual["customers"]:
        matrix_rows.append({"bucket": selectors.INDIVIDUAL, "gross": individual["gross"],
                            "rate": rules.rate(individual["allowance"] / individual["gross"]),
                            "allowance": individual["allowance"]})
    total_gross = matrix_gross + individual["gross"]
    total_allowance = matrix_allowance + individual["allowance"]
    matrix = {"rows": matrix_rows,
              "total": {"gross": total_gross, "allowance": total_allowance,
                        "rate": rules.rate(total_allowance / total_gross) if total_gross else ZERO},
              "matrix": {"gross": matrix_gross, "allowance": matrix_allowance},
              "individual": individual,
              "segments": [{"segment": k, **v} for k, v in sorted(by_segment.items())]}
    movement = _movement(period, current, written_off, recovered)
    comparison = _comparison(period, current, total_allowance)
    rates_json = {"periods": rates["periods"], "segments": segments}
    return {"lines": lines, "digest_lines": digest_lines,
            "fields": {"rates": jsonable(rates_json), "matrix": jsonable(matrix), "movement": jsonable(movement),
                       "comparison": jsonable(comparison), "total_gross": total_gross,
                       "matrix_allowance": matrix_allowance, "individual_allowance": individual["allowance"],
                       "total_allowance": total_allowance}}


def _movement(period, current, written_off, recovered) -> dict:
    previous_run = selectors.current_run(selectors.previous_month_end(period))
    previous = {}
    if previous_run is not None:
        for cid, gross, amount in (EclLine.objects.filter(run=previous_run).order_by().values("customer_id")
                                   .annotate(g=_sum("gross"), a=_sum("allowance")).values_list("customer_id", "g", "a")):
            previous[cid] = (gross, amount)
    table = rules.movement(previous, current, written_off, recovered)
    table["previous_run"] = previous_run.pk if previous_run else None
    return table


def _sum(field):
    from django.db.models import Sum

    return Sum(field)


def _comparison(period, current, total_allowance) -> dict:
    """Beside the five-tier provisions of the same month end: totals, by tier, and the difference."""
    five = selectors.five_tier_of(period)
    if five["run"] is None:
        return {"provision_run": None, "five_tier": None, "ecl": total_allowance, "difference": None, "tiers": []}
    tiers: dict[str, dict] = {}
    for cid, (tier, amount) in five["customers"].items():
        row = tiers.setdefault(tier, {"tier": tier, "five_tier": ZERO, "ecl": ZERO})
        row["five_tier"] += amount
        row["ecl"] += current.get(cid, (ZERO, ZERO))[1]
    outside = sum((amount for cid, (_g, amount) in current.items() if cid not in five["customers"]), ZERO)
    if outside:
        tiers.setdefault("", {"tier": "", "five_tier": ZERO, "ecl": ZERO})["ecl"] += outside
    rows = []
    for row in tiers.values():
        row["difference"] = row["ecl"] - row["five_tier"]
        rows.append(row)
    order = ["normal", "special_mention", "substandard", "doubtful", "loss", ""]
    rows.sort(key=lambda r: order.index(r["tier"]) if r["tier"] in order else 99)
    return {"provision_run": five["run"].pk, "five_tier": five["total"], "ecl": total_allowance,
            "difference": total_allowance - five["total"], "tiers": rows}


def _locked_run_row(run) -> EclRun:
    return EclRun.objects.select_for_update().get(pk=run.pk)


@transaction.atomic
def ecl_run_approve(*, actor, run: EclRun, note: str = "") -> EclRun:
    """A second person approves a proposed run (four-eyes: never its proposer)."""
    access.require(actor, "provisions.approve_eclrun")
    locked = _locked_run_row(run)
    if locked.state != RunState.PROPOSED:
        raise Conflict(_("Only a proposed run can be approved."))
    access.require_other_person(actor, locked.proposed_by,
                                _("Four-eyes rule: the person who proposed the run cannot approve it."))
    locked.approve()
    locked.approved_by, locked.approved_at, locked.decision_note = actor, timezone.now(), (note or "").strip()
    locked.save()
    audit_record(actor=actor, action=Action.TRANSITION, obj=locked, verb="eclrun_approve",
                 after={"state": locked.state, "note": locked.decision_note})
    return locked


@transaction.atomic
def ecl_run_reject(*, actor, run: EclRun, note: str = "") -> EclRun:
    access.require(actor, "provisions.approve_eclrun")
    locked = _locked_run_row(run)
    if locked.state != RunState.PROPOSED:
        raise Conflict(_("Only a proposed run can be rejected."))
    access.require_other_person(actor, locked.proposed_by,
                                _("Four-eyes rule: the person who proposed the run cannot reject it."))
    if not (note or "").strip():
        raise ValidationFailed(_("Say why the run is rejected."), field_errors={"note": _("Enter the reason.")})
    locked.reject()
    locked.decision_note = note.strip()
    locked.save()
    audit_record(actor=actor, action=Action.TRANSITION, obj=locked, verb="eclrun_reject",
                 after={"state": locked.state, "note": locked.decision_note})
    return locked


@transaction.atomic
def ecl_run_lock(*, actor, run: EclRun) -> EclRun:
    """Lock an approved run: the month's ECL is then final and never recomputed."""
    access.require(actor, "provisions.approve_eclrun")
    locked = _locked_run_row(run)
    if locked.state != RunState.APPROVED:
        raise Conflict(_("Only an approved run can be locked."))
    locked.lock()
    locked.locked_by, locked.locked_at = actor, timezone.now()
    locked.save()
    audit_record(actor=actor, action=Action.TRANSITION, obj=locked, verb="eclrun_lock",
                 after={"state": locked.state, "sha256": locked.sha256})
    return locked


def disclosure_downloaded(*, actor, run: EclRun, fmt: str, language: str) -> None:
    access.require(actor, "provisions.export_disclosure")
    audit_record(actor=actor, action=Action.DOWNLOAD, obj=run, verb=f"ecl_disclosure_{fmt}",
                 after={"format": fmt, "language": language})
