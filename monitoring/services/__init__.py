"""Every write of the monitoring app: rule evaluation and alerts, watchlist, classification, provisions.

Services take keyword-only arguments with an explicit ``actor``, check the permission with
``access.require``, run in one transaction and write the audit trail in it. Automatic work (the daily
evaluation, the month-end run) acts as ``accounts.system.system_user()`` through these same services.

One module per section; this package re-exports their public names (``from monitoring import services``):

* ``_common`` — helpers shared by the sections (chunks, the visible-customer check, bulk audit, month ends);
* ``evaluation`` — the rules evaluated set-wise into alerts;
* ``alerts`` — the alert workflow and the recommended actions started from an alert;
* ``configuration`` — warning rules and provision rates, proposed and approved four-eyes;
* ``watchlist`` — the watchlist;
* ``classification`` — the monthly asset classification and manual reclassification;
* ``provisions`` — the month-end provision run;
* ``dashboard`` — the portfolio dashboard's snapshot recomputed on request.
"""
from ._common import CHUNK, ZERO, default_period, log, month_end
from .evaluation import alerts_evaluate, evaluation_customer_ids
from .alerts import (
    alert_acknowledge, alert_dismiss, alert_resolve, alert_start_action, available_actions,
    recommended_actions_for,
)
from .configuration import (
    REQUIRED_RULE_FIELDS, RULE_FIELDS, current_rates, pending_rate_change, pending_rule_changes,
    provision_rates_propose, warning_rule_propose,
)
from .watchlist import may_watch_from_alert, watchlist_add, watchlist_end, watchlist_update
from .classification import (
    _exposures, classification_approve, classification_available_actions, classification_reject,
    classification_request, classification_run, grade_floors, rating_letters, reclassification_tiers,
)
from .provisions import provision_run
from .dashboard import DASHBOARD_PERMISSIONS, dashboard_refresh_request
