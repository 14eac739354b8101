"""Expected credit loss arithmetic (CAS 22 / IFRS 9 simplified approach) as plain functions.

No Django here (an import-linter contract keeps it so): services and selectors feed these functions with
rows read from the month-end aging snapshots and store what they return; ``tests/provisions/test_rules.py``
checks them by hand-worked examples.

Conventions
-----------
* A *chain* is the list of aging buckets in order, ending with the loss bucket (``LOSS``): amounts in the
  last real bucket roll to loss when they are written off or pass 360 days past due.
* Roll rate of bucket ``b`` from month ``m`` to ``m+1`` = the balance in the next bucket at ``m+1`` ÷ the
  balance in ``b`` at ``m`` (for the last bucket: the month's flow into loss ÷ its balance at ``m``). A
  month with no balance in ``b`` gives no observation.
* Averaging over the look-back: ``simple`` = the mean of the monthly roll rates (months with an
  observation); ``weighted`` = Σ next-bucket balances ÷ Σ bucket balances (amount-weighted). Each average
  is capped at 100%.
* Loss rate of a bucket = the product of the averaged roll rates from that bucket to loss.
* Rates are kept to ``RATE_PLACES`` decimal places (0.0001%), rounded half up; an allowance is
  gross × rate rounded half up to the cent.
* Forward-looking: scenarios with weights (percent, summing to exactly 100) and a factor ≥ 0 (optionally
  one per bucket); adjusted rate = historical rate × Σ weight × factor, capped at 100%.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from portal_rules.decimals import NotANumber, parse_decimal

ZERO = Decimal("0")
ONE = Decimal("1")
HUNDRED = Decimal("100")
CENT = Decimal("0.01")
RATE_PLACES = 6
RATE_QUANTUM = Decimal(1).scaleb(-RATE_PLACES)
LOSS = "loss"
SIMPLE = "simple"
WEIGHTED = "weighted"
AVERAGING = (SIMPLE, WEIGHTED)


class RuleError(ValueError):
    """Input the arithmetic refuses; ``field`` names what is wrong (services turn it into ValidationFailed)."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field


def cents(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def rate(value: Decimal) -> Decimal:
    """A rate rounded to ``RATE_PLACES`` places, half up."""
    return Decimal(value).quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP)


def capped(value: Decimal) -> Decimal:
    """``value`` within [0, 1] (a rate never above 100%)."""
    return max(ZERO, min(ONE, Decimal(value)))


def as_decimal(value, field: str = "") -> Decimal:
    try:
        return parse_decimal(value, floats=True, commas=True)
    except NotANumber:
        raise RuleError(f"not a number: {value!r}", field) from None


# --- Roll rates ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Roll:
    """One monthly observation of one bucket: ``rolled`` of ``balance`` reached the next bucket."""

    bucket: str
    balance: Decimal
    rolled: Decimal

    @property
    def ratio(self) -> Decimal | None:
        return self.rolled / self.balance if self.balance > 0 else None


def monthly_rolls(before: dict, after: dict, chain: list[str]) -> dict[str, Roll]:
    """The roll of each bucket of ``chain`` (but the loss bucket) from one month-end to the next.

    ``before``/``after`` map bucket → balance; ``after[LOSS]`` is the month's flow into loss (written off in
    the month plus what passed 360 days in it)."""
    rolls = {}
    for index, bucket in enumerate(chain[:-1]):
        following = chain[index + 1]
        rolls[bucket] = Roll(bucket, Decimal(before.get(bucket) or ZERO), Decimal(after.get(following) or ZERO))
    return rolls


def roll_history(months: list[dict], chain: list[str]) -> list[dict[str, Roll]]:
    """The rolls of each consecutive pair of ``months`` (oldest first): ``len(months) − 1`` entries."""
    return [monthly_rolls(months[i], months[i + 1], chain) for i in range(len(months) - 1)]


def average_roll_rates(history: list[dict[str, Roll]], chain: list[str], method: str = SIMPLE) -> dict[str, Decimal]:
    """The averaged roll rate of each bucket (capped at 100%; no observation at all gives 0)."""
    if method not in AVERAGING:
        raise RuleError(f"averaging must be one of {', '.join(AVERAGING)}", "averaging")
    result = {}
    for bucket in chain[:-1]:
        rolls = [month[bucket] for month in history if bucket in month and month[bucket].balance > 0]
        if not rolls:
            result[bucket] = ZERO
        elif method == SIMPLE:
            result[bucket] = capped(sum((r.ratio for r in rolls), ZERO) / len(rolls))
        else:
            result[bucket] = capped(sum((r.rolled for r in rolls), ZERO) / sum((r.balance for r in rolls), ZERO))
    return result


