"""Model validation metrics as plain Python (no Django, no numpy): discriminatory power, calibration,
migration, concentration and stability.

Conventions (the same everywhere in the portal):

* A rating **score** is better when higher (the master scale gives the best grade to the top of the range),
  so a *defaulter* is expected to have a *lower* score. ``auc`` is the probability that a randomly drawn
  defaulter scores below a randomly drawn non-defaulter, ties counting one half (Mann–Whitney U with
  mid-ranks). It equals ``sklearn.metrics.roc_auc_score(defaulted, -score)``; pass
  ``higher_is_riskier=True`` when the numbers are risk scores (then ``roc_auc_score(defaulted, score)``).
* ``gini = 2 · AUC − 1`` (the accuracy ratio).
* ``ks`` is the two-sample Kolmogorov–Smirnov statistic between the score distributions of defaulters
  and non-defaulters: ``max |F_default(x) − F_good(x)|`` over every observed score (``scipy.stats.ks_2samp``).
* The binomial tests match ``scipy.stats.binomtest``: the two-sided p-value adds the probabilities of every
  outcome no more likely than the one observed (relative tolerance 1e-7, as SciPy), the one-sided
  "PD too low" p-value is ``P(X ≥ defaults | n, PD)`` (``alternative="greater"``).
* PSI (population stability index) = Σ (aᵢ − eᵢ) · ln(aᵢ / eᵢ) over bins, with eᵢ, aᵢ the shares of the
  expected (base) and actual (compared) distributions. **Empty bins**: a share of 0 would make the
  logarithm infinite, so a bin's share is replaced by ``epsilon`` (default 0.0001) when the bin is empty
  in either distribution; the other shares are left as they are (not renormalised). Rule of thumb:
  < 0.10 stable, 0.10–0.25 watch, > 0.25 a significant shift.

Inputs may be ``Decimal``, ``int`` or ``float``; the metrics are computed in binary floating point (they
are statistics, not money) and returned as ``float``.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Iterable, Mapping, Sequence

PSI_EPSILON = 1e-4
DEFAULT_ALPHA = 0.05
SCIPY_RELATIVE_TOLERANCE = 1 + 1e-7


class ValidationError(ValueError):
    """The data cannot give the metric (e.g. no defaulters or no non-defaulters)."""


def _floats(values) -> list[float]:
    return [float(v) for v in values]


def _pairs(scores, defaulted) -> tuple[list[float], list[bool]]:
    scores = _floats(scores)
    flags = [bool(d) for d in defaulted]
    if len(scores) != len(flags):
        raise ValidationError("scores and outcomes differ in length")
    return scores, flags


# --- Discriminatory power ---------------------------------------------------------------------

def midranks(values: Sequence[float]) -> list[float]:
    """1-based ranks of ``values`` with ties given the mean of the ranks they span."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        rank = (i + j + 2) / 2.0
        for k in range(i, j + 1):
            ranks[order[k]] = rank
        i = j + 1
    return ranks


def auc(scores, defaulted, *, higher_is_riskier: bool = False) -> float:
    """Area under the ROC curve (ties count one half); see the module's conventions for the direction."""
    scores, flags = _pairs(scores, defaulted)
    n_bad = sum(flags)
    n_good = len(flags) - n_bad
    if n_bad == 0 or n_good == 0:
        raise ValidationError("AUC needs at least one defaulter and one non-defaulter")
    risk = scores if higher_is_riskier else [-s for s in scores]
    ranks = midranks(risk)
    rank_sum_bad = math.fsum(r for r, bad in zip(ranks, flags) if bad)
    u = rank_sum_bad - n_bad * (n_bad + 1) / 2.0
    return u / (n_bad * n_good)


def gini(scores, defaulted, *, higher_is_riskier: bool = False) -> float:
    """Gini coefficient (accuracy ratio) = 2 · AUC − 1."""
    return 2.0 * auc(scores, defaulted, higher_is_riskier=higher_is_riskier) - 1.0


