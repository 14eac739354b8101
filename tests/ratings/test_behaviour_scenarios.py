"""The behaviour indicators against the brief's definitions (DESIGN §3, issue 19), case by case, each checked
against arithmetic done by hand in the comment beside it.

Unless a case says otherwise: rating date R = 2026-06-30, window 12 months, grace 30 days, so
E = R − 30 days = 2026-05-31 and the window holds the invoices due in (2025-05-31, 2026-05-31].
Days from 2026-03-01 to R: 121. Amounts in CNY; USD at 7.1.
"""
import datetime as dt
from decimal import Decimal

import pytest

from ratings.engine.behaviour import (behaviour_window, combine_letters, evaluate_behaviour, payment_facts)

from .fakes import claim as c
from .fakes import invoice as i

R = dt.date(2026, 6, 30)
RATES = {"CNY": Decimal("1"), "USD": Decimal("7.1")}

# (id, invoices, claims, expected rate (str, 4 places) or None, days or None, max days, letters NC+DL, options)
SCENARIOS = [
    # --- no history, window edges, grace -------------------------------------------------------------------
    ("no history", [], [], None, None, None, "--", {}),
    ("on time", [i(1, "2026-03-01", "1000", ("2026-03-01", "1000"))], [], "1.0000", 0, 0, "AA", {}),
    ("early", [i(1, "2026-03-01", "1000", ("2026-02-20", "1000"))], [], "1.0000", 0, 0, "AA", {}),
    ("due exactly 12 months before E: outside", [i(1, "2025-05-31", "1000")], [], None, None, None, "--", {}),
    ("first day inside the window", [i(1, "2025-06-01", "1000", ("2025-06-01", "1000"))], [],
     "1.0000", 0, 0, "AA", {}),
    ("due on E, unpaid: inside, 30 days", [i(1, "2026-05-31", "1000")], [], "0.0000", 30, 30, "DD", {}),
    ("due the day after E: in the grace, outside", [i(1, "2026-06-01", "1000")], [], None, None, None, "--", {}),
    ("5 days past due at the rating date (issue: BB → D): in the grace", [i(1, "2026-06-25", "1000")], [],
     None, None, None, "--", {}),
    ("good payer with an invoice in the grace", [i(1, "2026-03-01", "1000", ("2026-03-01", "1000")),
                                                 i(2, "2026-06-25", "500")], [], "1.0000", 0, 0, "AA", {}),
    # --- days late, rounding half up -----------------------------------------------------------------------
    ("1 day late", [i(1, "2026-03-01", "1000", ("2026-03-02", "1000"))], [], "1.0000", 1, 1, "AB", {}),
    ("4 days late", [i(1, "2026-03-01", "1000", ("2026-03-05", "1000"))], [], "1.0000", 4, 4, "AB", {}),
    ("5 days late", [i(1, "2026-03-01", "1000", ("2026-03-06", "1000"))], [], "1.0000", 5, 5, "AC", {}),
    ("9 days late", [i(1, "2026-03-01", "1000", ("2026-03-10", "1000"))], [], "1.0000", 9, 9, "AC", {}),
    ("10 days late", [i(1, "2026-03-01", "1000", ("2026-03-11", "1000"))], [], "1.0000", 10, 10, "AD", {}),
    # 500 × 9 / 1000 = 4.5 → 5
    ("mean 4.5 rounds up", [i(1, "2026-03-01", "500", ("2026-03-10", "500")),
                            i(2, "2026-03-01", "500", ("2026-03-01", "500"))], [], "1.0000", 5, 9, "AC", {}),
    # 449 × 10 / 1000 = 4.49 → 4
    ("mean 4.49 rounds down", [i(1, "2026-03-01", "449", ("2026-03-11", "449")),
                               i(2, "2026-03-01", "551", ("2026-03-01", "551"))], [], "1.0000", 4, 10, "AB", {}),
    # 50 × 10 / 1000 = 0.5 → 1
    ("mean 0.5 rounds up", [i(1, "2026-03-01", "50", ("2026-03-11", "50")),
                            i(2, "2026-03-01", "950", ("2026-03-01", "950"))], [], "1.0000", 1, 10, "AB", {}),
    # 49 × 10 / 1000 = 0.49 → 0
    ("mean 0.49 rounds down", [i(1, "2026-03-01", "49", ("2026-03-11", "49")),
                               i(2, "2026-03-01", "951", ("2026-03-01", "951"))], [], "1.0000", 0, 10, "AA", {}),
    # 400 early (0) + 600 × 7 = 4200 / 1000 = 4.2 → 4
    ("two payments on one invoice", [i(1, "2026-03-01", "1000", ("2026-02-25", "400"), ("2026-03-08", "600"))],
     [], "1.0000", 4, 7, "AB", {}),
    # --- unpaid and partial (issue item 2) -----------------------------------------------------------------
    ("nothing paid, 98 days overdue", [i(1, "2026-03-24", "1000")], [], "0.0000", 98, 98, "DD", {}),
    # 960 / 1000 = 0.96; 40 × 300 / 1000 = 12
    ("4 % unpaid for 300 days", [i(1, "2026-03-01", "960", ("2026-03-01", "960")), i(2, "2025-09-03", "40")],
     [], "0.9600", 12, 300, "BD", {}),
    # 100 × 60 / 1000 = 6
    ("10 % paid 60 days late", [i(1, "2026-01-01", "1000", ("2026-01-01", "900"), ("2026-03-02", "100"))], [],
     "1.0000", 6, 60, "AC", {}),
    # 900 / 1000 = 0.9; 100 × 121 / 1000 = 12.1 → 12
    ("partial: 10 % open", [i(1, "2026-03-01", "1000", ("2026-03-01", "900"))], [], "0.9000", 12, 121, "CD", {}),
    # 950 / 1000; 50 × 30 / 1000 = 1.5 → 2
    ("rate exactly 95 %", [i(1, "2026-03-01", "950", ("2026-03-01", "950")), i(2, "2026-05-31", "50")], [],
     "0.9500", 2, 30, "BB", {}),
    # 8999 / 10000; 1001 × 30 / 10000 = 3.003 → 3
    ("rate just under 90 %", [i(1, "2026-03-01", "8999", ("2026-03-01", "8999")), i(2, "2026-05-31", "1001")],
     [], "0.8999", 3, 30, "DB", {}),
    ("payment after the rating date counts as unpaid", [i(1, "2026-03-01", "1000", ("2026-07-02", "1000"))], [],
     "0.0000", 121, 121, "DD", {}),
    ("payment on the rating date", [i(1, "2026-03-01", "1000", ("2026-06-30", "1000"))], [],
     "1.0000", 121, 121, "AD", {}),
    # --- credit notes (issue item 3) -----------------------------------------------------------------------
    # due 1000 − 100 = 900, all paid on time
    ("credit note reduces the amount due", [i(1, "2026-03-01", "1000", ("2026-03-01", "900"))],
     [c(1, "2026-03-05", "100", "credit_note")], "1.0000", 0, 0, "AA", {}),
    ("fully credited invoice: nothing due", [i(1, "2026-03-01", "1000")], [c(1, "2026-03-05", "1000", "credit_note")],
     None, None, None, "--", {}),
    # the credit note of 2026-07-05 is not known on the rating date: 900 / 1000, 100 × 121 / 1000 → 12
    ("credit note after the rating date", [i(1, "2026-03-01", "1000", ("2026-03-01", "900"))],
     [c(1, "2026-07-05", "100", "credit_note")], "0.9000", 12, 121, "CD", {}),
    # paid 1000, then credited 100: due 900, received capped at 900
    ("credit note after full payment", [i(1, "2026-03-01", "1000", ("2026-03-01", "1000"))],
     [c(1, "2026-03-20", "100", "credit_note")], "1.0000", 0, 0, "AA", {}),
    # invoice 1: due 800, received 800 (the 200 overpaid does not cover invoice 2); 800 / 1000; 200 × 121 / 1000
    ("an overpaid invoice does not cover another", [i(1, "2026-03-01", "1000", ("2026-03-01", "1000")),
                                                   i(2, "2026-03-01", "200")],
     [c(1, "2026-03-20", "200", "credit_note")], "0.8000", 24, 121, "DD", {}),
    ("unlinked credit note is ignored", [i(1, "2026-03-01", "1000", ("2026-03-01", "1000"))],
     [c(None, "2026-03-20", "100", "credit_note")], "1.0000", 0, 0, "AA", {}),
    # --- claim payouts -------------------------------------------------------------------------------------
    # (1000 − 30) / 1000
    ("claim on an invoice", [i(1, "2026-03-01", "1000", ("2026-03-01", "1000"))], [c(1, "2026-03-10", "30")],
     "0.9700", 0, 0, "BA", {}),
    # (1000 − 60) / 1000
    ("claim tied to no invoice, paid in the window", [i(1, "2026-03-01", "1000", ("2026-03-01", "1000"))],
     [c(None, "2026-01-15", "60")], "0.9400", 0, 0, "CA", {}),
    ("claim tied to no invoice, paid after E", [i(1, "2026-03-01", "1000", ("2026-03-01", "1000"))],
     [c(None, "2026-06-10", "60")], "1.0000", 0, 0, "AA", {}),
    ("claim tied to no invoice, on the window's open end", [i(1, "2026-03-01", "1000", ("2026-03-01", "1000"))],
     [c(None, "2025-05-31", "60")], "1.0000", 0, 0, "AA", {}),
    ("claim on an invoice outside the window", [i(1, "2026-03-01", "1000", ("2026-03-01", "1000"))],
     [c(99, "2026-03-10", "60")], "1.0000", 0, 0, "AA", {}),
    # --- currencies ----------------------------------------------------------------------------------------
    # 100 USD = 710 paid; 290 CNY open 121 days: 710 / 1000; 290 × 121 / 1000 = 35.09 → 35
    ("mixed currencies", [i(1, "2026-03-01", "100", ("2026-03-01", "100"), currency="USD"),
                          i(2, "2026-03-01", "290")], [], "0.7100", 35, 121, "DD", {}),
    # 1000 CNY − 10 USD (71) = 929, paid 929
    ("credit note in another currency", [i(1, "2026-03-01", "1000", ("2026-03-01", "929"))],
     [c(1, "2026-03-05", "10", "credit_note", currency="USD")], "1.0000", 0, 0, "AA", {}),
    # --- model settings ------------------------------------------------------------------------------------
    ("grace 0: due on the rating date, unpaid", [i(1, "2026-06-30", "1000")], [], "0.0000", 0, 0, "DA",
     {"grace_days": 0}),
    ("6-month window: due on E − 6 months is outside", [i(1, "2025-11-30", "1000")], [], None, None, None, "--",
     {"months": 6}),
    ("6-month window: the day after is inside", [i(1, "2025-12-01", "1000", ("2025-12-01", "1000"))], [],
     "1.0000", 0, 0, "AA", {"months": 6}),
    # R = 2026-03-30: E = 2026-02-28, E − 12 months = 2025-02-28
    ("end of February: due on E − 12 months is outside", [i(1, "2025-02-28", "1000")], [], None, None, None, "--",
     {"rating_date": dt.date(2026, 3, 30)}),
    ("end of February: E itself is inside", [i(1, "2026-02-28", "1000", ("2026-03-02", "1000"))], [],
     "1.0000", 2, 2, "AB", {"rating_date": dt.date(2026, 3, 30)}),
    # --- one-invoice customers -----------------------------------------------------------------------------
    ("one invoice, half paid late", [i(1, "2026-03-01", "1000", ("2026-03-04", "500"), ("2026-03-01", "500"))], [],
     "1.0000", 2, 3, "AB", {}),
    # 1000 × 121 / 2000 → 60.5 → 61
    ("one unpaid among one paid", [i(1, "2026-03-01", "1000", ("2026-03-01", "1000")), i(2, "2026-03-01", "1000")],
     [], "0.5000", 61, 121, "DD", {}),
]