def loss_rates(roll_rates: dict[str, Decimal], chain: list[str]) -> dict[str, Decimal]:
    """Loss rate per bucket: the product of the roll rates from it to loss (rounded to ``RATE_PLACES``)."""
    result = {}
    product = ONE
    for bucket in reversed(chain[:-1]):
        product *= roll_rates.get(bucket, ZERO)
        result[bucket] = rate(capped(product))
    return {bucket: result[bucket] for bucket in chain[:-1]}


def observations(history: list[dict[str, Roll]], chain: list[str]) -> int:
    """Months with a balance in the first bucket (how much history a segment has)."""
    first = chain[0]
    return sum(1 for month in history if first in month and month[first].balance > 0)


def historical_rates(months: list[dict], chain: list[str], *, lookback: int, method: str = SIMPLE) -> dict:
    """Roll rates and loss rates over the last ``lookback`` monthly rolls of ``months`` (oldest first)."""
    if lookback < 1:
        raise RuleError("the look-back is at least one month", "lookback")
    available = len(months) - 1
    if lookback > available:
        raise RuleError(f"the look-back of {lookback} months is longer than the history ({max(available, 0)} "
                        f"monthly rolls)", "lookback")
    history = roll_history(months[-(lookback + 1):], chain)
    rolls = average_roll_rates(history, chain, method)
    return {"roll_rates": {b: rate(r) for b, r in rolls.items()}, "loss_rates": loss_rates(rolls, chain),
            "observations": observations(history, chain)}


def bucket_rates(band_rates: dict, balances: dict, bands_of: dict[str, list[str]], loss_bucket: str) -> dict:
    """A bucket's loss rate from its bands' (a bucket cut into monthly bands: weighted by the bands' balances,
    a plain mean when it has none); the loss bucket is lost: 100%."""
    rates = {}
    for bucket, bands in bands_of.items():
        weights = [Decimal(balances.get(b) or 0) for b in bands]
        if sum(weights) > 0:
            value = sum((w * Decimal(band_rates[b]) for w, b in zip(weights, bands)), ZERO) / sum(weights)
        else:
            value = sum((Decimal(band_rates[b]) for b in bands), ZERO) / len(bands)
        rates[bucket] = rate(value)
    rates[loss_bucket] = ONE
    return rates


# --- Forward-looking scenarios -------------------------------------------------------------------

def check_scenarios(scenarios: list[dict], buckets: list[str]) -> list[dict]:
    """Scenarios as clean dicts ``{name, weight, factor, bucket_factors}``; weights in percent summing to 100,
    factors ≥ 0. Raises ``RuleError`` naming the field."""
    if not scenarios:
        raise RuleError("enter at least one scenario", "scenarios")
    clean, names = [], set()
    for index, item in enumerate(scenarios):
        name = str(item.get("name") or "").strip()
        if not name:
            raise RuleError(f"scenario {index + 1} has no name", "scenarios")
        if name in names:
            raise RuleError(f"two scenarios are called {name}", "scenarios")
        names.add(name)
        weight = as_decimal(item.get("weight"), "weight")
        if weight < 0 or weight > HUNDRED:
            raise RuleError(f"the weight of {name} must be between 0 and 100%", "weight")
        factor = as_decimal(item.get("factor", "1"), "factor")
        if factor < 0:
            raise RuleError(f"the factor of {name} cannot be negative", "factor")
        bucket_factors = {}
        for bucket, value in (item.get("bucket_factors") or {}).items():
            if bucket not in buckets:
                raise RuleError(f"unknown bucket {bucket}", "bucket_factors")
            value = as_decimal(value, "factor")
            if value < 0:
                raise RuleError(f"the factor of {name} for {bucket} cannot be negative", "factor")
            bucket_factors[bucket] = value
        clean.append({"name": name, "weight": weight, "factor": factor, "bucket_factors": bucket_factors})
    total = sum((s["weight"] for s in clean), ZERO)
    if total != HUNDRED:
        raise RuleError(f"the weights add up to {total}%, not 100%", "weight")
    return clean


def weighted_factor(scenarios: list[dict], bucket: str) -> Decimal:
    """Σ weight × factor (the bucket's own factor where a scenario gives one)."""
    total = ZERO
    for s in scenarios:
        factor = Decimal(str((s.get("bucket_factors") or {}).get(bucket, s["factor"])))
        total += Decimal(str(s["weight"])) / HUNDRED * factor
    return total


def adjusted_rates(historical: dict[str, Decimal], scenarios: list[dict] | None) -> dict[str, Decimal]:
    """Historical rate × probability-weighted factor, capped at 100% (no scenarios: the historical rate)."""
    if not scenarios:
        return {b: rate(capped(r)) for b, r in historical.items()}
    return {b: rate(capped(Decimal(r) * weighted_factor(scenarios, b))) for b, r in historical.items()}


