from contextlib import contextmanager

import pytest
from celery.signals import before_task_publish
from kombu import Connection

from config.celery import app


class Published:
    """What reached the broker: (task name, routing key, headers), through Celery's own send path."""

    def __init__(self):
        self.messages = []

    def record(self, sender=None, routing_key=None, headers=None, **kwargs):
        self.messages.append((sender, routing_key, dict(headers or {})))

    def queue_of(self, name):
        return [key for sender, key, _ in self.messages if sender == name]


@pytest.fixture
def published(monkeypatch):
    """Tasks really sent (not eager) to an in-memory broker: Celery's router and publish signals run as with
    Redis, so the routing key is the queue a worker would read."""
    connection = Connection("memory://")
    monkeypatch.setitem(app.conf, "task_always_eager", False)

    @contextmanager
    def producer_or_acquire(producer=None):
        yield producer or app.amqp.Producer(connection, auto_declare=True)

    monkeypatch.setattr(app, "producer_or_acquire", producer_or_acquire)
    seen = Published()
    before_task_publish.connect(seen.record, weak=False)
    try:
        yield seen
    finally:
        before_task_publish.disconnect(seen.record)
        connection.release()
