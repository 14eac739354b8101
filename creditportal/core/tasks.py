"""Sending Celery tasks safely: a transactional outbox.

``enqueue(task, *ids)`` writes an ``OutboxMessage`` row in the current transaction, so the task commits
together with the write that needs it (and vanishes with it when the transaction rolls back). After the commit
the process sends it at once, best-effort: when the broker is unreachable the error is logged and recorded on
the row, and the request still answers with what committed. The relay (``relay_outbox``) sends every row left
unsent: beat runs it every ``OUTBOX_RELAY_INTERVAL`` seconds, a worker runs it when it starts, and the
``relay_outbox`` management command runs it by hand. A row may be sent twice (a process dying between the send
and marking it sent): every task here is idempotent, so that is safe; a row is never lost.

With ``CELERY_TASK_ALWAYS_EAGER`` the send runs the task in the process, after the commit, as before.

Queues and request ids: a task goes to the queue ``CELERY_TASK_ROUTES`` names for it (batch work to ``batch``);
both sends resolve the route by the task's name (``apply_async``/``send_task`` ask the app's router), so a task
sent by the relay lands on the same queue as one sent at once. Each row keeps the id of the request that wrote
it (``request_context.request_id()``); the send binds it, and ``config.celery`` puts it into the message's
headers, so the worker logs the task under the request's id.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F

from . import clock, request_context

log = logging.getLogger("creditportal.outbox")


def _models():
    from creditportal.models import OutboxMessage

    return OutboxMessage


def _plain(value):
    """The arguments as they will be read back from the row (JSON); anything else is a programming error."""
    return json.loads(json.dumps(value))


class _Publication:
    """The after-commit send of the rows one ``enqueue`` call wrote (``name``: the task's name)."""

    def __init__(self, task, message_ids, calls, request_id=""):
        self.task = task
        self.name = task.name
        self.message_ids = message_ids
        self.calls = calls
        self.request_id = request_id

    def send(self):
        # the request's id goes into each message's headers (config.celery: before_task_publish)
        with request_context.bound_request_id(self.request_id):
            for message_id, (args, kwargs) in zip(self.message_ids, self.calls):
                if not _send_one(message_id, self.task, args, kwargs, use_delay=True):
                    break  # the broker is down: the rest wait for the relay instead of each timing out here


def enqueue(task, *args, **kwargs):
    """Send ``task`` with ids as arguments once the current transaction commits (never if it rolls back).

    The task is written to the outbox in the transaction, so a broker outage only delays it."""
    enqueue_many(task, [(args, kwargs)])


def enqueue_many(task, calls):
    """``enqueue`` for many calls of one task (``[(args, kwargs), ...]``): one INSERT, one send after commit."""
    OutboxMessage = _models()
    now = clock.instant()
    due = now + dt.timedelta(seconds=settings.OUTBOX_RELAY_GRACE)
    calls = [(tuple(args), dict(kwargs)) for args, kwargs in calls]
    request_id = request_context.request_id() or ""  # the request (or task) that wants it, for its log lines
    rows = OutboxMessage.objects.bulk_create([
        OutboxMessage(task=task.name, args=_plain(list(args)), kwargs=_plain(kwargs), created_at=now,
                      next_attempt_at=due, request_id=request_id)
        for args, kwargs in calls])
    if rows:
        publication = _Publication(task, [row.pk for row in rows], calls, request_id)
        transaction.on_commit(partial(publication.send))


def _send_one(message_id, task, args, kwargs, *, use_delay=False) -> bool:
    """Send one row's task; True when sent (and the row marked), False when the broker refused (recorded)."""
    OutboxMessage = _models()
    try:
        if use_delay:
            task.delay(*args, **kwargs)
        else:
            task.apply_async(args=list(args), kwargs=kwargs)
    except Exception as exc:  # noqa: BLE001 - the broker is down or refused: the relay sends it later
        log.warning("outbox: could not send %s #%s (%s); the relay will send it", getattr(task, "name", task),
                    message_id, exc)
        _record_failure(message_id, exc)
        return False
    try:
        OutboxMessage.objects.filter(pk=message_id).update(sent_at=clock.instant(), attempts=F("attempts") + 1,
                                                           last_error="")
    except Exception:  # noqa: BLE001 - sent; the relay may send it again, which an idempotent task allows
        log.warning("outbox: %s #%s sent but not marked", getattr(task, "name", task), message_id, exc_info=True)
    return True


def _record_failure(message_id, exc):
    OutboxMessage = _models()
    try:
        row = OutboxMessage.objects.filter(pk=message_id).only("attempts").first()
        if row is None:
            return
        attempts = row.attempts + 1
        wait = min(settings.OUTBOX_RETRY_MAX, 5 * 2 ** min(attempts - 1, 16))
        OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).update(
            attempts=attempts, last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=clock.instant() + dt.timedelta(seconds=wait))
    except Exception:  # noqa: BLE001 - the database is unreachable too: the row keeps its earlier due time
        log.warning("outbox: could not record the failed send of #%s", message_id, exc_info=True)


