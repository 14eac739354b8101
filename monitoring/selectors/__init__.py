"""Reads shared by the pages, the API and the tasks: scoped by ``visible_to(user)``, set-wise, and a
constant number of queries whatever the portfolio's size.

The dashboard aggregates in the database: amounts are converted into the reporting currency inside the
query with the rates of one ``RateTable``; on PostgreSQL every exposure figure comes from one pass over the
open invoices (see ``dashboard``).

One module per section; this package re-exports their public names (``from monitoring import selectors``):

* ``_common`` — helpers shared by the sections (URLs with a query, amounts converted in SQL, open invoices,
  the grade on a date);
* ``alerts`` — the alert list, the customer's alerts tab, work queues and the alert's detail for people;
* ``exposure`` — the exposure list by customer, currencies without a rate and the filters for people;
* ``classification`` — the classification list and the provision run's lines and comparison;
* ``dashboard`` — every figure of the portfolio dashboard;
* ``dashboard_snapshot`` — the dashboard's figures kept in the cache, refreshed in the background;
* ``warning_rules`` — the warning rules and their proposed changes;
* ``watchlist`` — the watchlist's entries.
"""
from ._common import AMOUNT, RATE, ZERO, converted, open_invoices
from .alerts import (
    ALERT_DETAIL_LABELS, ALERT_SORTS, SEVERITY_ORDER, alert_detail_rows, alert_list, customer_alerts_tab,
    my_open_alerts, reclassifications_awaiting,
)
from .exposure import currencies_without_rate, exposure_filter_labels, exposure_list
from .classification import classification_list, provision_comparison, provision_lines
from .dashboard import dashboard, dashboard_figures, dashboard_range, with_labels
from .dashboard_snapshot import dashboard_for, dashboard_snapshot_refresh, snapshot_scope
from .warning_rules import rule_change_rows, rule_changes_list, rules_list
from .watchlist import watchlist_entries
