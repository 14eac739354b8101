"""Issue 25, logs: JSON log lines carry a request id (X-Request-ID if sane, else generated; echoed in the answer)
that follows the request into the tasks it enqueues: stored on the outbox row, sent in the task's headers and set
in the worker's log context while the task runs."""
import json
import logging

import pytest
from celery import shared_task
from django.conf import settings
from django.utils.module_loading import import_string

from creditportal.core import clock
from creditportal.core.request_context import TASK_HEADER, RequestIdLogFilter, bound_request_id, request_id
from creditportal.core.tasks import relay_outbox
from creditportal.models import OutboxMessage

log = logging.getLogger("tests.ops.probe")


@shared_task(name="tests.ops.log_probe")
def log_probe():
    log.info("probe ran")


class JsonLines(logging.Handler):
    """The console handler's formatter and filter (settings.LOGGING), writing into a list."""

    def __init__(self):
        super().__init__(logging.INFO)
        config = dict(settings.LOGGING["formatters"]["json"])
        self.setFormatter(import_string(config.pop("()"))(**config))
        self.addFilter(RequestIdLogFilter())
        self.lines = []

    def emit(self, record):
        self.lines.append(json.loads(self.format(record)))

    def of(self, logger):
        return [line for line in self.lines if line["logger"] == logger]


@pytest.fixture
def json_lines():
    handler = JsonLines()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


def test_the_configured_log_format_is_json_with_the_request_id():
    assert settings.LOGGING["handlers"]["console"]["formatter"] == "json"
    assert "request_id" in settings.LOGGING["handlers"]["console"]["filters"]


@pytest.mark.django_db
def test_a_sane_request_id_is_kept_and_echoed(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a-0001-abcd")
    assert response["X-Request-ID"] == "lb-7f3a-0001-abcd"


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["", "short", "has space in it", "x" * 200, "bad\u4e2d\u6587-id-12345",
                                    "a\r\nSet-Cookie:x=1"])
def test_an_insane_request_id_is_replaced(client, header):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=header)
    assert response["X-Request-ID"] != header and len(response["X-Request-ID"]) == 32
    assert response["X-Request-ID"] != client.get("/healthz")["X-Request-ID"]  # one per request


@pytest.mark.django_db
def test_a_requests_id_is_in_the_log_lines_of_the_task_it_enqueued(client_for, users, json_lines,
                                                                   django_capture_on_commit_callbacks):
    clock.set_today(clock.today())
    client = client_for(users["collector"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/collection/dunning/run-now/", HTTP_X_REQUEST_ID="req-dunning-0001")
    assert response.status_code in (200, 302) and response["X-Request-ID"] == "req-dunning-0001"
    assert request_id() is None  # nothing leaks out of the request
    row = OutboxMessage.objects.get(task="collection.run_dunning_now")
    assert row.request_id == "req-dunning-0001" and row.sent_at is not None
    task_lines = [line for line in json_lines.of("creditportal.tasks")
                  if line.get("task_name") == "collection.run_dunning_now"]
    assert [line["message"].split(":")[0] for line in task_lines] == [
        "task collection.run_dunning_now started", "task collection.run_dunning_now finished"]
    assert {line["request_id"] for line in task_lines} == {"req-dunning-0001"}

    # The broker was down after the commit: the relay (in a worker, no request) sends it under the same id.
    json_lines.lines.clear()
    OutboxMessage.objects.filter(pk=row.pk).update(sent_at=None, next_attempt_at=row.created_at)
    assert relay_outbox()["sent"] == 1
    task_lines = [line for line in json_lines.of("creditportal.tasks")
                  if line.get("task_name") == "collection.run_dunning_now"]
    assert task_lines and {line["request_id"] for line in task_lines} == {"req-dunning-0001"}


def test_a_worker_runs_a_task_under_the_id_in_its_headers(json_lines):
    """In a worker the id arrives in the message's headers (sent by the outbox, tests/ops/test_queues.py)."""
    log_probe.apply(headers={TASK_HEADER: "req-from-headers-42"})
    assert [line["request_id"] for line in json_lines.of("tests.ops.probe")] == ["req-from-headers-42"]
    assert request_id() is None  # reset when the task finished

    with bound_request_id("req-sender-0007"):  # an eager task without headers keeps its sender's id
        log_probe.apply()
    assert json_lines.of("tests.ops.probe")[-1]["request_id"] == "req-sender-0007"

    result = log_probe.apply()  # no request at all (a job beat started): the task's own id
    assert json_lines.of("tests.ops.probe")[-1]["request_id"] == result.id
    assert request_id() is None
