"""The re-rating batch.

``batch_start`` records the batch; ``batch_run`` (task ``ratings.run_rating_batch``) splits the customers
into chunks (``RatingBatchChunk`` rows, made once) and sends one task per chunk
(``ratings.run_rating_chunk``), so every worker process takes its share. ``batch_chunk_run`` rates one chunk
in one transaction: its proposals, their audit events, ``done_at`` and the batch's counters (``F()``
updates) commit together, so a chunk delivered twice (a worker killed before the acknowledgement) does
nothing the second time. The transaction that completes the last chunk finishes the batch, exactly once.
"""
from __future__ import annotations

import logging

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.system import system_user
from audit.models import AuditEvent
from audit.services import audit_record, snapshot
from creditportal.core import access, clock
from creditportal.core.canonical import jsonable, sha256_of
from creditportal.core.errors import Conflict, ValidationFailed
from creditportal.core.events import publish_on_commit
from creditportal.core.tasks import enqueue, enqueue_many

from .. import selectors
from ..engine.behaviour import BehaviourFacts
from ..engine.scale import ScaleError
from ..engine.evaluation import grade_of
from ..engine.scorecard import EngineError, ModelDefinition
from ..models import BatchStatus, ExpertScore, Rating, RatingBatch, RatingBatchChunk, RatingsPolicy, RatingState
from ._common import _rating_state
from .computing import _evaluate, _apply_result, _require_behaviour_readable

log = logging.getLogger(__name__)

BATCH_START_LOCK = 7_301_001  # pg_advisory_xact_lock key: one re-rating batch start at a time
MAX_BATCH_ERRORS = 200  # error details kept on the batch (the count is complete)


@transaction.atomic
def batch_start(*, actor, kind: str = "manual", in_worker: bool = True) -> RatingBatch:
    """Record a batch and run it in the worker (after commit); ``in_worker=False``: the caller runs it."""
    access.require(actor, "ratings.run_rating_batch")
    if connection.vendor == "postgresql":
        # select_for_update below locks nothing when no batch exists: two starts at once would both pass and
        # both propose a rating per customer. A transaction-scoped advisory lock makes the starts take turns.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [BATCH_START_LOCK])
    running = RatingBatch.objects.select_for_update().filter(status__in=[BatchStatus.QUEUED, BatchStatus.RUNNING]).first()
    if running is not None:
        raise Conflict(_("A re-rating batch is already queued or running (started %(when)s).")
                       % {"when": running.created_at.strftime("%Y-%m-%d %H:%M")})
    batch = RatingBatch.objects.create(kind=kind, business_date=clock.today(), started_by=actor,
                                       heartbeat_at=clock.instant())
    audit_record(actor=actor, action=AuditEvent.Action.RUN, obj=batch, verb="batch_start", after=snapshot(batch))
    if in_worker:
        from ..tasks import run_rating_batch

        enqueue(run_rating_batch, batch.pk)
    return batch


class BatchContext:
    """What every chunk of a batch shares: the active models, each definition as a snapshot dict (stored on the
    proposals) and parsed once (``ModelDefinition``, for the engine), and the ratings policy."""

    def __init__(self):
        self.models = selectors.active_models()
        self.definitions = {m.pk: jsonable(selectors.definition_of(m)) for m in self.models}
        self.parsed = {}
        self.broken = {}
        for pk, definition in self.definitions.items():
            try:
                self.parsed[pk] = ModelDefinition(definition)
            except (EngineError, ScaleError) as exc:
                self.broken[pk] = str(exc)
        self.policy = RatingsPolicy.current()


