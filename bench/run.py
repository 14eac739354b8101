"""The benchmark runner: ``python -m bench [--size small|full|huge] [--only NAME[,NAME]] [--generate]``.

Runs on PostgreSQL and Redis only (never SQLite). Defaults, when the environment names none:
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/cp_bench``, broker ``redis://127.0.0.1:6379/18``,
cache ``redis://127.0.0.1:6379/19``, web port 8600. Each benchmark prints its figures and its ratio to a
baseline measured in the same run on the same data, saves them in ``bench/results/<name>-<size>.json``; then
``bench/RESULTS.md`` is written from every saved result, with the machine's description and the
findings in ``bench/FINDINGS.md``.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback

BENCHMARKS = ["rerating", "scaleout", "api", "pages", "aging", "dashboard", "pdf", "ecl"]
DEFAULTS = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/cp_bench",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/18",
    "REDIS_URL": "redis://127.0.0.1:6379/19",
}


PRIVATE_REDIS_PORT = 6479
_private_redis = None


def ensure_redis():
    """The broker and cache databases must exist. A stock Redis has 16 (0–15): when the configured index
    is out of range on the default server, start a private ``redis-server`` on port 6479 with 32
    databases (stopped when the run ends) and use the same indexes there."""
    global _private_redis
    import atexit
    import subprocess
    import time
    from urllib.parse import urlsplit

    import redis

    broker = os.environ["CELERY_BROKER_URL"]
    try:
        redis.Redis.from_url(broker).ping()
        return
    except redis.exceptions.ResponseError as exc:
        if "out of range" not in str(exc):
            raise
    parts = urlsplit(broker)
    print(f"bench: {broker}: {parts.path} is not a database of that server; starting a private redis-server "
          f"on port {PRIVATE_REDIS_PORT} (32 databases)")
    _private_redis = subprocess.Popen(
        ["redis-server", "--port", str(PRIVATE_REDIS_PORT), "--bind", "127.0.0.1", "--databases", "32",
         "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    atexit.register(lambda: (_private_redis.terminate(), _private_redis.wait(10)))
    for key in ("CELERY_BROKER_URL", "REDIS_URL"):
        url = urlsplit(os.environ[key])
        os.environ[key] = url._replace(netloc=f"127.0.0.1:{PRIVATE_REDIS_PORT}").geturl()
    for _ in range(50):
        try:
            redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).ping()
            return
        except redis.exceptions.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("bench: the private redis-server did not start")


def ensure_database():
    """Create the benchmark database when it does not exist yet (a fresh machine has none)."""
    from urllib.parse import urlsplit

    import psycopg
    from psycopg import sql

    url = urlsplit(os.environ["DATABASE_URL"])
    if not url.scheme.startswith("postgres"):
        return
    name = url.path.lstrip("/")
    maintenance = url._replace(path="/postgres").geturl()
    with psycopg.connect(maintenance, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            print(f"bench: creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django(create_database=False):
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    ensure_redis()
    if create_database:
        ensure_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    os.environ.setdefault("DJANGO_SECURE", "false")
    import django

    django.setup()
    from django.conf import settings

    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        raise SystemExit("bench: benchmarks run on PostgreSQL only (DATABASE_URL).")
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        raise SystemExit("bench: benchmarks run with Redis as the broker (CELERY_BROKER_URL).")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=["small", "full", "huge"], default="small",
                        help="small: a 2,000-customer portfolio; full: 100,000 customers; huge: 1,000,000 (optional, "
                             "never in CI: see bench/README.md for its time and disk) (default small)")
    parser.add_argument("--only", default="", help=f"comma-separated subset of {', '.join(BENCHMARKS)}")
    parser.add_argument("--generate", action="store_true",
                        help="create the database if missing, migrate, and (re)generate the portfolio of this "
                             "size first (generate_portfolio --reset)")
    parser.add_argument("--port", type=int, default=8600)
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes (default 2)")
    parser.add_argument("--no-report", action="store_true", help="do not rewrite bench/RESULTS.md")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or BENCHMARKS
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {BENCHMARKS}")

    setup_django(create_database=args.generate)
    from bench import core, report

    expected = core.SIZES[args.size]["customers"]
    if args.generate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("generate_portfolio", customers=expected, reset=True)
    size = core.portfolio_size()
    if size["customers"] == 0:
        raise SystemExit(f"bench: the portfolio is empty; run `python manage.py generate_portfolio --customers "
                         f"{expected}` (or `python -m bench --size {args.size} --generate`).")
    if size["customers"] != expected:
        print(f"bench: note: the portfolio has {size['customers']:,} customers, the {args.size} size expects "
              f"{expected:,}; the figures are for the portfolio as it is.")
    machine = core.machine()
    print(f"bench: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']} GB, load {machine['load_average']}; "
          f"{machine['postgresql']}, Redis {machine['redis']}")
    print(f"bench: portfolio {size}")
    ctx = core.Context(size=args.size, port=args.port, workers=args.workers)
    failures = 0
    for name in names:
        module = importlib.import_module(f"bench.benchmarks.{name}")
        print(f"== {name}: {module.__doc__.strip().splitlines()[0]}")
        started = time.perf_counter()
        try:
            result = module.run(ctx)
        except Exception as exc:  # noqa: BLE001 - one benchmark's failure is reported, the others still run
            failures += 1
            traceback.print_exc()
            result = {"title": name, "error": f"{exc.__class__.__name__}: {exc}", "targets": {}}
        result.update(size=args.size, portfolio=size, machine=machine,
                      elapsed_seconds=round(time.perf_counter() - started, 1))
        core.save_result(name, result)
        for target, met in result.get("targets", {}).items():
            print(f"   target {target}: {'met' if met else 'MISSED'}")
    if not args.no_report:
        path = report.write()
        print(f"bench: wrote {path}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
