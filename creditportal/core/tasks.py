"""Sending Celery tasks safely: only after the surrounding transaction commits."""
from functools import partial

from django.db import transaction


def enqueue(task, *args, **kwargs):
    """Send ``task`` with ids as arguments once the current transaction commits (never if it rolls back)."""
    transaction.on_commit(partial(task.delay, *args, **kwargs))