def batch_run(*, batch_id: int, chunk_size: int | None = None, in_worker: bool = False) -> RatingBatch:
    """Run a recorded batch as the system user: for customers with a current rating whose quantitative
    inputs changed, re-compute the rating; where the model's grade would change, create a proposed rating.

    The first call splits the customers into chunks; every call (a re-delivered task too) sends the chunks
    not done yet to the workers (``in_worker``) or runs them here. Set-wise: each chunk costs a fixed
    number of queries whatever its size. Idempotent: one rating per batch and customer, each chunk counted
    once, and no customer gets a second proposal for the same inputs.
    """
    actor = system_user()
    access.require(actor, "ratings.run_rating_batch")
    with transaction.atomic():
        batch = RatingBatch.objects.select_for_update().get(pk=batch_id)
        if batch.is_done:
            return batch
        if batch.status == BatchStatus.QUEUED:
            customer_ids = selectors.customers_for_batch()
            size = max(1, chunk_size or selectors.BATCH_CHUNK)
            # Each chunk reads its own customers' payment behaviour when it runs (``gather_inputs``: one pass per
            # behaviour window over their invoices, ~0.15 s for 2,000 customers at 100k), so the split is only
            # the list of ids and the whole batch divides across the workers. A portfolio-wide pass here, handed
            # to the chunks, was the batch's serial part: 30–45 s of 50 at 100k customers, 1.06× with two
            # processes.
            chunks = [RatingBatchChunk(batch=batch, index=n, customer_ids=customer_ids[start:start + size])
                      for n, start in enumerate(range(0, len(customer_ids), size))]
            RatingBatchChunk.objects.bulk_create(chunks)
            batch.status, batch.started_at, batch.total = BatchStatus.RUNNING, timezone.now(), len(customer_ids)
            batch.heartbeat_at = clock.instant()
            batch.chunk_count, batch.chunks_done = len(chunks), 0
            batch.processed = batch.changed = batch.proposed = batch.downgrades = batch.error_count = 0
            batch.errors = []
            batch.save()
            if not chunks:
                _batch_finish(batch.pk, actor)
        pending = list(RatingBatchChunk.objects.filter(batch_id=batch.pk, done_at__isnull=True)
                       .order_by("index").values_list("index", flat=True))
        if in_worker and pending:
            _send_chunks(batch.pk, pending)
    if not in_worker:
        context = BatchContext()
        for index in pending:
            batch_chunk_run(batch_id=batch.pk, index=index, context=context)
    return RatingBatch.objects.get(pk=batch.pk)


def _carry_experts(proposals, codes_of):
    """A proposal reuses the experts' scores of the rating it would replace: those experts are among its
    makers, so their score rows come with it (two queries for all the proposals)."""
    previous = {p.previous_rating_id: p for p in proposals if getattr(p, "previous_rating_id", None)}
    if not previous:
        return
    rows = []
    for rating_id, factor_code, expert_id, score, comment in ExpertScore.objects.filter(
            rating_id__in=list(previous)).values_list("rating_id", "factor_code", "expert_id", "score", "comment"):
        proposal = previous[rating_id]
        if factor_code in codes_of.get(proposal.model_id, ()):
            rows.append(ExpertScore(rating=proposal, factor_code=factor_code, expert_id=expert_id, score=score,
                                    comment=comment))
    ExpertScore.objects.bulk_create(rows, ignore_conflicts=True)


def _facts_parse(facts):
    return facts if isinstance(facts, dict) and "error" in facts else BehaviourFacts.from_any(facts)


def _send_chunks(batch_id, indexes):
    """One ``run_rating_chunk`` per chunk, written to the outbox in the caller's transaction (sent on commit)."""
    from ..tasks import run_rating_chunk

    enqueue_many(run_rating_chunk, [((batch_id, index), {}) for index in indexes])


