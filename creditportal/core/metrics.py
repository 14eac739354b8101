"""Operational metrics: request latency by view, Celery task counts, failures and durations, the last success of
each periodic job, exposed in Prometheus' text format by ``config.metrics`` (``/metrics``).

Where the numbers live, and why: the portal runs as several gunicorn processes and several Celery worker
processes (prefork), possibly on several hosts, and a periodic job's last success must survive a restart.
prometheus_client's own registry is per process (one scrape would see one worker), and its multiprocess mode
shares files between the processes of one host only and forgets everything on restart. So each process adds its
observations to a few Redis hashes (``REDIS_URL``; one pipelined round trip per request or task, a failure is
logged and ignored: metrics never break a request), and the endpoint reads them back and renders them with
prometheus_client's metric families (``PortalCollector``). Without Redis (a laptop on SQLite) they are kept in
the process, which is enough to see the endpoint work.

Counters only grow (Redis ``HINCRBY``); histograms are kept as per-bucket counts and summed into Prometheus'
cumulative buckets when read. Labels are bounded: a view's URL name (never the path), the HTTP method, the
status class, a task's registered name.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict

from django.conf import settings

log = logging.getLogger("creditportal.metrics")

HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
SEP = "\x1f"  # between the labels in a hash field (never in a view name, method or task name)
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def _bucket(value: float, buckets) -> str:
    for bound in buckets:
        if value <= bound:
            return repr(bound)
    return "+Inf"


class MemoryStore:
    """The Redis hashes' stand-in inside one process (no ``REDIS_URL``)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._hashes = defaultdict(dict)

    def apply(self, operations):
        with self._lock:
            for op, key, field, value in operations:
                table = self._hashes[key]
                if op == "set":
                    table[field] = value
                else:
                    table[field] = table.get(field, 0) + value

    def read(self, key) -> dict:
        with self._lock:
            return dict(self._hashes.get(key, {}))

    def clear(self):
        with self._lock:
            self._hashes.clear()


class RedisStore:
    def __init__(self, url):
        import redis

        # short timeouts: a Redis outage costs a request a fraction of a second, not the request
        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def apply(self, operations):
        pipe = self.client.pipeline(transaction=False)
        for op, key, field, value in operations:
            if op == "set":
                pipe.hset(key, field, value)
            elif isinstance(value, float):
                pipe.hincrbyfloat(key, field, value)
            else:
                pipe.hincrby(key, field, value)
        pipe.execute()

    def read(self, key) -> dict:
        return {field.decode(): float(value) for field, value in self.client.hgetall(key).items()}

    def clear(self):
        prefix = settings.METRICS_KEY_PREFIX
        for key in (f"{prefix}:http", f"{prefix}:tasks", f"{prefix}:last_success"):
            self.client.delete(key)


_store = None
_store_lock = threading.Lock()


def store():
    global _store
    if _store is None:
        with _store_lock:
            if _store is None:
                _store = RedisStore(settings.REDIS_URL) if settings.REDIS_URL else MemoryStore()
    return _store


def _key(name: str) -> str:
    return f"{settings.METRICS_KEY_PREFIX}:{name}"


_PAUSE_AFTER_FAILURE = 10.0  # seconds without recording after Redis failed: an outage costs one timeout, not one each
_paused_until = 0.0


def _apply(operations):
    global _paused_until
    if _paused_until and time.monotonic() < _paused_until:
        return
    try:
        store().apply(operations)
        _paused_until = 0.0
    except Exception as exc:  # noqa: BLE001 - metrics are never worth a failed request or task
        _paused_until = time.monotonic() + _PAUSE_AFTER_FAILURE
        log.warning("metrics: could not record (%s); not recording for %ss", exc, _PAUSE_AFTER_FAILURE)


# --- recording -----------------------------------------------------------------------------------------------

