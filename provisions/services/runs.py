"""The ECL run: propose (computed on the snapshot) → approve by another person → lock; disclosure downloads."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import audit_record
from creditportal.core import access
from creditportal.core.canonical import jsonable, sha256_of
from creditportal.core.errors import Conflict, ValidationFailed

from .. import rules, selectors
from ..models import EclLine, EclRun, ImpairedAssessment, RunState
from ._common import ZERO, Action, _rule_error, _snapshot_of


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


#: a decision's refusals: the run is no longer proposed; its proposer decides (four-eyes)
_DECISION_REFUSALS = {
    "approve": (gettext_lazy("Only a proposed run can be approved."),
                gettext_lazy("Four-eyes rule: the person who proposed the run cannot approve it.")),
    "reject": (gettext_lazy("Only a proposed run can be rejected."),
               gettext_lazy("Four-eyes rule: the person who proposed the run cannot reject it.")),
}


def _run_to_decide(actor, run, verb) -> EclRun:
    """The proposed run, locked, that ``actor`` (another person than its proposer) approves or rejects."""
    access.require(actor, "provisions.approve_eclrun")
    locked = _locked_run_row(run)
    not_proposed, own = _DECISION_REFUSALS[verb]
    if locked.state != RunState.PROPOSED:
        raise Conflict(str(not_proposed))
    access.require_other_person(actor, locked.proposed_by, str(own))
    return locked


def _decided(actor, locked, verb) -> EclRun:
    locked.save()
    audit_record(actor=actor, action=Action.TRANSITION, obj=locked, verb=f"eclrun_{verb}",
                 after={"state": locked.state, "note": locked.decision_note})
    return locked


@transaction.atomic
def ecl_run_approve(*, actor, run: EclRun, note: str = "") -> EclRun:
    """A second person approves a proposed run (four-eyes: never its proposer)."""
    locked = _run_to_decide(actor, run, "approve")
    locked.approve()
    locked.approved_by, locked.approved_at, locked.decision_note = actor, timezone.now(), (note or "").strip()
    return _decided(actor, locked, "approve")


@transaction.atomic
def ecl_run_reject(*, actor, run: EclRun, note: str = "") -> EclRun:
    locked = _run_to_decide(actor, run, "reject")
    if not (note or "").strip():
        raise ValidationFailed(_("Say why the run is rejected."), field_errors={"note": _("Enter the reason.")})
    locked.reject()
    locked.decision_note = note.strip()
    return _decided(actor, locked, "reject")


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