def batch_chunk_run(*, batch_id: int, index: int, context: BatchContext | None = None) -> bool:
    """Rate one chunk of a running batch (False: already done, or the batch is no longer running)."""
    actor = system_user()
    access.require(actor, "ratings.run_rating_batch")
    try:
        with transaction.atomic():
            chunk = (RatingBatchChunk.objects.select_for_update(of=("self",)).select_related("batch")
                     .filter(batch_id=batch_id, index=index).first())
            if chunk is None or chunk.done_at is not None or chunk.batch.status != BatchStatus.RUNNING:
                return False
            behaviour = {key: {int(k): _facts_parse(v) for k, v in by_customer.items()}
                         for key, by_customer in (chunk.behaviour or {}).items()}
            outcome = _rate_customers(chunk.customer_ids, actor, chunk.batch, context or BatchContext(),
                                      behaviour=behaviour)
            chunk.done_at = timezone.now()
            chunk.save(update_fields=["done_at"])
            counters = {"processed": len(chunk.customer_ids), "changed": outcome["changed"],
                        "proposed": len(outcome["created"]), "downgrades": len(outcome["downgrades"]),
                        "error_count": len(outcome["errors"]), "chunks_done": 1}
            RatingBatch.objects.filter(pk=batch_id).update(**{k: F(k) + v for k, v in counters.items()},
                                                           heartbeat_at=clock.instant(), stall_resumes=0)
            if outcome["errors"]:
                batch = RatingBatch.objects.select_for_update().only("errors").get(pk=batch_id)
                kept = list(batch.errors or [])
                batch.errors = kept + outcome["errors"][: max(0, MAX_BATCH_ERRORS - len(kept))]
                batch.save(update_fields=["errors"])
            _batch_finish(batch_id, actor)
    except OperationalError:
        raise  # the task retries (a lost connection, a deadlock): nothing of the chunk was kept
    except Exception as exc:  # noqa: BLE001 - recorded on the batch, then re-raised for the worker's log
        RatingBatch.objects.filter(pk=batch_id, status=BatchStatus.RUNNING).update(
            status=BatchStatus.FAILED, finished_at=timezone.now(),
            errors=[{"chunk": index, "error": str(exc)[:500]}])
        raise
    return True


def _batch_finish(batch_id, actor):
    """Finish the batch when its last chunk is done (inside that chunk's transaction: exactly once)."""
    finished = (RatingBatch.objects.filter(pk=batch_id, status=BatchStatus.RUNNING, chunks_done=F("chunk_count"))
                .update(status=BatchStatus.FINISHED, finished_at=timezone.now()))
    if finished:
        batch = RatingBatch.objects.get(pk=batch_id)
        audit_record(actor=actor, action=AuditEvent.Action.RUN, obj=batch, verb="batch_finished",
                     after=snapshot(batch))