def check_override(matrix: dict, buckets: list[str]) -> dict[str, Decimal]:
    """An override matrix ``{bucket: rate}`` (fractions 0..1) as Decimals."""
    clean = {}
    for bucket, value in (matrix or {}).items():
        if bucket not in buckets:
            raise RuleError(f"unknown bucket {bucket}", "override")
        value = as_decimal(value, "override")
        if value < 0 or value > 1:
            raise RuleError(f"the rate of {bucket} must be between 0 and 1 (100%)", "override")
        clean[bucket] = rate(value)
    return clean


# --- Allowances ----------------------------------------------------------------------------------

def allowance(gross: Decimal, loss_rate: Decimal) -> Decimal:
    return cents(Decimal(gross) * Decimal(loss_rate))


def matrix_table(gross_by_bucket: dict[str, Decimal], rates: dict[str, Decimal], buckets: list[str]) -> dict:
    """The disclosure matrix: one row per bucket (gross, rate, allowance) and the totals."""
    rows, gross_total, allowance_total = [], ZERO, ZERO
    for bucket in buckets:
        gross = Decimal(gross_by_bucket.get(bucket) or ZERO)
        bucket_rate = Decimal(rates.get(bucket) or ZERO)
        amount = allowance(gross, bucket_rate)
        rows.append({"bucket": bucket, "gross": cents(gross), "rate": bucket_rate, "allowance": amount})
        gross_total += gross
        allowance_total += amount
    effective = rate(allowance_total / gross_total) if gross_total else ZERO
    return {"rows": rows, "gross": cents(gross_total), "allowance": allowance_total, "rate": effective}


def expected_recoveries(*, collateral: Decimal = ZERO, haircut: Decimal = ZERO, guarantees: Decimal = ZERO,
                        insurance: Decimal = ZERO) -> Decimal:
    """Collateral after its haircut (a fraction 0..1) plus guarantees plus credit insurance cover."""
    for field, value in (("collateral_value", collateral), ("guarantees", guarantees), ("insurance_cover", insurance)):
        if Decimal(value) < 0:
            raise RuleError(f"{field} cannot be negative", field)
    if not (0 <= Decimal(haircut) <= 1):
        raise RuleError("the haircut is a fraction between 0 and 1", "collateral_haircut")
    return cents(Decimal(collateral) * (ONE - Decimal(haircut)) + Decimal(guarantees) + Decimal(insurance))


def individual_ecl(exposure: Decimal, recoveries: Decimal) -> Decimal:
    """Exposure − expected recoveries, never below zero nor above the exposure."""
    return cents(max(ZERO, min(Decimal(exposure), Decimal(exposure) - Decimal(recoveries))))


# --- Movement of the allowance -------------------------------------------------------------------

MOVEMENT_KEYS = ["opening", "new", "derecognised", "written_off", "recovered", "remeasured", "closing"]


def movement(previous: dict, current: dict, written_off: dict | None = None, recovered: dict | None = None) -> dict:
    """Movement of the allowance from the previous month's run to this one, built customer by customer.

    ``previous``/``current`` map customer → (gross, allowance). For each customer:
    written off = −min(opening, amount written off in the month) (the allowance used);
    recovered = + recoveries in the month of amounts written off earlier (reinstated, then remeasured);
    a customer with no gross before is *new* (its closing allowance less what the other lines explain),
    one with no gross now is *derecognised* (its opening allowance released, less what the other lines
    explain), anyone else is *remeasured* (the rest of the change). The lines add up by construction:
    opening + new + derecognised + written off + recovered + remeasured = closing.
    """
    written_off = written_off or {}
    recovered = recovered or {}
    totals = dict.fromkeys(MOVEMENT_KEYS, ZERO)
    for customer in set(previous) | set(current) | set(written_off) | set(recovered):
        gross_before, opening = previous.get(customer, (ZERO, ZERO))
        gross_now, closing = current.get(customer, (ZERO, ZERO))
        opening, closing = Decimal(opening), Decimal(closing)
        used = -min(opening, Decimal(written_off.get(customer) or ZERO))
        back = Decimal(recovered.get(customer) or ZERO)
        rest = closing - opening - used - back
        totals["opening"] += opening
        totals["written_off"] += used
        totals["recovered"] += back
        if Decimal(gross_before) <= 0 and Decimal(gross_now) > 0:
            totals["new"] += rest
        elif Decimal(gross_now) <= 0:
            totals["derecognised"] += rest
        else:
            totals["remeasured"] += rest
        totals["closing"] += closing
    return {k: cents(v) for k, v in totals.items()}


def movement_adds_up(table: dict) -> bool:
    return sum((table[k] for k in MOVEMENT_KEYS[:-1]), ZERO) == table["closing"]
