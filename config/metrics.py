"""``/metrics``: the portal's Prometheus endpoint, for the monitoring system only.

Protected by a bearer token (``METRICS_TOKEN``): a request without ``Authorization: Bearer <token>`` gets 401,
and with no token configured the endpoint does not exist for anyone (404). Besides the stored observations
(``creditportal.core.metrics``: request latency, task runs and durations, periodic jobs' last success) it reads
at scrape time: the depth of each Celery queue (the length of its Redis lists) and the progress of the
re-rating batches that are running (customers done / total).
"""
import hmac
import logging

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from creditportal.core.metrics import PortalCollector

log = logging.getLogger("creditportal.metrics")

# kombu's Redis transport keeps a queue's messages in the list named after the queue, and the messages sent
# with a priority in lists suffixed with the priority step (the default steps).
_PRIORITY_SEP = "\x06\x16"
_PRIORITY_STEPS = (3, 6, 9)


def queue_names() -> list[str]:
    return sorted({settings.CELERY_TASK_DEFAULT_QUEUE, settings.BATCH_QUEUE})


def queue_depths() -> dict[str, int] | None:
    """{queue: messages waiting} on a Redis broker; None for another broker or when Redis does not answer."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return None
    try:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        pipe = client.pipeline(transaction=False)
        names = queue_names()
        for name in names:
            pipe.llen(name)
            for step in _PRIORITY_STEPS:
                pipe.llen(f"{name}{_PRIORITY_SEP}{step}")
        lengths = pipe.execute()
        client.close()
    except Exception as exc:  # noqa: BLE001 - the scrape still answers; the gauge is missing
        log.warning("metrics: broker queue lengths unavailable (%s)", exc)
        return None
    per = 1 + len(_PRIORITY_STEPS)
    return {name: int(sum(lengths[i * per:(i + 1) * per])) for i, name in enumerate(names)}


class OperationsCollector:
    """What is read at scrape time: queue depth and running re-rating batches."""

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        from ratings.models import BatchStatus, RatingBatch

        depths = queue_depths()
        if depths is not None:
            depth = GaugeMetricFamily("portal_celery_queue_length", "Messages waiting in each Celery queue",
                                      labels=["queue"])
            for name, length in depths.items():
                depth.add_metric([name], length)
            yield depth

        done = GaugeMetricFamily("portal_rating_batch_processed", "Customers rated so far in each running "
                                 "re-rating batch", labels=["batch", "kind", "business_date"])
        total = GaugeMetricFamily("portal_rating_batch_total", "Customers in each running re-rating batch",
                                  labels=["batch", "kind", "business_date"])
        running = RatingBatch.objects.filter(status__in=[BatchStatus.QUEUED, BatchStatus.RUNNING]).order_by("pk")
        for pk, kind, business_date, processed, count in running.values_list(
                "pk", "kind", "business_date", "processed", "total"):
            labels = [str(pk), kind, business_date.isoformat()]
            done.add_metric(labels, processed)
            total.add_metric(labels, count)
        yield done
        yield total


def _authorised(request) -> bool:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    return scheme.lower() == "bearer" and bool(token) and hmac.compare_digest(
        token.strip().encode(), settings.METRICS_TOKEN.encode())


@never_cache
@require_GET  # GET only: nothing to protect from cross-site requests (no CSRF exemption needed)
def metrics(request):
    if not settings.METRICS_TOKEN:
        raise Http404
    if not _authorised(request):
        response = HttpResponse("authentication required\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(PortalCollector())
    registry.register(OperationsCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
