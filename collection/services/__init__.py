"""Every write of the collection app: receivables, imports, dunning, cases, promises, write-offs.

Services take keyword-only arguments with an explicit ``actor``, run in one transaction, check the
permission with ``access.require``, write the audit trail in the same transaction and send side effects
(mail, PDFs, other apps' reactions) only after commit.

A package of sections (``aging``, ``receivables``, ``imports``, ``dunning_policy``, ``dunning``, ``cases``, ``writeoffs``,
``daily``; shared helpers in ``_common``); callers keep ``from collection import services; services.x(...)``.
"""
from ._common import User, ZERO, COLLECTOR_GROUP
from .aging import aging_summary_refresh, aging_summary_invalidate  # noqa: F401
from .receivables import INVOICE_FIELDS, invoice_create, ALLOCATION_MESSAGES, payment_post, claim_payout_create
from .imports import INVOICE_COLUMNS, PAYMENT_COLUMNS, ImportResult, ImportRefused, invoices_import, payments_import
from .dunning_policy import (  # noqa: F401
    POLICY_FIELDS,
    LEVEL_FIELDS,
    pending_dunning_changes,
    dunning_policy_propose,
    dunning_level_propose,
)
from .dunning_grades import (  # noqa: F401
    DUNNING_GRADE_KIND,
    customer_letters,
    dunning_grade_propose,
    dunning_policy_for,
    policies_by_letter,
)
from .dunning import (  # noqa: F401
    active_policy,
    DUNNING_LOCK_KEY,
    DunningRunResult,
    dunning_run,
    dunning_close_settled,
    dunning_action_execute,
    dunning_task_complete,
)
from .cases import (  # noqa: F401
    case_open,
    case_assign,
    case_start,
    case_escalate,
    case_close,
    case_mark_paid,
    cases_settle_paid,
    activity_add,
    promise_add,
    promises_evaluate,
)
from .writeoffs import writeoff_propose, writeoff_approve, writeoff_reject, recovery_record
from .daily import daily_run, RUN_NOW_STATUS_TTL, dunning_run_now_status, dunning_run_now, dunning_run_now_execute