def observe_request(view: str, method: str, status: int, seconds: float):
    method = method if method in METHODS else "OTHER"
    labels = SEP.join((view, method))
    key = _key("http")
    _apply([
        ("incr", key, f"b{SEP}{labels}{SEP}{_bucket(seconds, HTTP_BUCKETS)}", 1),
        ("incr", key, f"s{SEP}{labels}", float(seconds)),
        ("incr", key, f"c{SEP}{labels}{SEP}{status // 100}xx", 1),
    ])


def observe_task(name: str, state: str, seconds: float | None, *, periodic: bool = False):
    """One finished task run: ``state`` is Celery's (SUCCESS, FAILURE, RETRY, ...)."""
    key = _key("tasks")
    operations = [("incr", key, f"c{SEP}{name}{SEP}{state.lower()}", 1)]
    if seconds is not None:
        operations += [("incr", key, f"b{SEP}{name}{SEP}{_bucket(seconds, TASK_BUCKETS)}", 1),
                       ("incr", key, f"s{SEP}{name}", float(seconds))]
    if periodic and state == "SUCCESS":
        operations.append(("set", _key("last_success"), name, time.time()))
    _apply(operations)


def view_label(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "<unresolved>"
    return match.view_name or getattr(match, "_func_path", None) or "<unnamed>"


class RequestMetricsMiddleware:
    """Records each request's latency under its view's URL name, method and status class (static files aside)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        if not request.path.startswith(settings.STATIC_URL):  # WhiteNoise's files: not a view
            observe_request(view_label(request), request.method or "", response.status_code,
                            time.perf_counter() - started)
        return response


# --- reading -------------------------------------------------------------------------------------------------

def _histogram(family, by_labels, buckets):
    """``by_labels``: {labels tuple: ({bucket: count}, sum)} → samples with cumulative buckets."""
    for labels, (counts, total) in sorted(by_labels.items()):
        cumulative, running = [], 0
        for bound in [repr(b) for b in buckets] + ["+Inf"]:
            running += counts.get(bound, 0)
            cumulative.append((bound, running))
        family.add_metric(list(labels), cumulative, total)
    return family


class PortalCollector:
    """prometheus_client collector over the stored observations (register it in a fresh registry per scrape)."""

    def collect(self):
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

        http = store().read(_key("http"))
        tasks = store().read(_key("tasks"))
        last = store().read(_key("last_success"))

        requests = CounterMetricFamily("portal_http_requests", "HTTP requests by view, method and status class",
                                       labels=["view", "method", "status"])
        latency = defaultdict(lambda: [defaultdict(float), 0.0])
        for field, value in http.items():
            kind, *labels = field.split(SEP)
            if kind == "c":
                requests.add_metric(labels, value)
            elif kind == "b":
                latency[tuple(labels[:-1])][0][labels[-1]] += value
            elif kind == "s":
                latency[tuple(labels)][1] = value
        yield requests
        yield _histogram(HistogramMetricFamily("portal_http_request_duration_seconds",
                                               "Request latency by view (URL name) and method",
                                               labels=["view", "method"]), latency, HTTP_BUCKETS)

        runs = CounterMetricFamily("portal_celery_tasks", "Celery task runs by task and final state",
                                   labels=["task", "state"])
        durations = defaultdict(lambda: [defaultdict(float), 0.0])
        for field, value in tasks.items():
            kind, *labels = field.split(SEP)
            if kind == "c":
                runs.add_metric(labels, value)
            elif kind == "b":
                durations[tuple(labels[:-1])][0][labels[-1]] += value
            elif kind == "s":
                durations[tuple(labels)][1] = value
        yield runs
        yield _histogram(HistogramMetricFamily("portal_celery_task_duration_seconds", "Celery task run time",
                                               labels=["task"]), durations, TASK_BUCKETS)

        success = GaugeMetricFamily("portal_periodic_job_last_success_timestamp_seconds",
                                    "When each periodic job last finished successfully (Unix time)",
                                    labels=["task"])
        for name, value in sorted(last.items()):
            success.add_metric([name], value)
        yield success


def reset():
    """Forget every observation (tests)."""
    store().clear()
