"""The demo's credit department (issue 21): ~190 customers around the eight hand-made ones, with 24 months of
history, so queues show real ages, dashboards show trends and every page has something true to show.

Deterministic (``SEED``: the same department every run) and relative to the business date; written with the
ORM in bulk (SQLite has no ``COPY``) with the bench generator's rules for the rows (``demo.generator``: proportions,
credit codes, balanced statements by hidden health, payment delays by health, rating templates evaluated by the
real engine), and through the services where a queue's item needs its trail (collection cases and promises).
``manage.py load_demo`` calls it in two steps (``--small`` skips it):

* ``load`` — before monitoring's demo (its nightly rules and the latest month end then see the department):
  customers (Chinese and English names, ≥8 industries and regions, groups of related companies, contacts),
  three annual statements, ratings every review period for 24 months whose grades move with the customer's
  health (upgrades and downgrades), facilities with their opening applications, 26 months of invoices paid on
  time, late or never by health, applications in every state with their decisions and real ages, collection
  cases with activities and promises (due today, broken, to come), closed alerts of the past; then the asset
  classification and provisions of the 24 month ends before the latest, as they were at each (``months``);
* ``settle`` — after monitoring's demo: the ages of the alerts its rules raised today for the department.

Idempotent: a department already loaded (its credit codes exist) is left as it is; the history writes only the
month ends without a provision run, and the alerts are aged once.
"""
from __future__ import annotations

from .loader import load, settle

__all__ = ["load", "settle"]