def ks(scores, defaulted) -> dict:
    """Kolmogorov–Smirnov: ``{"statistic", "at_score"}`` — the largest gap between the empirical score
    distributions of defaulters and non-defaulters, and the score where it occurs (the first one)."""
    scores, flags = _pairs(scores, defaulted)
    bad = sorted(s for s, f in zip(scores, flags) if f)
    good = sorted(s for s, f in zip(scores, flags) if not f)
    if not bad or not good:
        raise ValidationError("KS needs at least one defaulter and one non-defaulter")
    n_bad, n_good = len(bad), len(good)
    best, at = 0.0, None
    i = j = 0
    for x in sorted(set(scores)):
        while i < n_bad and bad[i] <= x:
            i += 1
        while j < n_good and good[j] <= x:
            j += 1
        gap = abs(i / n_bad - j / n_good)
        if gap > best:
            best, at = gap, x
    return {"statistic": best, "at_score": at}


# --- Binomial tests ---------------------------------------------------------------------------

def _log_pmf(i: int, n: int, p: float) -> float:
    return (math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
            + i * math.log(p) + (n - i) * math.log1p(-p))


def binom_pmf(i: int, n: int, p: float) -> float:
    if p <= 0.0:
        return 1.0 if i == 0 else 0.0
    if p >= 1.0:
        return 1.0 if i == n else 0.0
    if i < 0 or i > n:
        return 0.0
    return math.exp(_log_pmf(i, n, p))


