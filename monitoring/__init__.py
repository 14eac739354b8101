"""Monitoring: early-warning rules and alerts, the watchlist, asset classification and provisions, and the
portfolio dashboard (design brief §1 step 6 and §3 "Asset classification").

Definitions used throughout (one place each):

* Exposure of a customer = the outstanding amount (amount − paid − written off) of its open invoices,
  converted into ``settings.REPORTING_CURRENCY`` with the ``RateTable`` of the business date
  (``services._exposures`` for classification and provisions; ``selectors.converted`` does the same
  conversion inside SQL for the dashboard).
* Days past due of a customer = days since the due date of its oldest open invoice (by debtor: the worst
  exposure sets the tier of all of them); the tier floor is ``rules.classify``.
* Rule metrics are defined in ``metrics`` (one function per ``Metric``); ``defaults`` lists the shipped
  rules, loaded by migration 0002 and adjustable by a risk admin.
* Alerts: one active (open or acknowledged) alert per rule and customer, enforced by a partial unique
  constraint; re-evaluation updates it; a condition that no longer holds sets ``still_firing = False``
  and leaves closing it to a person.
* Evaluation runs daily (beat entry ``monitoring-evaluate-daily``, once per business date through
  ``run_once``; on a month end it also classifies and provisions the month) and after the events listed
  in ``apps.CUSTOMER_EVENTS``/``FACILITY_EVENTS`` for the customer concerned, always as the system user.
"""
