"""The monitoring arithmetic on its own (no database)."""
from decimal import Decimal as D

import pytest

from monitoring import rules as L


@pytest.mark.parametrize("days,tier", [
    (None, L.NORMAL), (-5, L.NORMAL), (0, L.NORMAL), (1, L.SPECIAL_MENTION), (90, L.SPECIAL_MENTION),
    (91, L.SUBSTANDARD), (270, L.SUBSTANDARD), (271, L.DOUBTFUL), (360, L.DOUBTFUL), (361, L.LOSS),
])
def test_classification_floor(days, tier):
    assert L.floor_tier(days) == tier


def test_manual_tier_never_better_than_floor():
    assert L.check_manual_tier(L.DOUBTFUL, L.SUBSTANDARD)
    assert L.check_manual_tier(L.SUBSTANDARD, L.SUBSTANDARD)
    assert not L.check_manual_tier(L.SPECIAL_MENTION, L.SUBSTANDARD)
    with pytest.raises(ValueError):
        L.check_manual_tier("bogus", L.NORMAL)


def test_provisions_by_tier_default_and_configured_rates():
    exposures = {1: D("1000.00"), 2: D("200.00"), 3: D("333.33"), 4: D("50.00"), 5: D("10.00")}
    tiers = {1: L.NORMAL, 2: L.SPECIAL_MENTION, 3: L.SUBSTANDARD, 4: L.DOUBTFUL, 5: L.LOSS}
    lines = L.provision_lines(exposures, tiers)
    assert [line.amount for line in lines] == [D("10.00"), D("4.00"), D("83.33"), D("25.00"), D("10.00")]
    totals = L.totals_by_tier(lines)
    assert sum(t["provision"] for t in totals.values()) == D("132.33")
    assert totals[L.SUBSTANDARD]["count"] == 1
    custom = {**L.DEFAULT_PROVISION_RATES, L.NORMAL: D("0.015")}
    assert L.provision(D("1000"), L.NORMAL, custom) == D("15.00")
    assert L.provision(D("0.50"), L.NORMAL) == D("0.01")  # half up


def test_movement_by_tier():
    now = {L.NORMAL: {"count": 2, "exposure": D("100"), "provision": D("1")}}
    before = {L.NORMAL: {"count": 1, "exposure": D("40"), "provision": D("0.4")},
              L.LOSS: {"count": 1, "exposure": D("10"), "provision": D("10")}}
    rows = {r["tier"]: r for r in L.movement_by_tier(now, before)}
    assert rows[L.NORMAL]["change_exposure"] == D("60")
    assert rows[L.LOSS]["change_provision"] == D("-10")
    assert rows[L.DOUBTFUL]["change_exposure"] == 0


@pytest.mark.parametrize("value,cmp,threshold,fires", [
    (D("31"), ">", 30, True), (D("30"), ">", 30, False), (D("30"), ">=", 30, True),
    (D("0.19"), "<", D("0.2"), True), (D("0.2"), "<=", D("0.2"), True), (None, ">", 0, False),
    (D("1"), "=", 1, True), (D("1"), "!=", 1, False),
])
def test_comparison(value, cmp, threshold, fires):
    assert L.compare(value, cmp, threshold) is fires


def test_unknown_comparison():
    with pytest.raises(ValueError):
        L.compare(D("1"), "~", 1)


def test_relative_change():
    assert L.relative_change(D("1.2"), D("1.6")) == D("-0.2500")
    assert L.relative_change(D("1"), D("0")) is None
    assert L.relative_change(None, D("1")) is None


def test_z_score():
    assert L.z_score(D("100"), [D("100"), D("100"), D("100")]) == 0
    assert L.z_score(D("10"), [D("10")]) is None
    # mean 100, population sd 10 → 130 is 3 sd above
    assert L.z_score(D("130"), [D("90"), D("110"), D("90"), D("110")]) == D("3.0000")
    assert L.z_score(D("70"), [D("90"), D("110")]) == D("-3.0000")
    # flat history: measured against 10% of the mean
    assert L.z_score(D("150"), [D("100"), D("100")]) == D("5.0000")
    assert L.z_score(D("5"), [D("0"), D("0")]) is None
    current, history = L.volume_series({0: D("5"), 2: D("3")}, 3)
    assert current == D("5") and history == [0, D("3"), 0]


def test_migration_matrix():
    grades = ["A", "B", "C"]
    result = L.migration_matrix([("A", "A"), ("A", "B"), ("C", "B"), (None, "A"), ("B", None)], grades)
    cell = {(r["from"], c["to"]): c["count"] for r in result["rows"] for c in r["cells"]}
    assert cell[("A", "A")] == 1 and cell[("A", "B")] == 1 and cell[("C", "B")] == 1
    assert cell[("NR", "A")] == 1 and cell[("B", "NR")] == 1
    assert (result["upgrades"], result["downgrades"], result["unchanged"]) == (1, 1, 1)
    counted = L.migration_matrix([("A", "B", 3), ("B", "B", 2)], grades)
    assert (counted["downgrades"], counted["unchanged"]) == (3, 2)
    assert L.notches("A", "C", grades) == 2 and L.notches("C", "A", grades) == -2 and L.notches("X", "A", grades) is None
