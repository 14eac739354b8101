"""Shared parts of the benchmarks: the run context, timing, the machine's description, results on disk."""
from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
BASE_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
VENV_BIN = BASE_DIR / ".venv" / "bin"

SIZES = {
    # customers expected in the portfolio, how long / how often each measurement runs
    # time_budget: the ORM loop stops after it (per customer figures from what it did);
    # batch_budget: the Celery batch is measured up to it, then projected from its progress counters.
    "small": {"customers": 2000, "repeat": 3, "wrk_seconds": 8, "orm_sample": 500, "time_budget": 240,
              "batch_budget": 900},
    "full": {"customers": 100_000, "repeat": 5, "wrk_seconds": 10, "orm_sample": 2000, "time_budget": 240,
             "batch_budget": 420},
    # ten times full (issue 25, growth): optional, never in CI; generate it on a quiet machine (see README)
    "huge": {"customers": 1_000_000, "repeat": 3, "wrk_seconds": 10, "orm_sample": 2000, "time_budget": 240,
             "batch_budget": 1200},
    "smoke": {"customers": None, "repeat": 1, "wrk_seconds": 0, "orm_sample": 10, "time_budget": None,
              "batch_budget": None},
}
SIZE_ORDER = ["small", "full", "huge"]  # the growth factors compare each size with the one before it


@dataclass
class Context:
    size: str = "small"
    smoke: bool = False  # tests: run each code path once, no subprocesses, no timing loops
    port: int = 8600
    log: callable = print
    workers: int = 2
    settings: dict = field(default_factory=dict)

    @property
    def repeat(self) -> int:
        return SIZES[self.size]["repeat"]

    @property
    def wrk_seconds(self) -> int:
        return SIZES[self.size]["wrk_seconds"]

    @property
    def time_budget(self):
        return SIZES[self.size]["time_budget"]

    @property
    def batch_budget(self):
        return SIZES[self.size]["batch_budget"]

    @property
    def orm_sample(self) -> int:
        return SIZES[self.size]["orm_sample"]


def timed(fn, *args, **kwargs):
    """(seconds, result) of one call."""
    t0 = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - t0, result


def median_time(fn, repeat: int, warmup: int = 1) -> tuple[float, list[float]]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(max(1, repeat)):
        seconds, _r = timed(fn)
        times.append(seconds)
    return statistics.median(times), times


def interleaved(fns: dict, repeat: int, warmup: int = 1) -> dict[str, float]:
    """Median seconds of each function, measured alternately (so a burst of load from elsewhere on the
    machine hits both sides of a ratio alike)."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times = {name: [] for name in fns}
    for _ in range(max(1, repeat)):
        for name, fn in fns.items():
            seconds, _r = timed(fn)
            times[name].append(seconds)
    return {name: statistics.median(values) for name, values in times.items()}


class QueryCounter:
    """Counts the queries run on the default connection (an execute wrapper: unlike
    ``CaptureQueriesContext`` it is not reset by ``request_started`` inside a test-client request), with
    their time in all and the slowest statement (what a page's cause is read from)."""

    def __init__(self):
        self.count = 0
        self.seconds = 0.0
        self.slowest = (0.0, "")

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - t0
            self.seconds += elapsed
            if elapsed > self.slowest[0]:
                self.slowest = (elapsed, sql)

    def __enter__(self):
        from django.db import connection

        self._cm = connection.execute_wrapper(self)
        self._cm.__enter__()
        return self

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# --- machine --------------------------------------------------------------------------------------

def _read(path):
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine() -> dict:
    from django.db import connection

    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    mem_kb = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
                   if line.startswith("MemTotal")), 0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        pg = cursor.fetchone()[0].split(" on ")[0]
    from django.conf import settings

    try:
        import redis

        redis_version = redis.Redis.from_url(settings.CELERY_BROKER_URL).info("server")["redis_version"]
    except Exception as exc:  # noqa: BLE001 - described, not fatal
        redis_version = f"unavailable ({exc.__class__.__name__})"
    try:
        wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[0].strip()
    except OSError:
        wrk = "not installed"
    import django

    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "postgresql": pg,
        "redis": redis_version,
        "python": platform.python_version(),
        "django": django.get_version(),
        "wrk": wrk or "unknown",
        "broker": settings.CELERY_BROKER_URL,
        "database": connection.settings_dict.get("NAME"),
    }


def portfolio_size() -> dict:
    from django.db import connection

    tables = {"customers": "customers_customer", "statements": "customers_financialstatement",
              "ratings": "ratings_rating", "applications": "credit_creditapplication",
              "facilities": "credit_facility", "invoices": "collection_invoice", "payments": "collection_payment",
              "alerts": "monitoring_alert"}
    result = {}
    with connection.cursor() as cursor:
        for name, table in tables.items():
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            result[name] = cursor.fetchone()[0]
    return result


# --- results --------------------------------------------------------------------------------------

def result_path(name: str, size: str) -> Path:
    """Results are kept per size side by side: ``bench/results/<name>-<size>.json``."""
    return RESULTS_DIR / f"{name}-{size}.json"


def save_result(name: str, result: dict):
    RESULTS_DIR.mkdir(exist_ok=True)
    path = result_path(name, result.get("size") or "small")
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")


def load_results() -> dict[str, dict[str, dict]]:
    """{benchmark: {size: result}} of every saved result."""
    results: dict[str, dict[str, dict]] = {}
    for path in sorted(RESULTS_DIR.glob("*.json")):
        result = json.loads(path.read_text())
        name, _dash, size = path.stem.rpartition("-")
        if not name:  # an old single file per benchmark (<name>.json): its size is inside
            name, size = path.stem, result.get("size") or "small"
        results.setdefault(name, {})[size] = result
    return results


def percentile(values, pct: float) -> float:
    """The ``pct`` percentile of ``values`` (nearest rank, as wrk and most load tools report it)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil
    return ordered[int(rank) - 1]


def verdict(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "n/a"}[met]
