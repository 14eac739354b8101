"""Every write and business rule of ratings. Services are ``<entity>_<action>(*, actor, ...)``, run in one
transaction, check permissions with ``access.require`` (four-eyes with ``access.require_other_person``),
lock rows before transitions and write the audit trail in the same transaction.

Events (``creditportal.core.events``, delivered on commit):
    ratings.rating_approved     rating_id, customer_id
    ratings.downgrades_proposed  rating_ids, customer_ids   (one event per batch chunk / re-check)"""
from ._common import RATING_AUDIT_FIELDS
from .computing import reproduce
from .workflow import (rating_start, rating_refresh_inputs, expert_score_set, expert_scores_set, rating_override,
                       rating_submit, rating_approve, rating_return, rating_reject)
from .behaviour_input import behaviour_input_set
from .configuration import (scale_create, scale_update, MODEL_SETTINGS, model_create, model_update, model_new_version,
                            FACTOR_FIELDS, factor_save, factor_delete, model_activate, model_retire, POLICY_FIELDS,
                            policy_update)
from .batch import (BATCH_START_LOCK, MAX_BATCH_ERRORS, batch_start, BatchContext, batch_run, batch_chunk_run,
                    rating_recheck, _send_chunks)
from .stalls import nightly_batch_start, StallOutcome, batch_check_stalled, RunNowOutcome, batch_run_now

__all__ = ["RATING_AUDIT_FIELDS", "reproduce", "rating_start", "rating_refresh_inputs", "expert_score_set",
           "expert_scores_set",
           "rating_override", "rating_submit", "rating_approve", "rating_return", "rating_reject",
           "behaviour_input_set", "scale_create", "scale_update", "MODEL_SETTINGS", "model_create", "model_update",
           "model_new_version", "FACTOR_FIELDS", "factor_save", "factor_delete", "model_activate", "model_retire",
           "POLICY_FIELDS", "policy_update", "BATCH_START_LOCK", "MAX_BATCH_ERRORS", "batch_start", "BatchContext",
           "batch_run", "batch_chunk_run", "rating_recheck", "_send_chunks", "nightly_batch_start",
           "StallOutcome", "batch_check_stalled", "RunNowOutcome", "batch_run_now"]