def _rate_customers(ids, actor, batch, context: BatchContext, behaviour: dict | None = None) -> dict:
    """Re-rate some customers (set-wise); with ``batch=None`` (a single customer's new data) the proposals
    belong to no batch. ``behaviour``: their payment facts, already read (see ``gather_inputs``).
    Returns ``{"created", "changed", "errors", "downgrades"}``; publishes one
    ``ratings.downgrades_proposed`` event for all the downgrades among the proposals."""
    on_date = batch.business_date if batch is not None else clock.today()
    customers = selectors.customers_by_id(ids)
    current = selectors.current_ratings_for_batch(ids)
    inputs_by_customer = selectors.gather_inputs(customers, on_date=on_date, models=context.models,
                                                 behaviour=behaviour)
    seen = set(Rating.objects.filter(customer_id__any=ids).values_list("customer_id", "quantitative_sha256"))
    open_ids = set(Rating.objects.filter(customer_id__any=ids, state__in=[RatingState.PROPOSED, RatingState.DRAFT,
                                                                         RatingState.SUBMITTED])
                   .values_list("customer_id", flat=True))
    already = (set(Rating.objects.filter(batch=batch, customer_id__any=ids).values_list("customer_id", flat=True))
               if batch is not None else set())
    new_ratings, errors, changed = [], [], 0
    as_of = on_date.isoformat()
    codes_of = {pk: set(selectors.qualitative_codes(d)) for pk, d in context.definitions.items()}
    for customer in customers:
        rating = current.get(customer.pk)
        if rating is None or customer.pk in already:
            continue
        try:
            model = selectors.model_for(customer, context.models)
            if model is None:
                raise ValidationFailed(_("No active rating model applies to this customer."))
            parsed = context.parsed.get(model.pk)
            if parsed is None:
                raise ValidationFailed(_("The rating model cannot rate these inputs: %(error)s")
                                       % {"error": context.broken.get(model.pk, "")})
            codes = codes_of[model.pk]
            _require_behaviour_readable(inputs_by_customer[customer.pk])
            inputs = {**inputs_by_customer[customer.pk], "as_of": as_of,
                      "expert_scores": {k: v for k, v in (rating.expert_scores_snapshot or {}).items()
                                        if k in codes}}
            qhash = selectors.quantitative_hash(inputs)
            if qhash == rating.quantitative_sha256 or (customer.pk, qhash) in seen:
                continue
            changed += 1
            if customer.pk in open_ids:
                continue
            try:  # the grade alone (no explanation) decides whether there is anything to propose
                grade = grade_of(parsed, inputs)
            except (EngineError, ScaleError) as exc:
                raise ValidationFailed(_("The rating model cannot rate these inputs: %(error)s")
                                       % {"error": exc}) from exc
            if grade == rating.model_grade and model.pk == rating.model_id:
                continue
            inputs = jsonable(inputs)
            proposal = Rating(customer=customer, model=model, model_definition=context.definitions[model.pk],
                              inputs=inputs, inputs_sha256=sha256_of(inputs), quantitative_sha256=qhash,
                              origin="batch", batch=batch, created_by=actor, state=RatingState.PROPOSED)
            _apply_result(proposal, _evaluate(parsed, inputs), parsed.scale)
            proposal.state_is_downgrade = selectors.grade_rank(proposal.grade) > selectors.grade_rank(rating.grade)
            proposal.previous_rating_id = rating.id
            new_ratings.append(proposal)
        except Exception as exc:  # noqa: BLE001 - one customer's failure must not stop the batch
            log.warning("rating batch %s: customer %s failed: %s", getattr(batch, "pk", None), customer.pk, exc)
            errors.append({"customer_id": customer.pk, "error": str(getattr(exc, "message", exc))[:300]})
    try:
        with transaction.atomic():
            created = Rating.objects.bulk_create(new_ratings)
    except IntegrityError:  # a concurrent run made some of them: keep the batch idempotent
        created = []
        for proposal in new_ratings:
            try:
                with transaction.atomic():
                    proposal.save()
                created.append(proposal)
            except IntegrityError:
                continue
    _carry_experts(created, codes_of)
    verb = "batch_proposal" if batch is not None else "new_data_proposal"
    AuditEvent.objects.bulk_create([
        AuditEvent(actor_id=actor.pk, actor_username=actor.username, action=AuditEvent.Action.CREATE, verb=verb,
                   object_type="ratings.rating", object_id=str(r.pk), object_repr=str(r)[:255],
                   after=jsonable(_rating_state(r)))
        for r in created])
    downgrades = [r for r in created if getattr(r, "state_is_downgrade", False)]
    if downgrades:
        publish_on_commit("ratings.downgrades_proposed", rating_ids=[r.pk for r in downgrades],
                          customer_ids=[r.customer_id for r in downgrades])
    return {"created": created, "changed": changed, "errors": errors, "downgrades": downgrades}


@transaction.atomic
def rating_recheck(*, customer_id: int) -> Rating | None:
    """New data for one customer (a statement, a payment): re-rate its quantitative part as the system user
    and propose a rating if the model's grade would change (the same rule as the nightly batch)."""
    actor = system_user()
    access.require(actor, "ratings.add_rating")
    if not Rating.objects.filter(customer_id=customer_id, state=RatingState.APPROVED).exists():
        return None
    created = _rate_customers([customer_id], actor, None, BatchContext())["created"]
    return created[0] if created else None
