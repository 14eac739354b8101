"""Snapshots, runs, impaired customers, movement, four-eyes and locking through the services."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied

from creditportal.core.errors import Conflict, ValidationFailed
from provisions import selectors, services
from provisions.models import AgingSnapshot, EclRun, Immutable, RunState, ScenarioChange, ScenarioSet

from .conftest import PUBLISHED_OVERRIDE

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """The messages checked below are the English ones (the portal's default language is Chinese)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def test_snapshot_rebuilds_the_past_month_end_from_invoices_and_payments(build, users, today):
    customer = build.customer()
    invoice = build.invoice(customer, "1000.00", issued=dt.date(2026, 1, 10), due=dt.date(2026, 2, 10))
    build.pay(invoice, "400.00", on=dt.date(2026, 3, 15))
    feb = services.snapshot_take(actor=users["riskadmin"], period=dt.date(2026, 2, 28))
    mar = services.snapshot_take(actor=users["riskadmin"], period=dt.date(2026, 3, 10))  # any day: its month end
    assert mar.period == dt.date(2026, 3, 31)
    feb_line, mar_line = feb.lines.get(), mar.lines.get()
    assert (feb_line.d1_30, feb_line.gross) == (D("1000.00"), D("1000.00"))    # 18 days past due
    assert (mar_line.d31_60, mar_line.gross) == (D("600.00"), D("600.00"))     # 49 days, 400 paid on 15 March
    assert feb.customer_count == 1 and feb.total_gross == D("1000.00")
    assert services.snapshot_verify(feb)


def test_snapshot_is_idempotent_immutable_and_refuses_bad_months(build, users, today):
    customer = build.customer()
    build.invoice(customer, "500.00", issued=dt.date(2026, 3, 1), due=dt.date(2026, 4, 1))
    first = services.snapshot_take(actor=users["riskadmin"], period=dt.date(2026, 4, 30))
    again = services.snapshot_take(actor=users["riskadmin"], period=dt.date(2026, 4, 30))
    assert again.pk == first.pk and AgingSnapshot.objects.count() == 1
    with pytest.raises(Immutable):
        first.save()
    with pytest.raises(Immutable):
        first.lines.get().save()
    with pytest.raises(ValidationFailed, match="not ended"):
        services.snapshot_take(actor=users["riskadmin"], period=dt.date(2026, 6, 30))
    with pytest.raises(ValidationFailed, match="no receivables"):
        services.snapshot_take(actor=users["riskadmin"], period=dt.date(2026, 1, 31))
    with pytest.raises(PermissionDenied):
        services.snapshot_take(actor=users["rm"], period=dt.date(2026, 5, 31))
    assert AgingSnapshot.objects.count() == 1


def test_task_and_command_take_the_last_month(build, users, today):
    from django.core.management import call_command

    from provisions.tasks import take_month_end_snapshot

    build.invoice(build.customer(), "100.00", issued=dt.date(2026, 2, 1), due=dt.date(2026, 3, 1))
    pk = take_month_end_snapshot()
    assert AgingSnapshot.objects.get(pk=pk).period == dt.date(2026, 5, 31)
    call_command("take_aging_snapshot", "--months", "5")
    assert sorted(AgingSnapshot.objects.values_list("period", flat=True)) == [
        dt.date(2026, 2, 28), dt.date(2026, 3, 31), dt.date(2026, 4, 30), dt.date(2026, 5, 31)]


def test_published_example_through_the_override_matrix(published, users):
    run = services.ecl_run_propose(actor=users["riskadmin"], period=published, lookback=1,
                                   override=PUBLISHED_OVERRIDE, override_reason="published example")
    rows = {row["bucket"]: row for row in run.matrix["rows"]}
    assert [D(rows[b]["allowance"]) for b in ["current", "d1_30", "d31_60", "d61_90", "d91_180"]] == [
        D("45000.00"), D("120000.00"), D("144000.00"), D("165000.00"), D("106000.00")]
    assert run.total_allowance == D("580000.00") and run.total_gross == D("30000000.00")
    assert D(rows["d31_60"]["rate"]) == D("0.036")
    assert run.state == RunState.PROPOSED and len(run.sha256) == 64


def test_bad_run_input_refused_and_nothing_saved(published, users):
    admin = users["riskadmin"]
    with pytest.raises(ValidationFailed, match="longer than the history"):
        services.ecl_run_propose(actor=admin, period=published, lookback=24)
    with pytest.raises(ValidationFailed, match="no aging snapshot"):
        services.ecl_run_propose(actor=admin, period=dt.date(2026, 3, 31), lookback=1)
    with pytest.raises(ValidationFailed):
        services.ecl_run_propose(actor=admin, period=published, lookback=1, override={"current": "0.5"})
    with pytest.raises(ValidationFailed):
        services.ecl_run_propose(actor=admin, period=published, lookback=1, override={"current": "1.5"},
                                 override_reason="x")
    with pytest.raises(ValidationFailed, match="100%"):
        services.scenario_set_propose(actor=admin, name="x", reason="r", scenarios=[
            {"name": "base", "weight": "50", "factor": "1"}, {"name": "down", "weight": "40", "factor": "1.2"}])
    with pytest.raises(ValidationFailed, match="negative"):
        services.scenario_set_propose(actor=admin, name="x", reason="r", scenarios=[
            {"name": "base", "weight": "100", "factor": "-1"}])
    assert not EclRun.objects.exists() and not ScenarioSet.objects.exists()
    assert not ScenarioChange.objects.exists()


def test_four_eyes_lock_and_correction(published, users):
    admin, admin2, approver = users["riskadmin"], users["riskadmin2"], users["approver1"]
    run = services.ecl_run_propose(actor=admin, period=published, lookback=1)
    with pytest.raises(PermissionDenied):
        services.ecl_run_approve(actor=admin, run=run)
    with pytest.raises(PermissionDenied):
        services.ecl_run_approve(actor=users["auditor"], run=run)
    with pytest.raises(Conflict):
        services.ecl_run_propose(actor=admin2, period=published, lookback=1)  # one open run per month
    with pytest.raises(Conflict):
        services.ecl_run_lock(actor=approver, run=run)                       # not approved yet
    run = services.ecl_run_approve(actor=approver, run=run)
    run = services.ecl_run_lock(actor=admin2, run=run)
    assert run.state == RunState.LOCKED
    with pytest.raises(Conflict, match="locked"):
        services.ecl_run_propose(actor=admin, period=published, lookback=1)
    with pytest.raises(ValidationFailed):
        services.ecl_run_propose(actor=admin, period=published, lookback=1, corrects=run)
    correction = services.ecl_run_propose(actor=admin, period=published, lookback=1, corrects=run,
                                          correction_reason="late credit note")
    run.refresh_from_db()
    assert run.state == RunState.LOCKED and correction.corrects == run
    assert correction.correction_reason == "late credit note"
    assert EclRun.objects.filter(period=published).count() == 2


def test_impaired_customers_leave_the_matrix(build, users, today):
    period = dt.date(2026, 5, 31)
    healthy, grade_d, by_hand = build.customer(), build.customer(), build.customer()
    for customer in (healthy, grade_d, by_hand):
        build.invoice(customer, "10000.00", issued=dt.date(2026, 3, 1), due=dt.date(2026, 5, 20))
    build.rating(grade_d, "D", approved_on=dt.date(2026, 5, 1))
    for month in (dt.date(2026, 4, 30), period):
        services.snapshot_take(actor=users["riskadmin"], period=month)
    assessment = services.impaired_assess(actor=users["riskadmin"], customer=by_hand, period=period,
                                          reason="安全 bankruptcy filing", evidence="court notice 12",
                                          collateral_value="5000", collateral_haircut="0.2", guarantees="1000")
    assert (assessment.exposure, assessment.expected_recoveries, assessment.ecl) == (
        D("10000.00"), D("5000.00"), D("5000.00"))
    run = services.ecl_run_propose(actor=users["riskadmin2"], period=period, lookback=1,
                                   override={"d1_30": "0.02"}, override_reason="test")
    lines = {(line.customer_id, line.bucket): line for line in run.lines.all()}
    assert lines[(healthy.pk, "d1_30")].allowance == D("200.00") and not lines[(healthy.pk, "d1_30")].impaired
    assert lines[(grade_d.pk, "individual")].allowance == D("10000.00")   # not assessed yet: all of it
    assert lines[(by_hand.pk, "individual")].allowance == D("5000.00")
    assert {c for c, b in lines if b == "d1_30"} == {healthy.pk}
    rows = {row["bucket"]: row for row in run.matrix["rows"]}
    assert D(rows["d1_30"]["gross"]) == D("10000.00")
    assert D(rows["individual"]["allowance"]) == D("15000.00")
    assert run.total_allowance == D("15200.00") and run.individual_allowance == D("15000.00")


def test_movement_table_adds_up_from_last_month(build, users, today):
    admin, approver = users["riskadmin"], users["approver1"]
    stays, paid, new = build.customer(), build.customer(), build.customer()
    build.invoice(stays, "1000.00", issued=dt.date(2026, 3, 1), due=dt.date(2026, 4, 20))
    paid_invoice = build.invoice(paid, "500.00", issued=dt.date(2026, 3, 1), due=dt.date(2026, 4, 25))
    build.pay(paid_invoice, "500.00", on=dt.date(2026, 5, 10))
    build.invoice(new, "2000.00", issued=dt.date(2026, 5, 5), due=dt.date(2026, 6, 5))
    for month in (dt.date(2026, 3, 31), dt.date(2026, 4, 30), dt.date(2026, 5, 31)):
        services.snapshot_take(actor=admin, period=month)
    override = {"current": "0.01", "d1_30": "0.05", "d31_60": "0.10"}
    april = services.ecl_run_propose(actor=admin, period=dt.date(2026, 4, 30), lookback=1, override=override,
                                     override_reason="test")
    services.ecl_run_lock(actor=approver, run=services.ecl_run_approve(actor=approver, run=april))
    may = services.ecl_run_propose(actor=admin, period=dt.date(2026, 5, 31), lookback=2, override=override,
                                   override_reason="test")
    movement = {k: D(v) for k, v in may.movement.items() if k != "previous_run"}
    # April: stays 1000 in 1–30 → 50; paid 500 in 1–30 → 25. May: stays in 31–60 → 100; new 2000 current → 20.
    assert movement == {"opening": D("75.00"), "new": D("20.00"), "derecognised": D("-25.00"),
                        "written_off": D("0.00"), "recovered": D("0.00"), "remeasured": D("50.00"),
                        "closing": D("120.00")}
    assert sum(v for k, v in movement.items() if k != "closing") == movement["closing"] == may.total_allowance
    assert may.movement["previous_run"] == april.pk


def test_scenarios_four_eyes_and_used_by_the_run(published, users):
    admin, admin2 = users["riskadmin"], users["riskadmin2"]
    item = services.scenario_set_propose(actor=admin, name="2026 H2", reason="PBoC outlook", scenarios=[
        {"name": "base", "weight": "70", "factor": "1"}, {"name": "downside", "weight": "30", "factor": "2"}])
    with pytest.raises(PermissionDenied):
        services.scenario_set_approve(actor=admin, change=item)
    item = services.scenario_set_approve(actor=admin2, change=item)  # the set now in force
    assert selectors.active_scenarios().pk == item.pk
    run = services.ecl_run_propose(actor=admin, period=published, lookback=1)
    # 0.7 × 1 + 0.3 × 2 = 1.3 on the historical rate; > 360 stays at 100%
    book = run.rates["segments"]["book"]
    assert D(book["adjusted"]["over_360"]) == D("1")
    assert run.scenario_set == item


def test_segments_fall_back_to_the_book_below_the_threshold(build, users, today):
    period = dt.date(2026, 5, 31)
    for industry in ("C", "F"):
        build.invoice(build.customer(industry=industry), "1000.00", issued=dt.date(2026, 3, 1),
                      due=dt.date(2026, 5, 20))
    for month in (dt.date(2026, 3, 31), dt.date(2026, 4, 30), period):
        services.snapshot_take(actor=users["riskadmin"], period=month)
    run = services.ecl_run_propose(actor=users["riskadmin"], period=period, lookback=2, segment_by="industry",
                                   min_history=5)
    segments = run.rates["segments"]
    assert segments["C"]["fallback"] and segments["F"]["fallback"]
    assert segments["C"]["used"] == segments["book"]["used"]
    with pytest.raises(Conflict):
        services.ecl_run_propose(actor=users["riskadmin"], period=period, lookback=2, segment_by="industry",
                                 min_history=1)


def test_wide_buckets_are_cut_into_monthly_bands_for_the_roll_chain(build, users, today):
    customer = build.customer()
    build.invoice(customer, "700.00", issued=dt.date(2025, 12, 1), due=dt.date(2026, 1, 30))   # 121 days
    build.invoice(customer, "300.00", issued=dt.date(2025, 6, 1), due=dt.date(2025, 7, 1))     # 334 days
    line = services.snapshot_take(actor=users["riskadmin"], period=dt.date(2026, 5, 31)).lines.get()
    assert (line.d91_180, line.d121_150, line.d91_120) == (D("700.00"), D("700.00"), D("0.00"))
    assert (line.d181_360, line.d331_360) == (D("300.00"), D("300.00"))
    assert selectors.CHAIN[:5] == ["current", "d1_30", "d31_60", "d61_90", "d91_120"]
    assert selectors.BANDS_OF["d181_360"][-1] == "d331_360" and len(selectors.CHAIN) == 14


def test_bucket_rate_is_the_balance_weighted_rate_of_its_bands():
    band_rates = {b: D("0") for b in selectors.BAND_KEYS}
    band_rates.update({"d91_120": D("0.3"), "d121_150": D("0.4"), "d151_180": D("0.5")})
    rates = services._bucket_rates(band_rates, {"d91_120": D("100"), "d121_150": D("300"), "d151_180": D("0")})
    assert rates["d91_180"] == D("0.375000")           # (100 × 0.3 + 300 × 0.4) / 400
    assert services._bucket_rates(band_rates, {})["d91_180"] == D("0.400000")   # no balance: the plain mean
    assert rates["over_360"] == D("1")


def test_beside_the_five_tier_provisions_of_the_same_month(published, users):
    from django.utils import timezone

    from monitoring.models import ProvisionLine, ProvisionRun
    from provisions.models import AgingSnapshotLine

    customers = list(AgingSnapshotLine.objects.filter(snapshot__period=published).values_list("customer_id",
                                                                                               flat=True))
    five = ProvisionRun.objects.create(period=published, currency="CNY", total_provision=D("400000.00"),
                                       run_by=users["riskadmin"], run_at=timezone.now())
    ProvisionLine.objects.create(run=five, customer_id=customers[0], tier="normal", exposure=D("15000000"),
                                 rate=D("0.01"), amount=D("150000.00"))
    ProvisionLine.objects.create(run=five, customer_id=customers[1], tier="special_mention", exposure=D("7500000"),
                                 rate=D("0.02"), amount=D("250000.00"))
    run = services.ecl_run_propose(actor=users["riskadmin"], period=published, lookback=1,
                                   override=PUBLISHED_OVERRIDE, override_reason="published example")
    comparison = run.comparison
    assert comparison["provision_run"] == five.pk
    assert D(comparison["five_tier"]) == D("400000.00") and D(comparison["difference"]) == D("180000.00")
    tiers = {row["tier"]: row for row in comparison["tiers"]}
    assert D(tiers["normal"]["ecl"]) == D("45000.00") and D(tiers["normal"]["difference"]) == D("-105000.00")
    assert D(tiers["special_mention"]["ecl"]) == D("120000.00")
    assert D(tiers[""]["ecl"]) == D("415000.00")      # customers without a five-tier line this month


def test_scenarios_on_the_one_four_eyes_mechanism(published, users, client_for):
    """Proposals of the ``proposals`` app: one open at a time, the proposer may withdraw but not decide, an
    approver (not a risk admin) may not decide, a stale proposal is refused, the home queue and decision page."""
    from django.urls import reverse

    from creditportal.core.errors import NotAllowed
    from proposals.services import change_withdraw

    admin, admin2 = users["riskadmin"], users["riskadmin2"]
    base = [{"name": "base", "weight": "100", "factor": "1.2"}]
    first = services.scenario_set_propose(actor=admin, name="A", reason="outlook", scenarios=base)
    assert first.state == "proposed" and selectors.active_scenarios() is None
    with pytest.raises(Conflict):  # one open proposal at a time
        services.scenario_set_propose(actor=admin2, name="B", reason="outlook", scenarios=base)
    with pytest.raises(NotAllowed):
        services.scenario_set_approve(actor=users["approver1"], change=first)
    with pytest.raises(NotAllowed):
        change_withdraw(actor=admin2, change=first)
    services.scenario_set_withdraw(actor=admin, change=first)
    second = services.scenario_set_propose(actor=admin, name="B", reason="outlook", scenarios=base)
    page = client_for(admin2).get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    detail = reverse("provisions:scenario_change_detail", args=[second.pk])
    assert detail in page
    page = client_for(admin).get(detail, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "you cannot approve what you proposed" in page and "base: 100% × 1.2" in page
    client = client_for(admin2)
    assert client.post(reverse("provisions:scenario_change_approve", args=[second.pk])).status_code == 302
    in_force = selectors.active_scenarios()
    assert in_force.change_id == second.pk and in_force.name == "B" and in_force.decided_by == admin2
    # a proposal made against the set in force before is stale once another one is approved
    third = services.scenario_set_propose(actor=admin, name="C", reason="outlook", scenarios=base)
    ScenarioChange.objects.filter(pk=third.pk).update(previous={})
    with pytest.raises(Conflict):
        services.scenario_set_approve(actor=admin2, change=ScenarioChange.objects.get(pk=third.pk))
    assert selectors.active_scenarios().pk == in_force.pk
    services.scenario_set_reject(actor=admin2, change=third, note="stale")
    fourth = services.scenario_set_propose(actor=admin, name="D", reason="outlook", scenarios=base)
    now = services.scenario_set_approve(actor=admin2, change=fourth)
    assert ScenarioSet.objects.get(pk=in_force.pk).state == "retired" and selectors.active_scenarios() == now


def test_migration_moves_open_and_rejected_sets_onto_proposals_and_keeps_the_set_in_force(users):
    from importlib import import_module

    from django.apps import apps

    admin = users["riskadmin"]
    rows = [{"name": "base", "weight": "100", "factor": "1.1", "bucket_factors": {}}]
    active = ScenarioSet.objects.create(name="in force", scenarios=rows, reason="r", state="active", proposed_by=admin,
                                        decided_by=users["riskadmin2"])
    retired = ScenarioSet.objects.create(name="old", scenarios=rows, reason="r", state="retired", proposed_by=admin)
    old_open = ScenarioSet.objects.create(name="open 1", scenarios=rows, reason="r", state="proposed", proposed_by=admin)
    new_open = ScenarioSet.objects.create(name="open 2", scenarios=rows, reason="r", state="proposed", proposed_by=admin)
    ScenarioSet.objects.create(name="no", scenarios=rows, reason="r", state="rejected", proposed_by=admin,
                               decided_by=users["riskadmin2"])
    import_module("provisions.migrations.0003_scenario_proposals_data").forwards(apps, None)
    assert set(ScenarioSet.objects.values_list("pk", "state")) == {(active.pk, "active"), (retired.pk, "retired")}
    changes = {c.values["name"]: c for c in ScenarioChange.objects.all()}
    assert {n: c.state for n, c in changes.items()} == {"open 1": "proposed", "open 2": "proposed", "no": "rejected"}
    assert changes["open 2"].key == "scenarios" and changes["open 1"].key == f"scenarios#{old_open.pk}"
    assert changes["open 2"].previous == {"id": active.pk, "name": "in force", "scenarios": rows}
    assert changes["no"].decided_by == users["riskadmin2"] and new_open.pk not in ScenarioSet.objects.values("pk")
    in_force = services.scenario_set_approve(actor=users["riskadmin2"], change=changes["open 2"])
    assert in_force.scenarios == rows and ScenarioSet.objects.get(pk=active.pk).state == "retired"


def test_runs_read_the_totals_each_snapshot_stored_and_agree_with_the_lines(build, users, today):
    """A snapshot stores its roll-rate inputs when taken (by band, book / industry / grade); a run reads them,
    and a snapshot without them (taken before they existed) is summed from its lines: same rates either way."""
    from provisions.models import AgingSnapshot

    for industry, letter in (("C", "A"), ("F", ""), ("C", "B")):
        customer = build.customer(industry=industry)
        if letter:
            build.rating(customer, letter, approved_on=dt.date(2026, 1, 5))
        build.invoice(customer, "1000.00", issued=dt.date(2026, 2, 1), due=dt.date(2026, 3, 10))
        build.invoice(customer, "500.00", issued=dt.date(2026, 3, 1), due=dt.date(2026, 5, 20))
    months = [dt.date(2026, 3, 31), dt.date(2026, 4, 30), dt.date(2026, 5, 31)]
    for month in months:
        services.snapshot_take(actor=users["riskadmin"], period=month)
    snapshot = AgingSnapshot.objects.get(period=months[-1])
    assert snapshot.segment_totals["industry"]["C"]["d1_30"] == "1000.00"
    assert snapshot.segment_totals["book"]["d1_30"] == "1500.00" and set(snapshot.segment_totals["grade"]) == {
        "A", "B", "-"}
    ids = list(AgingSnapshot.objects.values_list("pk", flat=True))
    stored = {by: selectors.bucket_history(ids, by) for by in ("book", "industry", "grade")}
    AgingSnapshot.objects.update(segment_totals={})
    summed = {by: selectors.bucket_history(ids, by) for by in ("book", "industry", "grade")}
    assert stored == summed
