"""``manage.py generate_portfolio``: a realistic portfolio at scale for the benchmarks (``bench/``).

    python manage.py generate_portfolio                     # 100,000 customers, ~1,000,000 invoices
    python manage.py generate_portfolio --customers 2000    # a small one for a quick run
    python manage.py generate_portfolio --reset --seed 7    # empty the portfolio first
    python manage.py generate_portfolio --size huge --reset  # 1,000,000 customers, ~10M invoices (optional, never
                                                             # in CI: see bench/README.md for its time and disk)

Loads with PostgreSQL COPY (see ``demo/generator/`` for what each customer gets). Deterministic for a
seed, size and business date. Refuses to run on a portfolio that already has customers unless told
``--append`` (add more) or ``--reset`` (truncate the portfolio tables first). PostgreSQL only.
"""
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

# customers of each named size (bench/README.md): small for a quick run, full the benchmarks' size, huge ten times it
PORTFOLIO_SIZES = {"small": 2_000, "full": 100_000, "huge": 1_000_000}


class Command(BaseCommand):
    requires_system_checks = []  # other apps may be mid-change; the generator needs only the models
    help = "Fill the database with a realistic portfolio at scale (PostgreSQL COPY), for the benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=None, help="default 100,000 (the full size)")
        parser.add_argument("--size", choices=sorted(PORTFOLIO_SIZES), default=None,
                            help="a named size instead of --customers: " + ", ".join(
                                f"{name} {n:,}" for name, n in PORTFOLIO_SIZES.items()))
        parser.add_argument("--invoices-per-customer", type=int, default=10)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--relationship-managers", type=int, default=None,
                            help="default: one per 2,000 customers (at least 2)")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--append", action="store_true", help="add to an existing portfolio")
        mode.add_argument("--reset", action="store_true", help="truncate the portfolio tables first")

    def handle(self, *args, customers, invoices_per_customer, seed, relationship_managers, append, reset,
               size=None, **options):
        from demo import generator

        if size and customers:
            raise CommandError("Give --size or --customers, not both.")
        customers = PORTFOLIO_SIZES[size] if size else (customers or PORTFOLIO_SIZES["full"])

        if connection.vendor != "postgresql":
            raise CommandError("generate_portfolio needs PostgreSQL (it loads with COPY); set DATABASE_URL.")
        if customers < 1:
            raise CommandError("--customers must be at least 1.")
        if reset:
            self.stdout.write("Emptying the portfolio tables (TRUNCATE … CASCADE).")
            generator.reset_portfolio()
        elif not append and not generator.portfolio_is_empty():
            raise CommandError("The database already holds customers: use --append to add to them or --reset to "
                               "replace them.")
        plan = generator.Plan(customers=customers, invoices_per_customer=invoices_per_customer, seed=seed,
                              rms=relationship_managers, log=self.stdout.write)
        self.stdout.write(f"Generating {customers:,} customers (seed {seed}) …")
        counts = generator.generate(plan)
        self.stdout.write(generator.describe(counts, plan.timings))
        with connection.cursor() as cursor:  # what the portfolio costs on disk (the README's size estimates)
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            self.stdout.write(f"{'database size':>22}: {cursor.fetchone()[0]:>10}")
        self.stdout.write(self.style.SUCCESS("Portfolio generated."))
