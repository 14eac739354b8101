"""Backtests: the default definition, the sample, the metrics (against scikit-learn) and the import of
outcomes from CSV (any bad row → nothing imported, every bad row listed)."""
import datetime as dt
import io

import pytest
from django.utils import translation

from creditportal.core.errors import NotAllowed, ValidationFailed
from ratings.engine import validation as metrics
from validation import services
from validation.models import HistoricalOutcome, OutcomeImport, RunStatus, ValidationRun

sklearn_metrics = pytest.importorskip("sklearn.metrics")

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(today, make_customer, make_rating, make_invoice):
    """Six ratings in 2024 (three end in a default) and one before the period."""
    a, b, c, d, e, f = (make_customer(n) for n in "ABCDEF")
    make_rating(a, dt.date(2024, 1, 10), 65, "BBB", superseded_on=dt.date(2024, 6, 1))
    make_rating(a, dt.date(2024, 6, 1), 5, "D", state="approved")          # the grade-D default (and itself D)
    make_rating(b, dt.date(2024, 2, 1), 55, "BB", state="approved")
    make_invoice(b, dt.date(2024, 3, 1))                                     # unpaid: > 90 days past due
    make_rating(c, dt.date(2024, 3, 1), 75, "A", state="approved")
    make_rating(d, dt.date(2024, 4, 1), 85, "AA", state="approved")
    make_invoice(d, dt.date(2024, 5, 1), paid_on=dt.date(2024, 5, 11))      # 10 days late: no default
    make_rating(e, dt.date(2024, 5, 1), 52, "BB", state="approved")
    make_invoice(e, dt.date(2023, 1, 1), paid_on=dt.date(2024, 1, 15))      # paid before the rating
    make_rating(f, dt.date(2023, 6, 1), 45, "B", state="approved")          # before the period
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f}


def _run(users, model, **kwargs):
    run = services.validation_run_start(actor=users["riskadmin"], model=model, in_worker=False,
                                        period_start=kwargs.pop("start", dt.date(2024, 1, 1)),
                                        period_end=kwargs.pop("end", dt.date(2024, 12, 31)), **kwargs)
    return services.validation_run_execute(run_id=run.pk)


def test_default_event_by_grade_or_days_past_due():
    definition = {"default_grades": ["D"], "days_past_due": 90, "horizon_months": 12}
    rated = dt.date(2024, 1, 1)
    end = dt.date(2024, 12, 31)
    assert services.defaulted_after(rated, end, [(dt.date(2024, 5, 1), "D")], [], definition)
    assert not services.defaulted_after(rated, end, [(dt.date(2025, 5, 1), "D")], [], definition)
    # due 2024-09-01: 91 days past due on 2024-12-01, within the window
    assert services.defaulted_after(rated, end, [], [(dt.date(2024, 9, 1), None)], definition)
    # due 2024-10-15: only 77 days past due at the window's end
    assert not services.defaulted_after(rated, end, [], [(dt.date(2024, 10, 15), None)], definition)
    # paid on the 90th day: never more than 90 days past due
    assert not services.defaulted_after(rated, end, [], [(dt.date(2024, 2, 1), dt.date(2024, 5, 1))], definition)
    # overdue before the rating, paid after it: a default from the rating date on
    assert services.defaulted_after(rated, end, [], [(dt.date(2023, 6, 1), dt.date(2024, 2, 1))], definition)


def test_backtest_run_metrics(users, active_model, history):
    run = _run(users, active_model)
    assert run.status == RunStatus.FINISHED
    r = run.results
    assert (r["count"], r["defaults"]) == (6, 3)
    # scores of the sample and their outcomes, as checked by hand above
    scores = [65, 5, 55, 75, 85, 52]
    flags = [True, True, True, False, False, False]
    assert abs(run.auc - 7 / 9) < 1e-12
    assert abs(run.auc - sklearn_metrics.roc_auc_score(flags, [-s for s in scores])) < 1e-9
    assert abs(run.gini - (2 * 7 / 9 - 1)) < 1e-12
    assert abs(run.ks - metrics.ks(scores, flags)["statistic"]) < 1e-12
    calibration = {row["grade"]: row for row in r["calibration"]}
    assert (calibration["BB"]["count"], calibration["BB"]["defaults"]) == (2, 1)
    assert calibration["BBB"]["rejected"] == "too_low"          # PD 1 %, 1 default of 1
    assert calibration["D"]["observed_rate"] == 1.0
    counts = {row["from"]: dict(zip(r["migration"]["grades"], row["counts"])) for row in r["migration"]["rows"]}
    assert counts["BBB"]["D"] == 1 and counts["BB"]["BB"] == 2 and counts["A"]["A"] == 1
    assert (r["migration"]["downgrades"], r["migration"]["unchanged"]) == (1, 5)
    shares = {row["grade"]: row["share"] for row in r["concentration"]["rows"]}
    assert shares["BB"] == 2 / 6
    # stability: the one rating current on 2024-01-01 (45) against the six current on 2024-12-31
    stability = r["stability"]
    assert (stability["base_count"], stability["compare_count"]) == (1, 5 + 1)
    expected = metrics.psi([45], [5, 55, 75, 85, 52, 45], metrics.equal_edges(0, 100, 10))["psi"]
    assert abs(run.psi - expected) < 1e-12


