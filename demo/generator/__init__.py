"""A realistic portfolio at scale, loaded set-wise with PostgreSQL ``COPY`` (psycopg 3 ``cursor.copy``).

Used by ``manage.py generate_portfolio`` and the benchmarks (``bench/``). Deterministic: the same
``seed``, size and business date (``clock.today()``) give the same rows.

What one customer gets (proportions are of the customers):

* master data with a valid unified social credit code (GB 32100-2015 check character), an industry,
  a size, a relationship manager; about 35% belong to a group of related companies (2–8 members);
* three annual statements (year ends of the last three years), balanced (assets = liabilities + equity),
  their figures driven by one hidden "health" figure so ratios, ratings and payment behaviour agree;
* ~10 invoices over the last 18 months (some in USD/EUR/HKD), paid on time, late or not at all by the
  customer's payment habit, with payments and their allocations (a few partial payments);
* 85%: a rating history of 1–3 ratings (older ones superseded, the newest approved, its review date by
  letter), each with a real engine result from the shipped corporate model;
* 75% of the active: an approved application and its facility (invoices draw on it), a few orders;
  about 3% carry an application in progress;
* 60%: the relationship manager's answer on competitors' share; 4%: negative records;
* about 6% (mostly the weak ones): alerts of the shipped warning rules.

Rows are written with explicit ids (max(id) + 1 …) and every sequence is moved past them afterwards,
then the tables are vacuumed and ANALYZEd, so the planner sees the real sizes at once.

One module per step; this package re-exports their public names (``from demo import generator``):

* ``_common`` — the portfolio's proportions, the plan, a customer's hidden figures, credit codes;
* ``pgcopy`` — rows streamed with ``COPY``, ids chosen up front, sequences moved, foreign keys dropped and re-added;
* ``templates`` — the demo logins, FX rates and the rating templates evaluated by the real engine;
* ``customers`` — customers, groups, statements, behaviour inputs and negative records;
* ``ratings`` — rating histories and the current ratings settled on each customer's own data;
* ``receivables`` — applications, facilities, orders, invoices, payments, allocations and alerts;
* ``load`` — ``generate`` (every step in one transaction), reset, the summary and the fingerprint.
"""
from ._common import (
    CODE_CHARSET, COMPETITOR_SHARE, CURRENCY_MIX, Cust, FACILITY_SHARE, GROUP_SHARE, INDUSTRIES, LEGAL_FORMS,
    NAME_TRADES, NAME_WORDS, NEGATIVE_KINDS, Plan, RATED_SHARE, REGIONS, REVENUE_RANGE, REVIEW_MONTHS, SIZES,
    credit_code,
)
from .pgcopy import Copier, cents, foreign_keys_dropped, move_sequence, next_id
from .load import (
    LOADED_TABLES, PORTFOLIO_TABLES, describe, fingerprint, generate, portfolio_is_empty, reset_portfolio,
)