def binom_sf_ge(k: int, n: int, p: float) -> float:
    """P(X ≥ k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if k <= n * p:  # sum the shorter, well-conditioned side
        return min(1.0, max(0.0, 1.0 - math.fsum(binom_pmf(i, n, p) for i in range(0, k))))
    return min(1.0, math.fsum(binom_pmf(i, n, p) for i in range(k, n + 1)))


def binom_test(k: int, n: int, p: float, alternative: str = "two-sided") -> float:
    """p-value of observing ``k`` defaults among ``n`` when the default probability is ``p``.

    ``alternative``: ``"two-sided"``, ``"greater"`` (the true rate exceeds ``p``: the PD is too low) or
    ``"less"``. Matches ``scipy.stats.binomtest(k, n, p, alternative).pvalue``.
    """
    k, n, p = int(k), int(n), float(p)
    if n <= 0 or not 0 <= k <= n:
        raise ValidationError("a binomial test needs 0 ≤ defaults ≤ n and n > 0")
    if not 0.0 <= p <= 1.0:
        raise ValidationError("a probability lies between 0 and 1")
    if alternative == "greater":
        return binom_sf_ge(k, n, p)
    if alternative == "less":
        return min(1.0, max(0.0, 1.0 - binom_sf_ge(k + 1, n, p)))
    if alternative != "two-sided":
        raise ValidationError("alternative must be two-sided, greater or less")
    if k == p * n:
        return 1.0
    if p in (0.0, 1.0):
        return 0.0  # the observed outcome is impossible under p (k == p·n was handled above)
    limit = binom_pmf(k, n, p) * SCIPY_RELATIVE_TOLERANCE
    total = math.fsum(q for q in (binom_pmf(i, n, p) for i in range(n + 1)) if q <= limit)
    return min(1.0, total)


# --- Calibration ------------------------------------------------------------------------------

def calibration(observations: Iterable[tuple[str, bool]], grades: Sequence[tuple[str, object]], *,
                alpha: float = DEFAULT_ALPHA) -> list[dict]:
    """Observed default rate against the scale's PD, per grade (best grade first).

    ``observations``: ``(grade, defaulted)`` pairs; ``grades``: ``(code, pd)`` of the scale, best first.
    Each row: ``grade, pd, count, defaults, observed_rate, p_two_sided, p_pd_too_low, rejected`` where
    ``rejected`` is ``"too_low"`` when the one-sided test rejects "the PD is not too low" at ``alpha``,
    ``"differs"`` when only the two-sided test rejects, else ``""``. Grades without observations give
    ``None`` rates and p-values. A final ``"total"`` row compares the portfolio's default rate with the
    count-weighted mean PD (two-sided test on the rounded expected count is *not* done: only rates).
    """
    counts, defaults = Counter(), Counter()
    for grade, bad in observations:
        counts[grade] += 1
        if bad:
            defaults[grade] += 1
    rows = []
    for code, pd in grades:
        n, k, p = counts.get(code, 0), defaults.get(code, 0), float(pd)
        row = {"grade": code, "pd": p, "count": n, "defaults": k, "observed_rate": None, "p_two_sided": None,
               "p_pd_too_low": None, "rejected": ""}
        if n:
            row["observed_rate"] = k / n
            row["p_two_sided"] = binom_test(k, n, p, "two-sided")
            row["p_pd_too_low"] = binom_test(k, n, p, "greater")
            if row["p_pd_too_low"] < alpha:
                row["rejected"] = "too_low"
            elif row["p_two_sided"] < alpha:
                row["rejected"] = "differs"
        rows.append(row)
    return rows


# --- Migration and concentration --------------------------------------------------------------

NOT_RATED = "NR"


def migration_matrix(pairs: Iterable[tuple[str | None, str | None]], grades: Sequence[str]) -> dict:
    """Counts and row shares of (grade at the start → grade at the end), grades best first.

    ``None`` on either side counts as ``"NR"`` (not rated, its own row and column). Returns
    ``{"grades": [...,"NR"], "rows": [{"from", "counts", "shares", "total"}], "upgrades", "downgrades",
    "unchanged", "total"}``; ``shares`` are counts / row total (``None`` for an empty row).
    """
    keys = list(grades) + [NOT_RATED]
    index = {g: i for i, g in enumerate(keys)}
    rank = {g: i for i, g in enumerate(grades)}
    counts = [[0] * len(keys) for _ in keys]
    upgrades = downgrades = unchanged = 0
    for start, end in pairs:
        a, b = start or NOT_RATED, end or NOT_RATED
        if a not in index or b not in index:
            raise ValidationError(f"unknown grade in migration: {a} → {b}")
        counts[index[a]][index[b]] += 1
        if a in rank and b in rank:
            if rank[b] < rank[a]:
                upgrades += 1
            elif rank[b] > rank[a]:
                downgrades += 1
            else:
                unchanged += 1
    rows = []
    for a, row in zip(keys, counts):
        total = sum(row)
        rows.append({"from": a, "counts": row, "total": total,
                     "shares": [c / total for c in row] if total else [None] * len(row)})
    return {"grades": keys, "rows": rows, "upgrades": upgrades, "downgrades": downgrades, "unchanged": unchanged,
            "total": sum(r["total"] for r in rows)}


def concentration(weights_by_grade: Mapping[str, object], grades: Sequence[str] | None = None) -> dict:
    """Share of each grade and the Herfindahl–Hirschman index Σ shareᵢ² (0..1; 1 = everything in one grade).

    ``weights_by_grade``: a count or an exposure per grade. Returns ``{"rows": [{"grade", "weight",
    "share"}], "hhi", "total"}`` in the order of ``grades`` (default: the mapping's order).
    """
    order = list(grades) if grades is not None else list(weights_by_grade)
    weights = {g: float(weights_by_grade.get(g, 0) or 0) for g in order}
    if any(w < 0 for w in weights.values()):
        raise ValidationError("weights must not be negative")
    total = math.fsum(weights.values())
    rows = [{"grade": g, "weight": weights[g], "share": (weights[g] / total) if total else 0.0} for g in order]
    hhi = math.fsum(r["share"] ** 2 for r in rows) if total else 0.0
    return {"rows": rows, "hhi": hhi, "total": total}


# --- Stability --------------------------------------------------------------------------------

def equal_edges(low, high, bins: int = 10) -> list[float]:
    """``bins + 1`` equally spaced edges from ``low`` to ``high``."""
    low, high = float(low), float(high)
    if bins < 1 or high <= low:
        raise ValidationError("edges need bins ≥ 1 and low < high")
    step = (high - low) / bins
    return [low + i * step for i in range(bins)] + [high]


def bin_counts(values, edges: Sequence) -> list[int]:
    """Counts per bin ``[edgeᵢ, edgeᵢ₊₁)``; the last bin includes its upper edge; values outside the
    edges fall into the first or last bin."""
    edges = _floats(edges)
    if len(edges) < 2:
        raise ValidationError("at least two edges are needed")
    counts = [0] * (len(edges) - 1)
    for v in _floats(values):
        i = 0
        while i < len(counts) - 1 and v >= edges[i + 1]:
            i += 1
        counts[i] += 1
    return counts


def psi_from_counts(expected: Sequence | Mapping, actual: Sequence | Mapping, *,
                    epsilon: float = PSI_EPSILON) -> dict:
    """PSI between two binned distributions (counts per bin, in the same order or keyed by bin).

    Returns ``{"psi", "bins": [{"bin", "expected_share", "actual_share", "contribution"}]}``; an empty
    bin's share is replaced by ``epsilon`` (see the module's docstring).
    """
    if isinstance(expected, Mapping) or isinstance(actual, Mapping):
        exp_map = dict(expected) if isinstance(expected, Mapping) else dict(enumerate(expected))
        act_map = dict(actual) if isinstance(actual, Mapping) else dict(enumerate(actual))
        keys = list(exp_map) + [k for k in act_map if k not in exp_map]
        exp = [float(exp_map.get(k, 0) or 0) for k in keys]
        act = [float(act_map.get(k, 0) or 0) for k in keys]
    else:
        keys = list(range(len(expected)))
        exp, act = _floats(expected), _floats(actual)
        if len(exp) != len(act):
            raise ValidationError("both distributions need the same bins")
    total_e, total_a = math.fsum(exp), math.fsum(act)
    if total_e <= 0 or total_a <= 0:
        raise ValidationError("PSI needs observations in both distributions")
    rows, parts = [], []
    for key, e, a in zip(keys, exp, act):
        es = e / total_e if e > 0 else epsilon
        as_ = a / total_a if a > 0 else epsilon
        contribution = (as_ - es) * math.log(as_ / es)
        parts.append(contribution)
        rows.append({"bin": key, "expected_share": e / total_e, "actual_share": a / total_a,
                     "contribution": contribution})
    return {"psi": math.fsum(parts), "bins": rows}


def psi(expected_values, actual_values, edges: Sequence, *, epsilon: float = PSI_EPSILON) -> dict:
    """PSI of two samples of numbers binned by ``edges`` (see ``bin_counts``)."""
    result = psi_from_counts(bin_counts(expected_values, edges), bin_counts(actual_values, edges), epsilon=epsilon)
    edges = _floats(edges)
    for row in result["bins"]:
        i = row["bin"]
        row["bin"] = f"{edges[i]:g}–{edges[i + 1]:g}"
    return result


def psi_categorical(expected_values, actual_values, *, epsilon: float = PSI_EPSILON) -> dict:
    """PSI of two samples of categories (each distinct value is a bin; sorted by name)."""
    exp, act = Counter(str(v) for v in expected_values), Counter(str(v) for v in actual_values)
    keys = sorted(set(exp) | set(act))
    return psi_from_counts({k: exp.get(k, 0) for k in keys}, {k: act.get(k, 0) for k in keys}, epsilon=epsilon)


def psi_label(value: float | None) -> str:
    """``"stable"`` (< 0.10), ``"watch"`` (0.10–0.25) or ``"shift"`` (> 0.25); ``""`` for None."""
    if value is None:
        return ""
    if value < 0.10:
        return "stable"
    if value <= 0.25:
        return "watch"
    return "shift"
