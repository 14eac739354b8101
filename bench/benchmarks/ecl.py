"""The month-end ECL run over the full portfolio vs a hand-written SQL of the same roll rates.

Setup (timed apart, not part of the ratio): the month-end aging snapshots of the last 25 ended months, loaded
set-wise where missing (``bench/ecl_history.py``: one INSERT … SELECT per month end from the statement
``snapshot_take`` reads; month ends before the portfolio's first invoice replay the same month a year later). Measured: ``provisions.services.ecl_run_propose`` for the last
month end with a 24-month look-back (or the history there is) — the roll rates by band, the chained loss
rates, every customer's lines written, the movement and the five-tier comparison — inside a transaction
that is rolled back, so each round proposes the same month again. The baseline is the roll rates alone,
written by hand: one GROUP BY month end over the snapshot lines, ``LEAD`` over the months for the next
band, the mean of the monthly ratios, the chained product. Targets: ≤ 1.5× the baseline and ≤ 60 s.
"""
from __future__ import annotations

from bench.core import interleaved, timed

NAME = "ecl"
USERNAME = "riskadmin"
LOOKBACK = 24


def _setup(user, log):
    from bench.ecl_history import ensure_snapshots
    from creditportal.core import clock
    from provisions import selectors

    until = selectors.previous_month_end(clock.today())
    loaded = ensure_snapshots(user, months=LOOKBACK + 1, until=until, log=log)
    history = len(selectors.consecutive_snapshots(until)) - 1
    return until, max(1, min(LOOKBACK, history)), loaded


def ecl_run(user, period, lookback):
    from django.db import transaction

    from provisions import services

    with transaction.atomic():
        run = services.ecl_run_propose(actor=user, period=period, lookback=lookback)
        result = (run.total_allowance, run.rates["segments"]["book"]["band_rates"])
        transaction.set_rollback(True)
    return result


def hand_written_sql(period, lookback):
    from django.db import connection

    from provisions import selectors

    bands = selectors.BAND_KEYS
    sums = ", ".join(f"COALESCE(SUM(l.{b}), 0) AS {b}" for b in bands)
    ratios = []
    for index, band in enumerate(bands):
        following = bands[index + 1] if index + 1 < len(bands) else "loss"
        # a month with a balance in the band is an observation (as in provisions.rules)
        ratios.append(f"CASE WHEN {band} > 0 THEN LEAD({following}) OVER w / {band} END AS r{index}")
    # no observation at all: 0 (LEAST/GREATEST skip NULLs: LEAST(NULL, 1) would be 1); capped to [0, 1]
    means = ", ".join(f"GREATEST(LEAST(COALESCE(AVG(r{i}), 0), 1), 0) AS a{i}" for i in range(len(bands)))
    chained = []
    for i in range(len(bands)):
        chained.append(" * ".join(f"COALESCE(a{j}, 0)" for j in range(i, len(bands))) + f" AS loss{i}")
    # every month end, one without receivables too (a month of zeros: the next one's LEAD stays a month on)
    sql = (f"WITH m AS (SELECT s.period, {sums}, COALESCE(SUM(l.new_loss), 0) AS loss "
           f"FROM provisions_agingsnapshot s LEFT JOIN provisions_agingsnapshotline l ON l.snapshot_id = s.id "
           f"WHERE s.period <= %s GROUP BY s.period ORDER BY s.period DESC LIMIT %s), "
           f"r AS (SELECT period, {', '.join(ratios)} FROM m WINDOW w AS (ORDER BY period)), "
           f"a AS (SELECT {means} FROM r WHERE period < %s) "
           f"SELECT {', '.join(chained)} FROM a")
    with connection.cursor() as cursor:
        cursor.execute(sql, [period, lookback + 1, period])
        return dict(zip(bands, cursor.fetchone()))


def run(ctx) -> dict:
    from django.contrib.auth import get_user_model

    from provisions.models import AgingSnapshot

    user = get_user_model().objects.get(username=USERNAME)
    setup_s, (period, lookback, loaded) = timed(lambda: _setup(user, (lambda *_: None) if ctx.smoke else ctx.log))
    ctx.log(f"  snapshots: {AgingSnapshot.objects.count()} month ends ({setup_s:.1f} s; loaded {loaded['loaded']}, "
            f"of which {loaded['replayed']} replayed); run {period} with a {lookback}-month look-back")
    allowance, band_rates = ecl_run(user, period, lookback)
    sql_rates = hand_written_sql(period, lookback)
    same = all(abs(float(band_rates[b]) - float(sql_rates[b] or 0)) < 1e-5 for b in sql_rates)
    ctx.log(f"  allowance {allowance}; the same simple-mean band loss rates as the hand-written SQL: {same}")
    if ctx.smoke:
        return {"title": "ECL run", "same_rates": same, "targets": {}}
    medians = interleaved({"run": lambda: ecl_run(user, period, lookback),
                           "sql": lambda: hand_written_sql(period, lookback)}, ctx.repeat)
    ratio = medians["run"] / medians["sql"]
    ctx.log(f"  ECL run {medians['run']:.2f} s, hand-written roll rates {medians['sql'] * 1000:.0f} ms, "
            f"ratio {ratio:.2f}")
    return {
        "title": "ECL run",
        "snapshots": AgingSnapshot.objects.count(),
        "snapshots_s": round(setup_s, 1),
        "snapshots_loaded": loaded,
        "lookback": lookback,
        "same_rates": same,
        "run_s": round(medians["run"], 2),
        "sql_ms": round(medians["sql"] * 1000, 1),
        "ratio": round(ratio, 2),
        "targets": {"≤ 1.5× the hand-written SQL": ratio <= 1.5, "≤ 60 s": medians["run"] <= 60},
    }
