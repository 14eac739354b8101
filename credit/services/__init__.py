"""Every write and business rule of the credit app.

Services are ``<entity>_<action>(*, actor, ...)``, run in one transaction, check the actor's permission
(``access.require``) and the object scope (``visible_to``), lock the row before a transition
(``select_for_update``) and re-check the state — and for approvals the level — after the lock, write the
audit trail in the same transaction and publish events on commit:

    credit.facility_changed      facility_id             (opened, limit changed, suspended, resumed, ...)
    credit.covenant_breached     breach_id, covenant_id, customer_id, application_id

Public entry points used by other apps: ``facility_suspend(*, actor, facility, reason)`` and
``facility_resume(*, actor, facility, reason)`` (collection's dunning, acting as the system user),
``limit_check`` / ``order_record`` / ``order_release``.

The parts, by section: ``configuration`` (credit policy, authority matrix, delegations, group limits),
``applications`` (application data and the analysis), ``workflow`` (the application's transitions and
``available_actions``), ``facilities`` (facilities, limit control, covenant tests); ``_common`` holds the
helpers they share. Callers keep ``from credit import services; services.x(...)``.
"""
from ._common import (  # noqa: F401
    LIMIT_REASON_LABELS,
    S,
    User,
    VIOLATION_LABELS,
    ZERO,
    add_months,
    limit_reason_text,
    system_actor,
    violation_text,
)
from .configuration import (  # noqa: F401
    APPROVER_AUTHORITY_KIND,
    AUTHORITY_LEVEL_KIND,
    DELEGATION_KIND,
    GROUP_LIMIT_KIND,
    RULE_FIELDS,
    approver_authority_propose,
    authority_level_propose,
    delegation_create,
    delegation_revoke,
    group_limit_propose,
    policy_activate,
    policy_create,
    policy_update,
)
from .applications import (  # noqa: F401
    APPLICATION_FIELDS,
    CHANGE_TYPES,
    analyse,
    application_create,
    application_update,
    latest_statement_figures,
    secured_amount,
    security_item_json,
)
from .terms import (  # noqa: F401
    application_terms,
    customer_grade_terms,
    trade_terms_view,
)
from .workflow import (  # noqa: F401
    ACTIONS,
    application_approve,
    application_recommend,
    application_reject,
    application_return,
    application_start_review,
    application_submit,
    application_withdraw,
    approval_refusal,
    available_actions,
)
from .facilities import (  # noqa: F401
    covenants_test_statement,
    facilities_expire_due,
    facility_close,
    facility_reduce_limit,
    facility_resume,
    facility_suspend,
    limit_check,
    order_record,
    order_release,
)
from .holds import (  # noqa: F401
    HOLD_REASON_LABELS,
    hold_reason_text,
    hold_reason_texts,
    hold_release,
    holds_evaluate,
    order_check,
    order_check_texts,
)
from .collateral import (  # noqa: F401
    haircuts_propose,
    pending_haircut_change,
    pending_recovery_change,
    recovery_factors_propose,
)
