"""The ECL arithmetic by hand-worked examples (``provisions.rules``, no database)."""
from decimal import Decimal as D

import pytest

from provisions import rules

CHAIN = ["current", "d1_30", "d31_60", rules.LOSS]
# Four month ends, three buckets (+ the month's flow into loss), worked by hand:
#   M1→M2: current 300/1000 = 0.30, 1–30 100/400 = 0.25, 31–60 → loss 50/200 = 0.25
#   M2→M3: current 360/1200 = 0.30, 1–30  90/300 = 0.30, 31–60 → loss 40/100 = 0.40
#   M3→M4: current 270/900  = 0.30, 1–30 144/360 = 0.40, 31–60 → loss 45/90  = 0.50
MONTHS = [
    {"current": D("1000"), "d1_30": D("400"), "d31_60": D("200")},
    {"current": D("1200"), "d1_30": D("300"), "d31_60": D("100"), rules.LOSS: D("50")},
    {"current": D("900"), "d1_30": D("360"), "d31_60": D("90"), rules.LOSS: D("40")},
    {"current": D("1100"), "d1_30": D("270"), "d31_60": D("144"), rules.LOSS: D("45")},
]


def test_roll_rates_simple_average_chained_to_loss_to_the_cent():
    result = rules.historical_rates(MONTHS, CHAIN, lookback=3, method="simple")
    # simple means: 0.30; (0.25+0.30+0.40)/3 = 0.316667; (0.25+0.40+0.50)/3 = 0.383333
    assert result["roll_rates"] == {"current": D("0.300000"), "d1_30": D("0.316667"), "d31_60": D("0.383333")}
    # loss rates: 31–60 = 0.383333; 1–30 = 0.316667 × 0.383333 = 0.121389; current = 0.30 × 0.121389 = 0.036417
    assert result["loss_rates"] == {"current": D("0.036417"), "d1_30": D("0.121389"), "d31_60": D("0.383333")}
    # allowance on the last month end: 1,100 × 3.6417% = 40.06; 270 × 12.1389% = 32.78; 144 × 38.3333% = 55.20
    table = rules.matrix_table(MONTHS[-1], result["loss_rates"], CHAIN[:-1])
    assert [row["allowance"] for row in table["rows"]] == [D("40.06"), D("32.78"), D("55.20")]
    assert table["allowance"] == D("128.04")
    assert table["gross"] == D("1514.00")


def test_roll_rates_amount_weighted():
    result = rules.historical_rates(MONTHS, CHAIN, lookback=3, method="weighted")
    # 930/3100 = 0.30; 334/1060 = 0.315094; 135/390 = 0.346154; chained 0.109071 and 0.032721
    assert result["roll_rates"] == {"current": D("0.300000"), "d1_30": D("0.315094"), "d31_60": D("0.346154")}
    assert result["loss_rates"] == {"current": D("0.032721"), "d1_30": D("0.109071"), "d31_60": D("0.346154")}
    table = rules.matrix_table(MONTHS[-1], result["loss_rates"], CHAIN[:-1])
    assert [row["allowance"] for row in table["rows"]] == [D("35.99"), D("29.45"), D("49.85")]


def test_lookback_uses_the_latest_months_only_and_refuses_more_than_the_history():
    last_two = rules.historical_rates(MONTHS, CHAIN, lookback=1)
    assert last_two["roll_rates"] == {"current": D("0.300000"), "d1_30": D("0.400000"), "d31_60": D("0.500000")}
    with pytest.raises(rules.RuleError) as error:
        rules.historical_rates(MONTHS, CHAIN, lookback=4)
    assert error.value.field == "lookback"


def test_roll_rate_capped_at_100_percent():
    months = [{"current": D("100")}, {"current": D("0"), "d1_30": D("250")}]
    result = rules.historical_rates(months, ["current", "d1_30", rules.LOSS], lookback=1)
    assert result["roll_rates"]["current"] == D("1.000000")


def test_scenarios_weighted_factor_and_cap():
    scenarios = rules.check_scenarios([
        {"name": "base", "weight": "60", "factor": "1.0"},
        {"name": "downside", "weight": "30", "factor": "1.5", "bucket_factors": {"d31_60": "3"}},
        {"name": "upside", "weight": "10", "factor": "0.8"},
    ], ["current", "d1_30", "d31_60"])
    # 0.6 × 1 + 0.3 × 1.5 + 0.1 × 0.8 = 1.13; for 31–60: 0.6 + 0.9 + 0.08 = 1.58
    assert rules.weighted_factor(scenarios, "current") == D("1.13")
    adjusted = rules.adjusted_rates({"current": D("0.036417"), "d1_30": D("0.9"), "d31_60": D("0.7")}, scenarios)
    assert adjusted == {"current": D("0.041151"), "d1_30": D("1.000000"), "d31_60": D("1.000000")}


@pytest.mark.parametrize("scenarios, field", [
    ([{"name": "a", "weight": "60", "factor": "1"}, {"name": "b", "weight": "30", "factor": "1"}], "weight"),
    ([{"name": "a", "weight": "100", "factor": "-0.1"}], "factor"),
    ([{"name": "a", "weight": "100", "factor": "1", "bucket_factors": {"current": "-1"}}], "factor"),
    ([], "scenarios"),
])
def test_bad_scenarios_refused(scenarios, field):
    with pytest.raises(rules.RuleError) as error:
        rules.check_scenarios(scenarios, ["current"])
    assert error.value.field == field


def test_published_matrix_example():
    buckets = ["current", "d1_30", "d31_60", "d61_90", "d91_180"]
    gross = dict(zip(buckets, [D("15000000"), D("7500000"), D("4000000"), D("2500000"), D("1000000")]))
    rates = rules.check_override(dict(zip(buckets, ["0.003", "0.016", "0.036", "0.066", "0.106"])), buckets)
    table = rules.matrix_table(gross, rates, buckets)
    assert [row["allowance"] for row in table["rows"]] == [D("45000.00"), D("120000.00"), D("144000.00"),
                                                          D("165000.00"), D("106000.00")]
    assert table["allowance"] == D("580000.00")


def test_individual_ecl():
    recoveries = rules.expected_recoveries(collateral=D("1000"), haircut=D("0.3"), guarantees=D("200"),
                                           insurance=D("100"))
    assert recoveries == D("1000.00")
    assert rules.individual_ecl(D("1500"), recoveries) == D("500.00")
    assert rules.individual_ecl(D("800"), recoveries) == D("0.00")
    with pytest.raises(rules.RuleError):
        rules.expected_recoveries(collateral=D("1"), haircut=D("1.5"))


def test_movement_adds_up_and_sorts_each_customer():
    previous = {1: (D("1000"), D("50")), 2: (D("500"), D("20")), 3: (D("300"), D("30"))}
    current = {1: (D("1200"), D("70")), 4: (D("800"), D("8")), 3: (D("100"), D("60"))}
    table = rules.movement(previous, current, written_off={3: D("200")}, recovered={5: D("15")})
    # 1 remeasured +20; 2 paid: −20 derecognised; 3 written off −30 (capped at its opening), then +60
    # remeasured; 4 new +8; 5 recovered +15 then derecognised −15
    assert table == {"opening": D("100.00"), "new": D("8.00"), "derecognised": D("-35.00"),
                     "written_off": D("-30.00"), "recovered": D("15.00"), "remeasured": D("80.00"),
                     "closing": D("138.00")}
    assert rules.movement_adds_up(table)
