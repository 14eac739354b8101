"""The department's ratings: one every review period for the last 24 months, each the real engine's result on a
template of the customer's health at that date (the bench generator's templates), so grades move up and down
with the customer and the migration matrices and the trends' letter moves have something to count."""
from __future__ import annotations

import datetime as dt
import random

from demo.generator._common import REVIEW_MONTHS, _add_months
from demo.generator.templates import _model_and_templates

from ._common import bulk_made
from .customers import SEED, Profile

FIRST_RATED_DAYS = (700, 790)  # the first rating of the history: about 24–26 months ago
SUBMITTED = 6  # customers whose renewed rating waits for an approver (the ratings work queue)


def _band(health: float) -> int:
    return min(4, max(0, int(health * 5)))


def write_ratings(profs: list[Profile], users, today: dt.date) -> dict[int, str]:
    """The rating histories in bulk; returns {customer id: current grade}."""
    from creditportal.core.canonical import sha256_of
    from ratings.models import Rating
    from ratings.selectors import quantitative_hash

    rng = random.Random(SEED + 3)
    model, definition, variants, grades = _model_and_templates(random.Random(SEED + 4))
    analysts = [users["analyst"], users["analyst2"]]
    approvers = [users["approver1"], users["approver2"], users["approver3"]]
    rows, current = [], {}
    waiting = 0
    for p in profs:
        if p.status in ("prospect",) or rng.random() < 0.04:
            continue  # not rated (yet)
        day = today - dt.timedelta(days=rng.randint(*FIRST_RATED_DAYS))
        history = []
        while day <= today - dt.timedelta(days=7):
            months_ago = (today - day).days / 30.4
            inputs, result = rng.choice(variants[(p.size, _band(p.health(months_ago) + rng.gauss(0, 0.04)))])
            grade = grades[result["grade"]]
            history.append((day, inputs, result, grade))
            step = max(3, REVIEW_MONTHS.get(grade["letter"], 3))
            day = _add_months(day, step) + dt.timedelta(days=rng.randint(-10, 20))
        for position, (day, inputs, result, grade) in enumerate(history):
            last = position == len(history) - 1
            inputs = {**inputs, "customer": {"id": p.pk, "industry_section": p.section, "size": p.size},
                      "as_of": day.isoformat()}
            at = dt.datetime.combine(day, dt.time(3, 30), tzinfo=dt.timezone.utc)
            analyst = analysts[(p.index + position) % 2]
            row = Rating(
                customer_id=p.pk, model=model, model_definition=definition, origin="manual",
                state="approved" if last else "superseded", inputs=inputs, inputs_sha256=sha256_of(inputs),
                quantitative_sha256=quantitative_hash(inputs), result=result, score=result["score"],
                model_grade=result["grade"], grade=grade["code"], letter=grade["letter"], pd=grade["pd"],
                created_by=analyst, submitted_by=analyst, submitted_at=at - dt.timedelta(hours=20),
                approved_by=approvers[(p.index + position) % 3], approved_at=at, approved_on=day,
                review_due=_add_months(day, REVIEW_MONTHS.get(grade["letter"], 1)),
                superseded_at=None if last else dt.datetime.combine(history[position + 1][0], dt.time(3, 30),
                                                                    tzinfo=dt.timezone.utc),
                decision_note="同意评级结果。" if position % 3 else "财务与付款记录与评级一致，同意。")
            rows.append((row, at))
            if last:
                current[p.pk] = grade["code"]
        if history and waiting < SUBMITTED and p.status == "active" and p.index % 7 == 3:
            # A renewal rated by the analyst, waiting for an approver since a few days to three weeks.
            waiting += 1
            inputs, result = rng.choice(variants[(p.size, _band(p.health(0)))])
            inputs = {**inputs, "customer": {"id": p.pk, "industry_section": p.section, "size": p.size},
                      "as_of": (today - dt.timedelta(days=3 + 3 * waiting)).isoformat()}
            grade = grades[result["grade"]]
            at = dt.datetime.combine(today - dt.timedelta(days=3 + 3 * waiting), dt.time(2), tzinfo=dt.timezone.utc)
            analyst = analysts[p.index % 2]
            rows.append((Rating(
                customer_id=p.pk, model=model, model_definition=definition, origin="manual", state="submitted",
                inputs=inputs, inputs_sha256=sha256_of(inputs), quantitative_sha256=quantitative_hash(inputs),
                result=result, score=result["score"], model_grade=result["grade"], grade=grade["code"],
                letter=grade["letter"], pd=grade["pd"], created_by=analyst, submitted_by=analyst,
                submitted_at=at), at - dt.timedelta(days=1)))
    bulk_made(Rating, [row for row, _at in rows], [at for _row, at in rows], batch_size=300)
    return current

