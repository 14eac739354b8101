"""Rating histories, and the current ratings settled on each customer's own data."""
from __future__ import annotations

import datetime as dt
import json

from ._common import RATED_SHARE, REVIEW_MONTHS, _add_months
from .pgcopy import Copier, _fmt, next_id


def _ratings(plan, rng, cursor, users, custs, templates, counts):
    from creditportal.core.canonical import sha256_of
    from ratings.models import Rating
    from ratings.selectors import quantitative_hash

    model, definition, variants, grades = templates
    first = next_id(cursor, Rating)
    pk = first
    analyst, analyst2 = users["analyst"], users["analyst2"]
    with Copier(cursor, Rating, ["id", "customer_id", "state", "inputs", "inputs_sha256", "quantitative_sha256",
                                 "result", "score", "model_grade", "grade", "letter", "pd", "approved_at",
                                 "approved_on", "submitted_at", "review_due", "superseded_at", "created_at",
                                 "updated_at"],
                {"model_id": model.pk, "model_definition": definition, "origin": "manual",
                 "created_by_id": analyst.pk, "submitted_by_id": analyst.pk, "approved_by_id": analyst2.pk,
                 "override_grade": "", "override_reason": "", "decision_note": "", "returned_count": 0}) as copy:
        for c in custs:
            if rng.random() >= RATED_SHARE:
                continue
            history = rng.choice([1, 1, 2, 2, 3])
            approved_on = plan.today - dt.timedelta(days=rng.randint(10, 330))
            dates = [approved_on - dt.timedelta(days=365 * k + rng.randint(0, 20)) for k in range(history)][::-1]
            for position, day in enumerate(dates):
                current = position == len(dates) - 1
                band = min(4, max(0, int((c.health + rng.gauss(0, 0.05)) * 5)))
                inputs, result = rng.choice(variants[(c.size, band)])
                inputs = {**inputs, "customer": {"id": c.id, "industry_section": c.industry, "size": c.size},
                          "as_of": day.isoformat()}
                grade = grades[result["grade"]]
                at = dt.datetime.combine(day, dt.time(3, 30), tzinfo=dt.timezone.utc)
                review_due = _add_months(day, REVIEW_MONTHS.get(grade["letter"], 1))
                # Hash of the canonical JSON, like the services (sha over 250k snapshots: a few seconds).
                copy.row(pk, c.id, "approved" if current else "superseded", inputs, sha256_of(inputs),
                         quantitative_hash(inputs), result, result["score"], result["grade"], grade["code"],
                         grade["letter"], grade["pd"], at, day, at - dt.timedelta(hours=20), review_due,
                         None if current else at + dt.timedelta(days=365), at - dt.timedelta(days=1),
                         at if current else at + dt.timedelta(days=365))
                pk += 1
                if current:
                    c.grade = grade["code"]
    counts["ratings"] = pk - first


def _settle_ratings(plan, cursor, custs, templates):
    """Each current rating becomes the model's result on the customer's own data as of the day before the
    business date, as last night's batch left the portfolio (every proposal decided): the templates gave the
    ratings a plausible history, this gives them the figures a real rating of this customer would show.
    Tonight's batch then sees what moved in a day (invoices entering and leaving the behaviour window),
    not a portfolio whose every rating disagrees with its data. Expert scores, dates and approvers stay."""
    from creditportal.core.canonical import jsonable, sha256_of
    from ratings import selectors
    from ratings.engine import evaluate
    from ratings.engine.scorecard import ModelDefinition
    from ratings.models import Rating
    from ratings.providers import behaviour_facts_for

    model, definition, _variants, grades = templates
    parsed = ModelDefinition(definition)
    last_night = plan.today - dt.timedelta(days=1)
    window = selectors.behaviour_window(last_night, definition.get("settings"))
    facts = {selectors.window_key(window): behaviour_facts_for(None, window)}
    settings = {"_": definition.get("settings") or {}}
    by_id = {c.id: c for c in custs}
    cursor.execute("SELECT id, customer_id, approved_on, inputs -> 'expert_scores', inputs ->> 'as_of' "
                   "FROM ratings_rating WHERE state = 'approved' ORDER BY customer_id")
    current = cursor.fetchall()
    cursor.execute("CREATE TEMP TABLE settled_rating (id bigint PRIMARY KEY, inputs jsonb, inputs_sha256 text, "
                   "quantitative_sha256 text, result jsonb, score numeric, model_grade text, grade text, "
                   "letter text, pd numeric, review_due date) ON COMMIT DROP")
    # One COPY per chunk, after the chunk's reads: the connection can't run a query in the middle of a COPY.
    for start in range(0, len(current), selectors.BATCH_CHUNK):
        rows = current[start:start + selectors.BATCH_CHUNK]
        customers = selectors.customers_by_id([r[1] for r in rows])
        inputs_by = selectors.gather_inputs(customers, on_date=last_night, behaviour=facts,
                                            settings_by_customer={c.pk: settings["_"] for c in customers})
        lines = []
        for rating_id, customer_id, approved_on, experts, as_of in rows:
            experts = json.loads(experts) if isinstance(experts, str) else experts  # raw jsonb is text here
            inputs = {**inputs_by[customer_id], "expert_scores": experts or {}, "as_of": as_of}
            result = jsonable(evaluate(parsed, inputs).as_dict())
            grade = grades[result["grade"]]
            review_due = _add_months(approved_on, REVIEW_MONTHS.get(grade["letter"], 1))
            lines.append("\t".join(map(_fmt, (
                rating_id, inputs, sha256_of(inputs), selectors.quantitative_hash(inputs), result,
                result["score"], result["grade"], grade["code"], grade["letter"], grade["pd"],
                review_due))) + "\n")
            if customer_id in by_id:
                by_id[customer_id].grade = grade["code"]
        with cursor.copy("COPY settled_rating FROM STDIN") as copy:
            copy.write("".join(lines))
    cursor.execute("UPDATE ratings_rating r SET inputs = s.inputs, inputs_sha256 = s.inputs_sha256, "
                   "quantitative_sha256 = s.quantitative_sha256, result = s.result, score = s.score, "
                   "model_grade = s.model_grade, grade = s.grade, letter = s.letter, pd = s.pd, "
                   "review_due = s.review_due FROM settled_rating s WHERE r.id = s.id")
