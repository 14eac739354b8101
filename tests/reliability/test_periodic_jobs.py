"""Beat: every periodic job runs once per schedule slot even when two beat processes send it; no ETA or
countdown reaches the broker's visibility timeout."""
import datetime as dt
import inspect
import re
from pathlib import Path

import pytest
from django.conf import settings

from config.celery import app
from creditportal.core import clock

ROOT = Path(__file__).resolve().parents[2]
# Periodic jobs guarded by a natural key instead of run_once, and why a second run does nothing new.
IDEMPOTENT = {
    "credit.tasks.expire_facilities": "only open facilities past their expiry date; an expired one is not open",
    "creditportal.relay_outbox": "only outbox rows not sent yet, each claimed with skip_locked and marked sent",
    "ratings.check_stalled_batches": "only batches with no progress for minutes; a resumed one has a fresh heartbeat",
    "provisions.take_month_end_snapshot": "one snapshot per month end (unique period); taking it again returns it",
    "insurance.expire_buyer_limits": "only live buyer limits whose validity ended; an expired one is not live again",
}


def _periodic_tasks():
    app.loader.import_default_modules()
    names = sorted({entry["task"] for entry in app.conf.beat_schedule.values()})
    assert len(names) >= 5, names
    return names


def test_every_periodic_job_is_guarded():
    for name in _periodic_tasks():
        task = app.tasks[name]
        source = inspect.getsource(task.run)
        assert "run_once(" in source or name in IDEMPOTENT, f"{name}: no run_once lock and no idempotent key"


@pytest.mark.django_db
@pytest.mark.parametrize("name", _periodic_tasks())
def test_a_second_run_for_the_same_slot_does_nothing_new(name, users, django_capture_on_commit_callbacks):
    from audit.models import AuditEvent

    clock.set_today(dt.date(2026, 6, 30))
    task = app.tasks[name]
    with django_capture_on_commit_callbacks(execute=True):
        task.apply().get()  # the first beat's copy
    events = AuditEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = task.apply().get()  # the second beat's copy of the same slot
    assert AuditEvent.objects.count() == events, name
    assert result in (None, False, 0, [], {}) or name in IDEMPOTENT, (name, result)
    assert not callbacks, f"{name} sent follow-up work on its second run"


def test_no_eta_or_countdown_reaches_the_visibility_timeout():
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    for entry in app.conf.beat_schedule.values():
        options = entry.get("options", {})
        assert options.get("countdown", 0) < timeout and "eta" not in options
    for task in app.tasks.values():
        if not task.name.startswith("celery."):
            assert (getattr(task, "retry_backoff_max", 0) or 0) < timeout, task.name
            assert (task.default_retry_delay or 0) < timeout, task.name
    found = []
    for app_dir in ["accounts", "audit", "customers", "ratings", "credit", "collection", "monitoring", "reports",
                    "validation", "creditportal"]:
        for path in (ROOT / app_dir).rglob("*.py"):
            for m in re.finditer(r"countdown\s*=\s*(\d+)", path.read_text(encoding="utf-8")):
                found.append((str(path.relative_to(ROOT)), int(m.group(1))))
            assert not re.search(r"\beta\s*=", path.read_text(encoding="utf-8")), path
    assert all(seconds < timeout for _, seconds in found), found
