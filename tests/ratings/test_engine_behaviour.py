"""The three behaviour indicators: every boundary of the design brief's table and the combination rule."""
from decimal import Decimal

import pytest

from ratings.engine.behaviour import (BehaviourFacts, combine_letters, competitor_share_letter, days_late,
                                      days_late_letter, evaluate_behaviour, net_collection_letter,
                                      net_collection_rate)


@pytest.mark.parametrize("rate, letter", [
    ("1", "A"), ("1.00", "A"), ("1.02", "A"),
    ("0.9999", "B"), ("0.95", "B"),
    ("0.9499", "C"), ("0.90", "C"),
    ("0.8999", "D"), ("0", "D"), ("-0.1", "D"),
])
def test_net_collection_rate_boundaries(rate, letter):
    assert net_collection_letter(Decimal(rate)) == letter


@pytest.mark.parametrize("received, payouts, due, letter", [
    ("100000", "0", "100000", "A"),       # 100 %
    ("99990", "0", "100000", "B"),        # 99.99 %
    ("95000", "0", "100000", "B"),        # 95 %
    ("94990", "0", "100000", "C"),        # 94.99 %
    ("90000", "0", "100000", "C"),        # 90 %
    ("89990", "0", "100000", "D"),        # 89.99 %
    ("100000", "10", "100000", "B"),      # claim payouts reduce the net amount received
])
def test_net_collection_rate_from_amounts(received, payouts, due, letter):
    facts = BehaviourFacts(invoice_count=3, amount_due=Decimal(due), amount_received=Decimal(received),
                           claim_payouts=Decimal(payouts))
    assert net_collection_letter(net_collection_rate(facts)) == letter


@pytest.mark.parametrize("days, letter", [(-3, "A"), (0, "A"), (1, "B"), (4, "B"), (5, "C"), (9, "C"),
                                          (10, "D"), (45, "D")])
def test_days_late_boundaries(days, letter):
    assert days_late_letter(days) == letter


@pytest.mark.parametrize("numerator, denominator, expected", [
    ("0", "1000", 0),        # all on time or early
    ("400", "1000", 0),      # 0.4 → 0
    ("500", "1000", 1),      # 0.5 rounds half up → 1
    ("4490", "1000", 4),     # 4.49 → 4
    ("4500", "1000", 5),     # 4.5 → 5 (C)
    ("9490", "1000", 9),
    ("9500", "1000", 10),    # 9.5 → 10 (D)
])
def test_days_late_is_amount_weighted_and_rounded_half_up(numerator, denominator, expected):
    facts = BehaviourFacts(invoice_count=2, amount_due=Decimal("1000"), amount_received=Decimal("1000"),
                           days_late_numerator=Decimal(numerator), days_late_denominator=Decimal(denominator),
                           max_days_late=30)
    assert days_late(facts) == expected


@pytest.mark.parametrize("answer, letter", [("ours_only", "A"), ("ours_main", "B"), ("half", "C"),
                                            ("competitors_main", "D"), (None, None), ("", None)])
def test_competitor_share(answer, letter):
    assert competitor_share_letter(answer) == letter


@pytest.mark.parametrize("letters, result", [
    ("AAA", "A"), ("AAB", "A"), ("ABA", "A"), ("BAA", "A"),
    ("ABB", "B"), ("BBA", "B"), ("BBB", "B"),
    ("AAC", "C"), ("BBC", "C"), ("BCC", "C"), ("CCC", "C"), ("CAA", "C"),
    ("AAD", "D"), ("DAA", "D"), ("ADA", "D"), ("DDD", "D"), ("CCD", "D"), ("BBD", "D"),
])
def test_combination(letters, result):
    assert combine_letters(list(letters)) == result


def test_any_d_is_a_veto_whatever_the_others():
    for a in "ABCD":
        for b in "ABCD":
            assert combine_letters([a, b, "D"]) == "D"
            assert combine_letters(["D", a, b]) == "D"


def test_no_invoice_due_is_not_available():
    # The payment indicators are not available; the combination runs over the one letter that is (DESIGN §3).
    result = evaluate_behaviour(None, "ours_only")
    assert result.net_collection is None and result.days_late_grade is None
    assert result.result == "A"
    assert result.letters == "--A"
    empty = evaluate_behaviour(BehaviourFacts(invoice_count=0), None)
    assert empty.result is None and empty.letters == "---"
    assert evaluate_behaviour(None, "competitors_main").result == "D"
    assert evaluate_behaviour(None, "ours_main").result == "B"  # 1 of 1 is B


def test_evaluate_behaviour_reports_letters_result_and_max():
    facts = {"invoice_count": 4, "amount_due": "100000", "amount_received": "96000", "claim_payouts": "0",
             "days_late_numerator": "300000", "days_late_denominator": "96000", "max_days_late": 12}
    result = evaluate_behaviour(facts, "ours_main")
    assert result.letters == "BBB"  # 96 % → B; 3.125 → 3 days → B; ours main → B
    assert result.result == "B"
    assert result.days_late == 3 and result.max_days_late == 12
    assert result.as_dict()["net_collection_rate"] == "0.9600"
