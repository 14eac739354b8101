"""Issue 25, metrics: /metrics is refused without the bearer token (404 when none is configured, 401 when it is
missing or wrong) and, with it, shows request latency by view, task runs, failures and durations, the queue
depths, running re-rating batches' progress and the periodic jobs' last success."""
import datetime as dt

import pytest
from celery import shared_task

from config.celery import app
from creditportal.core import metrics
from ratings.models import RatingBatch

TOKEN = "metrics-token-0123456789abcdef"


@pytest.fixture(autouse=True)
def _own_series(settings, request):
    settings.METRICS_KEY_PREFIX = f"test:metrics:{request.node.name}"
    settings.METRICS_TOKEN = TOKEN
    metrics.reset()
    yield
    metrics.reset()


@shared_task(name="tests.ops.failing_probe")
def failing_probe():
    raise ValueError("probe failure")


def test_refused_without_a_token_configured(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_refused_without_the_right_token(client):
    missing = client.get("/metrics")
    assert missing.status_code == 401 and missing["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong-token").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 401


@pytest.mark.django_db
def test_refused_to_a_signed_in_portal_user(client_for, users):
    assert client_for(users["riskadmin"]).get("/metrics").status_code == 401


def _scrape(client):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


@pytest.mark.django_db
def test_metrics_with_the_token(client, client_for, users, monkeypatch):
    from config import metrics as endpoint
    from creditportal import tasks as housekeeping

    monkeypatch.setattr(endpoint, "queue_depths", lambda: {"batch": 7, "celery": 2})
    client_for(users["rm"]).get("/customers/")
    client.get("/healthz")
    housekeeping.clear_expired_sessions.apply()  # a periodic job, run (eagerly) through Celery's tracer
    assert failing_probe.apply(throw=False).failed()  # as in a worker: the error is the run's result
    RatingBatch.objects.create(business_date=dt.date(2026, 6, 30), status="running", started_by=users["riskadmin"],
                               total=120, processed=45)
    text = _scrape(client)

    assert 'portal_http_request_duration_seconds_count{method="GET",view="customers:customer_list"} 1.0' in text
    assert 'portal_http_request_duration_seconds_bucket{le="+Inf",method="GET",view="healthz"} 1.0' in text
    assert 'portal_http_requests_total{method="GET",status="2xx",view="customers:customer_list"} 1.0' in text
    assert 'portal_celery_tasks_total{state="success",task="creditportal.clear_expired_sessions"} 1.0' in text
    assert 'portal_celery_tasks_total{state="failure",task="tests.ops.failing_probe"} 1.0' in text
    assert 'portal_celery_task_duration_seconds_count{task="creditportal.clear_expired_sessions"} 1.0' in text
    assert 'portal_periodic_job_last_success_timestamp_seconds{task="creditportal.clear_expired_sessions"}' in text
    assert 'task="tests.ops.failing_probe"}' not in text.split("portal_periodic_job_last_success")[-1]
    assert 'portal_celery_queue_length{queue="batch"} 7.0' in text
    assert 'portal_celery_queue_length{queue="celery"} 2.0' in text
    batch = RatingBatch.objects.get()
    labels = f'batch="{batch.pk}",business_date="2026-06-30",kind="nightly"'
    assert f"portal_rating_batch_processed{{{labels}}} 45.0" in text
    assert f"portal_rating_batch_total{{{labels}}} 120.0" in text


def test_queue_depths_read_the_brokers_lists(settings, monkeypatch):
    """On a Redis broker the depth is the length of the queue's lists (kombu's priority lists included)."""
    from config import metrics as endpoint

    class FakePipe:
        def __init__(self):
            self.keys = []

        def llen(self, key):
            self.keys.append(key)

        def execute(self):
            return [{"batch": 3, "batch\x06\x163": 1, "celery": 5}.get(key, 0) for key in self.keys]

    class FakeRedis:
        def pipeline(self, transaction=False):
            return FakePipe()

        def close(self):
            pass

    import redis

    monkeypatch.setattr(redis.Redis, "from_url", classmethod(lambda cls, url, **kw: FakeRedis()))
    settings.CELERY_BROKER_URL = "redis://broker.invalid:6379/0"
    assert endpoint.queue_depths() == {"batch": 4, "celery": 5}
    settings.CELERY_BROKER_URL = "filesystem://"
    assert endpoint.queue_depths() is None


def test_a_task_run_counts_once_per_process_store(monkeypatch):
    """The observations go to the shared store, not to a per-process registry (gunicorn + Celery workers)."""
    metrics.observe_task("x.task", "SUCCESS", 0.2, periodic=True)
    metrics.observe_task("x.task", "SUCCESS", 12.0, periodic=True)
    stored = metrics.store().read(metrics._key("tasks"))
    assert stored[f"c{metrics.SEP}x.task{metrics.SEP}success"] == 2
    assert "x.task" in metrics.store().read(metrics._key("last_success"))
    assert app.conf.task_routes  # the same settings module configures the worker