@pytest.mark.parametrize("invoices, claims, rate, days, max_days, letters, options",
                         [s[1:] for s in SCENARIOS], ids=[s[0] for s in SCENARIOS])
def test_payment_indicators(invoices, claims, rate, days, max_days, letters, options):
    window = behaviour_window(options.get("rating_date", R), options.get("months", 12), options.get("grace_days", 30))
    facts = payment_facts(invoices, claims, window, RATES)
    result = evaluate_behaviour(facts, None)
    got_rate = None if result.net_collection_rate is None else result.as_dict()["net_collection_rate"]
    assert (got_rate, result.days_late, result.max_days_late) == (rate, days, max_days)
    assert result.letters[:2] == letters


def test_the_table_has_at_least_forty_cases():
    assert len(SCENARIOS) >= 40


# The combination over the available letters (net collection, days late, competitors' share).
@pytest.mark.parametrize("letters, result", [
    ("AAA", "A"), ("AAB", "A"), ("ABA", "A"), ("ABB", "B"), ("BBB", "B"), ("AAC", "C"), ("BBC", "C"),
    ("BCC", "C"), ("CCC", "C"), ("AAD", "D"), ("DAA", "D"),
    ("AA-", "A"), ("AB-", "A"), ("BB-", "B"), ("BC-", "C"), ("AD-", "D"),  # no answer on the share
    ("--A", "A"), ("--B", "B"), ("--C", "C"), ("--D", "D"),              # no invoice in the window
    ("---", None),                                                        # nothing: the factor is missing
])
def test_combination_over_the_available_letters(letters, result):
    assert combine_letters([None if x == "-" else x for x in letters]) == result


