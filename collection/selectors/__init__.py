"""Reads shared by pages, API and tasks: aging (one GROUP BY in the database), DSO, work queue, behaviour facts.

Amounts of several currencies are converted in the database with the FX rates valid on the business date
(one query for the rates), so the aging sums, sorts and paginates without loading invoices into Python.
On PostgreSQL the aging is hand-shaped SQL (``AgingRows``, ``aging_portfolio``): the rates joined as a
VALUES list so that each open invoice is converted once, GROUP BY ``customer_id`` alone over the partial
index of open invoices, the names and the DSO sales read for the rows of the page only. Elsewhere
``reporting_amount`` builds a ``CASE currency WHEN 'USD' THEN amount × rate …`` for the ORM. While the
per-customer summary is complete for today (``aging_summary``), the aging page, API and files read it instead.

A package of sections (``aging``, ``receivables``, ``cases``, ``dunning``; the reporting-currency amounts in
``_common``); callers keep ``from collection import selectors; selectors.x(...)``.
"""
from .. import rules  # noqa: F401  (``selectors.rules`` as before)
from ._common import DSO_DAYS, DaysBetween, MONEY, ZERO, rates_to_reporting, reporting_amount  # noqa: F401
from .aging import (  # noqa: F401
    AGING_BUCKET_LABELS,
    AgingRows,
    SORTS,
    aging_by_customer,
    aging_portfolio,
    aging_invoices,
    aging_queryset,
    aging_summary_select,
    aging_summary_values,
    customer_filters,
    customer_tab,
    with_active_case_of,
)
from .aging_summary import SummaryAgingRows, aging_summary, rates_digest, summary_complete  # noqa: F401
from .receivables import (  # noqa: F401
    behaviour_rows,
    days_past_due,
    late_fees,
    open_late_fees,
    oldest_overdue,
    overdue_amounts,
    open_amounts_at,
    open_amounts_by_customer,
    open_amounts_by_facility,
)
from .cases import (  # noqa: F401
    CASE_TRANSITIONS,
    active_case_states,
    case_actions,
    case_totals,
    work_queue,
    worklist,
    writeoffs_awaiting,
)
from .dunning import dunning_change_rows, dunning_changes  # noqa: F401
from .terms import invoice_terms, open_invoices_beyond_terms  # noqa: F401,E402