def test_backtest_follows_the_configured_definition(users, active_model, history):
    services.default_definition_update(actor=users["riskadmin"], default_grades=["D"], days_past_due=400,
                                       horizon_months=12)
    run = _run(users, active_model)
    assert run.default_count == 2          # B's unpaid invoice is no longer a default within the window
    assert run.definition["days_past_due"] == 400


def test_only_a_risk_admin_runs_a_backtest(users, active_model):
    with pytest.raises(NotAllowed):
        services.validation_run_start(actor=users["auditor"], model=active_model, period_start="2024-01-01",
                                      period_end="2024-12-31", in_worker=False)
    with pytest.raises(ValidationFailed):
        services.validation_run_start(actor=users["riskadmin"], model=active_model, period_start="2024-12-31",
                                      period_end="2024-01-01", in_worker=False)
    assert not ValidationRun.objects.exists()


CSV_GOOD = """customer,external_id,rating_date,score,grade,inputs,outcome
,EXT-1,2024-01-05,82,,,0
,EXT-2,2024-02-05,35,,,1
,EXT-3,2024-03-05,60.5,,,0
,EXT-4,2024-03-06,18,,,yes
"""


def _upload(text, name="outcomes.csv"):
    f = io.BytesIO(text.encode("utf-8"))
    f.name = name
    return f


def test_outcome_import_all_or_nothing(users, today, make_customer):
    customer = make_customer()
    bad = (f"customer,external_id,rating_date,score,grade,inputs,outcome\n"
           f"{customer.pk},,2024-01-05,70,,,0\n"        # fine
           f"99999999,,2024-01-05,70,,,0\n"              # unknown customer
           f",EXT-9,05/01/2024,abc,ZZ,,maybe\n"         # four problems in one row
           f",,2024-01-05,,,,0\n")                      # neither id nor score
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        services.outcomes_import(actor=users["riskadmin"], uploaded_file=_upload(bad))
    rows = caught.value.field_errors["file"]
    assert [line.split(":")[0] for line in rows] == ["line 3", "line 4", "line 5"]
    assert "rating_date" in rows[1] and "score" in rows[1] and "outcome" in rows[1] and "grade" in rows[1]
    assert not OutcomeImport.objects.exists() and not HistoricalOutcome.objects.exists()

    source = services.outcomes_import(actor=users["riskadmin"], uploaded_file=_upload(CSV_GOOD), label="bank data")
    assert (source.row_count, source.default_count) == (4, 2)


def test_backtest_on_imported_outcomes(users, today, active_model):
    source = services.outcomes_import(actor=users["riskadmin"], uploaded_file=_upload(CSV_GOOD))
    run = _run(users, active_model, source="import", outcome_import=source)
    scores, flags = [82, 35, 60.5, 18], [False, True, False, True]
    assert run.sample_size == 4
    assert abs(run.auc - sklearn_metrics.roc_auc_score(flags, [-s for s in scores])) < 1e-9
    grades = {row["grade"]: row["count"] for row in run.results["calibration"] if row["count"]}
    assert grades == {"AA": 1, "CCC": 1, "BBB": 1, "C": 1}      # grades from the model's scale
    assert run.results["migration"] is None


def test_outcome_import_refused_to_an_auditor(users, today):
    with pytest.raises(NotAllowed):
        services.outcomes_import(actor=users["auditor"], uploaded_file=_upload(CSV_GOOD))


def test_a_draft_is_backtested_on_history_by_scoring_the_stored_inputs_again(users, active_model, history):
    from decimal import Decimal

    from ratings import services as rating_services
    from ratings.models import Rating

    draft = rating_services.model_new_version(actor=users["riskadmin"], model=active_model)
    for factor in draft.factors.all():
        rating_services.factor_save(actor=users["riskadmin"], model=draft, factor=factor, missing_points=Decimal("100"))
    ratings_before = list(Rating.objects.order_by("pk").values_list("pk", "score", "grade"))
    run = _run(users, draft)
    assert (run.sample_size, run.results["rescored"], run.default_count) == (6, 6, 3)
    # the stored inputs are empty: the generous draft gives every rating full points
    assert {row["grade"]: row["count"] for row in run.results["calibration"] if row["count"]} == {"AAA": 6}
    assert run.auc == 0.5
    assert list(Rating.objects.order_by("pk").values_list("pk", "score", "grade")) == ratings_before
