"""Loading the portfolio: every step in one transaction, then the sequences and VACUUM/ANALYZE; reset,
summary and fingerprint."""
from __future__ import annotations

import hashlib
import random
import time

from django.db import connection, transaction

from ._common import Plan
from .customers import _behaviour_and_negative, _customers, _statements
from .pgcopy import _TOUCHED, foreign_keys_dropped, move_sequence
from .ratings import _ratings, _settle_ratings
from .receivables import _alerts, _credit, _receivables
from .templates import _model_and_templates, _users


LOADED_TABLES = [
    # Their foreign keys are dropped during the load and added back (validated) at its end.
    "customers_customer", "customers_customergroup", "customers_financialstatement", "customers_negativerecord",
    "ratings_behaviourinput", "ratings_rating", "credit_creditapplication", "credit_facility", "credit_order",
    "collection_invoice", "collection_payment", "collection_paymentallocation", "monitoring_alert",
]

PORTFOLIO_TABLES = [
    # Truncated (CASCADE) by --reset: every table that hangs off a customer goes with it.
    "customers_customergroup", "customers_customer", "ratings_ratingbatch",
]


def portfolio_is_empty() -> bool:
    from customers.models import Customer

    return not Customer.objects.exists()


def reset_portfolio():
    from collection.services import aging_summary_invalidate

    aging_summary_invalidate()  # the summary goes with the customers (CASCADE): read live until the load's refresh
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in PORTFOLIO_TABLES) + " CASCADE")


def generate(plan: Plan) -> dict:
    """Load the portfolio; returns the row counts per table."""
    from creditportal.core import clock

    plan.today = plan.today or clock.today()
    rng = random.Random(plan.seed)
    _TOUCHED.clear()
    started = time.perf_counter()
    counts: dict[str, int] = {}

    def step(name, fn, *args):
        t0 = time.perf_counter()
        result = fn(*args)
        plan.timings[name] = time.perf_counter() - t0
        plan.log(f"  {name}: {plan.timings[name]:.1f} s")
        return result

    with transaction.atomic():
        users = step("users and FX rates", _users, plan, rng)
        templates = step("rating templates (engine)", _model_and_templates, rng)
        with connection.cursor() as wrapper, foreign_keys_dropped(wrapper.cursor, LOADED_TABLES) as keys:
            cursor = wrapper.cursor  # psycopg 3 cursor: .copy()
            if connection.vendor == "postgresql":
                # The load's own transaction only: the foreign keys' set-wise checks at its end hash and sort
                # whole tables (10M invoices at the huge size), far past the server's default 4 MB / 64 MB.
                cursor.execute("SET LOCAL work_mem = '256MB'")
                cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            customers = step("customers and groups", _customers, plan, rng, cursor, users, counts)
            step("statements", _statements, plan, rng, cursor, users, customers, counts)
            step("behaviour inputs, negative records", _behaviour_and_negative, plan, rng, cursor, users,
                 customers, counts)
            step("ratings", _ratings, plan, rng, cursor, users, customers, templates, counts)
            step("applications, facilities, orders", _credit, plan, rng, cursor, users, customers, counts)
            step("invoices, payments, allocations", _receivables, plan, rng, cursor, users, customers, counts)
            # The settling reads the loaded tables chunk by chunk through the portal's own selectors: without
            # statistics (autovacuum cannot see this transaction's rows) the planner takes 3M statements and 10M
            # invoices for empty tables and scans them whole for each chunk (12 s a chunk at the huge size).
            # ANALYZE in the transaction samples its own rows.
            step("statistics before the settling", _analyze, cursor)
            step("current ratings settled on own data", _settle_ratings, plan, cursor, customers, templates)
            step("alerts", _alerts, plan, rng, cursor, users, customers, counts)
            step("sequences", _sequences, cursor)
            t0 = time.perf_counter()
        plan.timings["foreign keys re-added"] = time.perf_counter() - t0
        plan.log(f"  foreign keys re-added ({len(keys.saved)}): {plan.timings['foreign keys re-added']:.1f} s")
    with connection.cursor() as cursor:
        tables = ", ".join(f'"{m._meta.db_table}"' for m in sorted(_TOUCHED, key=lambda m: m._meta.db_table))
        # VACUUM sets the visibility map (index-only scans, as after autovacuum in production); it cannot run
        # inside a transaction (a test's), where ANALYZE alone gives the planner the real sizes.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        step("vacuum and analyze", lambda: cursor.execute(f"{command} {tables}"))
        # after the statistics: the refresh reads every open invoice in one statement
        step("aging summary", _aging_summary, cursor, command)
        step("latest statement analyses", _latest_analyses, cursor, command)
    plan.timings["total"] = time.perf_counter() - started
    return counts


def _aging_summary(cursor, command):
    """The fresh portfolio is served from the aging summary at once (not live until the night's refresh)."""
    from collection.models import CustomerAging
    from collection.services import aging_summary_refresh

    aging_summary_refresh()
    if connection.vendor == "postgresql":
        cursor.execute(f'{command} "{CustomerAging._meta.db_table}"')


def _latest_analyses(cursor, command):
    """The re-rating and the peers read the kept analyses of the latest statements at once."""
    from customers.models import LatestAnalysis
    from customers.services import latest_analysis_refresh

    latest_analysis_refresh()
    if connection.vendor == "postgresql":
        cursor.execute(f'{command} "{LatestAnalysis._meta.db_table}"')


def _analyze(cursor):
    if connection.vendor == "postgresql":
        cursor.execute("ANALYZE " + ", ".join(f'"{m._meta.db_table}"'
                                              for m in sorted(_TOUCHED, key=lambda m: m._meta.db_table)))


def _sequences(cursor):
    for model in sorted(_TOUCHED, key=lambda m: m._meta.db_table):
        move_sequence(cursor, model)


def describe(counts: dict, timings: dict) -> str:
    lines = [f"{name:>22}: {n:>10,}" for name, n in counts.items()]
    lines.append(f"{'total time':>22}: {timings.get('total', 0):>10.1f} s")
    return "\n".join(lines)


def fingerprint() -> str:
    """A short digest of the portfolio's size (for RESULTS.md: which data a run measured)."""
    from collection.models import Invoice
    from customers.models import Customer

    raw = f"{Customer.objects.count()}:{Invoice.objects.count()}"
    return hashlib.sha256(raw.encode()).hexdigest()[:12]
