"""No task message is ever published with an ETA or countdown that reaches the broker's visibility timeout.

Redis re-delivers an unacknowledged message after the visibility timeout, so a message delayed longer would run
twice. Checked at run time, by recording what Celery would publish (nothing is sent): every beat entry as beat
sends it, and every task's retry at its last attempt (the longest back-off), whether the retry comes from
``autoretry_for`` (the database down) or from the task itself (``reports.build_report_batch`` while another
worker holds the batch).
"""
import datetime as dt
import inspect

import pytest
from celery.app.task import Task
from celery.exceptions import Retry
from django.conf import settings
from django.db import OperationalError

from config.celery import app

PROJECT_APPS = ("accounts", "audit", "customers", "ratings", "credit", "collection", "monitoring", "reports",
                "validation", "creditportal")


@pytest.fixture
def published(monkeypatch):
    """(task name, countdown in seconds) of every message Celery would publish; nothing is published."""
    records = []

    def apply_async(self, args=None, kwargs=None, task_id=None, producer=None, link=None, link_error=None,
                    shadow=None, **options):
        countdown = options.get("countdown") or 0
        if options.get("eta") is not None:
            eta = options["eta"]
            countdown = (eta - dt.datetime.now(eta.tzinfo)).total_seconds()
        records.append((self.name, countdown))

    monkeypatch.setattr(Task, "apply_async", apply_async)
    return records


def visibility_timeout():
    return settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)


def project_tasks():
    app.loader.import_default_modules()
    tasks = [task for name, task in sorted(app.tasks.items()) if name.split(".")[0] in PROJECT_APPS]
    assert len(tasks) >= 10, [t.name for t in tasks]
    return tasks


def dummy_arguments(task):
    """An id, a list of ids, an ISO date or a language per parameter: the task never gets past its first query."""
    values = []
    for parameter in inspect.signature(task.run).parameters.values():
        if parameter.default is not inspect.Parameter.empty:
            break
        if parameter.name == "as_of" or parameter.name.endswith("_iso"):
            values.append("2026-01-01")
        elif parameter.annotation in (str, "str"):
            values.append("en")
        elif parameter.name.endswith("_ids") or parameter.annotation in (list, "list", "list[int]"):
            values.append([1])
        else:
            values.append(1)
    return values


def test_beat_sends_every_entry_without_a_long_delay(published):
    from celery.beat import ScheduleEntry, Scheduler

    project_tasks()
    scheduler = Scheduler(app, lazy=True)
    for name, entry in app.conf.beat_schedule.items():
        scheduler.apply_async(ScheduleEntry(name=name, app=app, **entry), advance=False)
    assert {name for name, _ in published} == {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert all(countdown < visibility_timeout() for _, countdown in published), published


@pytest.mark.django_db
def test_the_last_retry_of_every_task_waits_less_than_the_visibility_timeout(published, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def database_down(*args, **kwargs):
        raise OperationalError("the database is down")

    monkeypatch.setattr(CursorWrapper, "execute", database_down)
    monkeypatch.setattr(CursorWrapper, "executemany", database_down)
    retrying = [task for task in project_tasks() if OperationalError in (getattr(task, "autoretry_for", ()) or ())]
    assert len(retrying) >= 5, [t.name for t in retrying]
    for task in retrying:
        task.push_request(id=f"test-{task.name}", retries=max(task.max_retries - 1, 0), called_directly=False,
                          delivery_info={})
        try:
            with pytest.raises(Retry):
                task.run(*dummy_arguments(task))
        finally:
            task.pop_request()
    assert sorted({name for name, _ in published}) == sorted(t.name for t in retrying)
    longest = max(countdown for _, countdown in published)
    assert longest < visibility_timeout(), published  # (back-off with jitter: between 0 and the cap)


def test_a_busy_report_batch_retries_within_the_visibility_timeout(published, monkeypatch):
    from reports import services, tasks

    def busy(*, batch_id):
        raise services.BatchBusy(batch_id)

    monkeypatch.setattr(services, "report_batch_build", busy)
    task = tasks.build_report_batch
    task.push_request(id="test-busy", retries=task.max_retries - 1, called_directly=False, delivery_info={})
    try:
        with pytest.raises(Retry):
            task.run(7)
    finally:
        task.pop_request()
    assert len(published) == 1
    name, countdown = published[0]
    assert name == "reports.build_report_batch" and 0 < countdown < visibility_timeout()
