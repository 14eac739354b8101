"""Backtest of the expected credit loss: the loss rates a run used against what actually rolled to loss in
the twelve month ends that followed (read from the immutable month-end snapshots; nothing is stored).

* realised loss rates: the same roll-rate chain (``provisions.rules``) over the run's month end and the next
  twelve, amount-weighted, so that both sides are measured alike;
* realised loss: what was written off or passed 360 days in those twelve months, beside the allowance the
  run set aside for the matrix (the individually assessed customers are not part of the matrix).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _

from creditportal.core.errors import ValidationFailed
from provisions import rules
from provisions import selectors as ecl
from provisions.models import AgingSnapshot, EclRun, RunState

HORIZON = 12
ZERO = Decimal("0")


def month_ends_after(period, count):
    ends = [period]
    for _i in range(count):
        nxt = ecl.month_end(ends[-1] + dt.timedelta(days=1))
        ends.append(nxt)
    return ends


def eligible_runs(user):
    """Approved or locked ECL runs with twelve later month-end snapshots (newest first; two queries)."""
    latest = AgingSnapshot.objects.order_by("-period").values_list("period", flat=True).first()
    if latest is None:
        return []
    runs = (EclRun.objects.visible_to(user).filter(state__in=[RunState.APPROVED, RunState.LOCKED])
            .order_by("-period", "-id").only("id", "period", "state", "matrix_allowance", "currency"))
    return [run for run in runs if month_ends_after(run.period, HORIZON)[-1] <= latest]


def ecl_backtest(run: EclRun, horizon: int = HORIZON) -> dict:
    periods = month_ends_after(run.period, horizon)
    snapshots = list(AgingSnapshot.objects.filter(period__in=periods).order_by("period").values_list("pk", "period"))
    if len(snapshots) != len(periods):
        raise ValidationFailed(_("The backtest needs the month-end snapshots of the %(n)s months after the run.")
                               % {"n": horizon})
    history = ecl.bucket_history([pk for pk, _p in snapshots], "book")["book"]
    months = ecl.months_of(history, periods)
    realised = rules.historical_rates(months, ecl.CHAIN, lookback=horizon, method=rules.WEIGHTED)
    realised_buckets = rules.bucket_rates(realised["loss_rates"], months[0], ecl.BANDS_OF, ecl.LOSS_BUCKET)
    used = (run.rates or {}).get("segments", {}).get("book", {}).get("used", {})
    rows = []
    for bucket in ecl.BUCKETS[:-1]:
        predicted = Decimal(str(used.get(bucket, "0")))
        actual = realised_buckets[bucket]
        rows.append({"bucket": bucket, "label": ecl.bucket_label(bucket), "predicted": predicted, "realised": actual,
                     "difference": actual - predicted})
    realised_loss = rules.cents(sum((Decimal(m.get(rules.LOSS) or 0) for m in months[1:]), ZERO))
    allowance = run.matrix_allowance
    return {"run": run, "horizon": horizon, "periods": periods, "rows": rows, "allowance": allowance,
            "realised_loss": realised_loss, "difference": realised_loss - allowance,
            "coverage": rules.rate(allowance / realised_loss) if realised_loss else None}