@pytest.mark.parametrize("invoices, share, letters, result", [
    ([], None, "---", None),                                                  # new customer, no answer
    ([], "ours_main", "--B", "B"),                                            # new customer: 1 of 1 is B
    ([i(1, "2026-03-01", "1000", ("2026-03-01", "1000"))], "ours_main", "AAB", "A"),
    ([i(1, "2026-03-01", "1000", ("2026-03-03", "1000"))], "ours_main", "ABB", "B"),
    ([i(1, "2026-03-01", "1000", ("2026-03-03", "1000"))], None, "AB-", "A"),  # 1 of 2 B is not two thirds
    ([i(1, "2026-03-01", "1000", ("2026-03-01", "900"))], "ours_only", "CDA", "D"),
])
def test_indicators_and_their_combination(invoices, share, letters, result):
    window = behaviour_window(R)
    outcome = evaluate_behaviour(payment_facts(invoices, [], window, RATES), share)
    assert (outcome.letters, outcome.result) == (letters, result)


def test_a_currency_without_a_rate_is_an_error_not_a_guess():
    from ratings.engine.behaviour import BehaviourError

    with pytest.raises(BehaviourError, match="EUR"):
        payment_facts([i(1, "2026-03-01", "10", currency="EUR")], [], behaviour_window(R), RATES)
