"""The validation metrics (``ratings.engine.validation``) against the reference implementations
(scikit-learn's ``roc_auc_score``, SciPy's ``ks_2samp`` and ``binomtest``) to 1e-9, and PSI and the
migration matrix on small data checked by hand."""
import math
import random
from decimal import Decimal

import pytest

from ratings.engine import validation as v

sklearn_metrics = pytest.importorskip("sklearn.metrics")
scipy_stats = pytest.importorskip("scipy.stats")

TOL = 1e-9


def _sample(seed, n, *, ties=False):
    rnd = random.Random(seed)
    scores, defaults = [], []
    for _ in range(n):
        bad = rnd.random() < 0.2
        mean = 40 if bad else 60
        score = rnd.gauss(mean, 15)
        score = round(score) if ties else round(score, 2)
        scores.append(Decimal(str(min(max(score, 0), 100))))
        defaults.append(bad)
    if not any(defaults):
        defaults[0] = True
    if all(defaults):
        defaults[0] = False
    return scores, defaults


@pytest.mark.parametrize("seed,n,ties", [(1, 50, False), (2, 300, True), (3, 1000, True), (4, 7, True)])
def test_auc_and_gini_equal_scikit_learn(seed, n, ties):
    scores, defaults = _sample(seed, n, ties=ties)
    floats = [float(s) for s in scores]
    reference = sklearn_metrics.roc_auc_score(defaults, [-s for s in floats])
    assert abs(v.auc(scores, defaults) - reference) < TOL
    assert abs(v.gini(scores, defaults) - (2 * reference - 1)) < TOL
    # risk scores (higher = riskier)
    assert abs(v.auc(floats, defaults, higher_is_riskier=True)
               - sklearn_metrics.roc_auc_score(defaults, floats)) < TOL


def test_auc_with_all_scores_tied_is_one_half():
    assert v.auc([50, 50, 50, 50], [True, False, False, True]) == 0.5


def test_auc_needs_both_classes():
    with pytest.raises(v.ValidationError):
        v.auc([1, 2], [False, False])


@pytest.mark.parametrize("seed,n,ties", [(5, 40, False), (6, 500, True), (7, 9, True)])
def test_ks_equals_scipy(seed, n, ties):
    scores, defaults = _sample(seed, n, ties=ties)
    floats = [float(s) for s in scores]
    bad = [s for s, d in zip(floats, defaults) if d]
    good = [s for s, d in zip(floats, defaults) if not d]
    reference = scipy_stats.ks_2samp(bad, good).statistic
    assert abs(v.ks(scores, defaults)["statistic"] - reference) < TOL


@pytest.mark.parametrize("k,n,p", [
    (0, 10, 0.05), (3, 10, 0.05), (7, 100, 0.03), (1, 200, 0.003), (30, 100, 0.25), (50, 100, 0.5),
    (12, 40, 0.5), (0, 500, 0.0003), (9, 9, 1.0), (4, 9, 1.0), (0, 20, 0.0), (2, 20, 0.0), (120, 1000, 0.1),
    (5, 50, 0.12), (49, 50, 0.5),
])
def test_binomial_tests_equal_scipy(k, n, p):
    for alternative in ("two-sided", "greater", "less"):
        reference = scipy_stats.binomtest(k, n, p, alternative=alternative).pvalue
        assert abs(v.binom_test(k, n, p, alternative) - reference) < TOL, alternative


def test_calibration_per_grade_uses_the_scipy_tests():
    grades = [("A", Decimal("0.01")), ("B", Decimal("0.05")), ("C", Decimal("0.2"))]
    observations = [("A", False)] * 99 + [("A", True)] + [("B", False)] * 40 + [("B", True)] * 10
    rows = v.calibration(observations, grades)
    a, b, c = rows
    assert (a["count"], a["defaults"], a["observed_rate"]) == (100, 1, 0.01)
    assert abs(b["p_pd_too_low"] - scipy_stats.binomtest(10, 50, 0.05, alternative="greater").pvalue) < TOL
    assert abs(b["p_two_sided"] - scipy_stats.binomtest(10, 50, 0.05).pvalue) < TOL
    assert b["rejected"] == "too_low"
    assert a["rejected"] == ""
    assert c["count"] == 0 and c["observed_rate"] is None


def test_psi_hand_checked():
    # expected 50/50, actual 25/75: (0.25-0.5)·ln(0.25/0.5) + (0.75-0.5)·ln(0.75/0.5)
    result = v.psi_from_counts([50, 50], [25, 75])
    expected = -0.25 * math.log(0.5) + 0.25 * math.log(1.5)
    assert abs(result["psi"] - expected) < 1e-12
    assert abs(result["psi"] - 0.2746530722) < 1e-9
    assert v.psi_label(result["psi"]) == "shift"
    assert v.psi_from_counts([10, 20, 30], [1, 2, 3])["psi"] == 0.0


def test_psi_empty_bin_uses_epsilon():
    # expected [1, 1] → 0.5/0.5; actual [2, 0] → 1.0 and ε for the empty bin
    result = v.psi_from_counts([1, 1], [2, 0])
    eps = v.PSI_EPSILON
    expected = (1.0 - 0.5) * math.log(1.0 / 0.5) + (eps - 0.5) * math.log(eps / 0.5)
    assert abs(result["psi"] - expected) < 1e-12


def test_psi_of_values_with_edges_and_categories():
    edges = v.equal_edges(0, 100, 2)
    assert edges == [0.0, 50.0, 100.0]
    assert v.bin_counts([0, 10, 50, 99, 100, 120], edges) == [2, 4]
    result = v.psi([10, 20, 60, 70], [10, 60, 70, 80], edges)
    assert abs(result["psi"] - (-0.25 * math.log(0.5) + 0.25 * math.log(1.5))) < 1e-12
    cat = v.psi_categorical(["A", "A", "B", "B"], ["A", "B", "B", "B"])
    assert abs(cat["psi"] - result["psi"]) < 1e-12


def test_migration_matrix_hand_checked():
    pairs = [("A", "A"), ("A", "B"), ("B", "B"), ("B", "A"), ("B", "C"), ("C", "C"), (None, "A"), ("C", None)]
    m = v.migration_matrix(pairs, ["A", "B", "C"])
    assert m["grades"] == ["A", "B", "C", "NR"]
    counts = {r["from"]: r["counts"] for r in m["rows"]}
    assert counts == {"A": [1, 1, 0, 0], "B": [1, 1, 1, 0], "C": [0, 0, 1, 1], "NR": [1, 0, 0, 0]}
    shares = {r["from"]: r["shares"] for r in m["rows"]}
    assert shares["B"] == [1 / 3, 1 / 3, 1 / 3, 0.0]
    assert (m["upgrades"], m["downgrades"], m["unchanged"], m["total"]) == (1, 2, 3, 8)


def test_concentration_share_and_hhi():
    c = v.concentration({"A": 2, "B": 1, "C": 1}, ["A", "B", "C", "D"])
    assert [r["share"] for r in c["rows"]] == [0.5, 0.25, 0.25, 0.0]
    assert c["hhi"] == 0.375


def test_the_engine_imports_no_django():
    import ast
    from pathlib import Path

    tree = ast.parse(Path(v.__file__).read_text())
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [n for n in names if n.split(".")[0] in ("django", "numpy", "creditportal")]