def _task_named(name):
    from celery import current_app

    tasks = current_app.tasks
    if name not in tasks:
        current_app.loader.import_default_modules()
    return tasks.get(name)


class _ByName:
    """A task this process has not registered: sent by name (never the case with eager tasks)."""

    def __init__(self, name):
        self.name = name

    def apply_async(self, args=None, kwargs=None):
        from celery import current_app

        return current_app.send_task(self.name, args=args, kwargs=kwargs)


RELAY_BATCH = 500


def relay_outbox(*, limit: int = RELAY_BATCH) -> dict:
    """Send the outbox rows that are due and unsent; returns ``{"sent", "failed", "left"}``.

    Safe to run in several processes at once: each claims its rows with ``select_for_update(skip_locked=True)``
    and moves their due time forward (a lease) before sending outside the transaction. A broker error stops the
    run (the rest wait for the next one)."""
    OutboxMessage = _models()
    now = clock.instant()
    lease = dt.timedelta(seconds=max(60, settings.OUTBOX_RELAY_GRACE))
    with transaction.atomic():
        claimed = list(OutboxMessage.objects.select_for_update(skip_locked=True)
                       .filter(sent_at__isnull=True, next_attempt_at__lte=now)
                       .order_by("next_attempt_at", "pk")
                       .values_list("pk", "task", "args", "kwargs", "request_id")[:limit])
        if claimed:
            OutboxMessage.objects.filter(pk__in=[row[0] for row in claimed]).update(next_attempt_at=now + lease)
    sent = failed = 0
    for position, (pk, name, args, kwargs, request_id) in enumerate(claimed):
        task = _task_named(name)
        if task is None and settings.CELERY_TASK_ALWAYS_EAGER:
            _record_failure(pk, LookupError(f"no task named {name}"))
            failed += 1
            continue
        # the writer's request id (none if none wrote it, not the relay's own) goes into the task's headers
        with request_context.bound_request_id(request_id, keep_current=False):
            ok = _send_one(pk, task or _ByName(name), args or [], kwargs or {})
        if ok:
            sent += 1
            continue
        failed += 1
        rest = [row[0] for row in claimed[position + 1:]]
        if rest:  # the broker is down: give the rest back for the next run
            OutboxMessage.objects.filter(pk__in=rest, sent_at__isnull=True).update(next_attempt_at=now)
        break
    left = OutboxMessage.objects.filter(sent_at__isnull=True).count()
    if sent or failed:
        log.info("outbox relay: %s sent, %s failed, %s left", sent, failed, left)
    return {"sent": sent, "failed": failed, "left": left}


def outbox_purge() -> int:
    """Delete rows sent more than ``OUTBOX_KEEP_DAYS`` days ago (unsent rows are never deleted)."""
    OutboxMessage = _models()
    before = clock.instant() - dt.timedelta(days=settings.OUTBOX_KEEP_DAYS)
    deleted, _ = OutboxMessage.objects.filter(sent_at__lt=before).delete()
    return deleted
