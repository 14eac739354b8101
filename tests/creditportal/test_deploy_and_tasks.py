import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.db import transaction

from creditportal import tasks
from creditportal.core import locks
from creditportal.core.tasks import enqueue

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_is_clean_with_production_values(tmp_path):
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), "PORTAL_VAR_DIR": str(tmp_path),
           "DJANGO_SECRET_KEY": "k" * 20 + "production-like-secret-key-0123456789abcdef",
           "DJANGO_ALLOWED_HOSTS": "credit.example.com", "DJANGO_SECURE": "true"}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db(transaction=True)
def test_task_enqueued_in_a_rolled_back_transaction_never_runs():
    with mock.patch.object(tasks.clear_expired_sessions, "delay") as delay:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                enqueue(tasks.clear_expired_sessions)
                raise RuntimeError("rollback")
        delay.assert_not_called()
        with transaction.atomic():
            enqueue(tasks.clear_expired_sessions)
        delay.assert_called_once()


@pytest.mark.django_db
def test_periodic_job_runs_once_per_slot_even_with_two_beats():
    assert tasks.clear_expired_sessions() is True
    assert tasks.clear_expired_sessions() is False  # a second beat's copy of the same slot does nothing


def test_run_once_lock():
    with locks.run_once("x:1") as first:
        assert first
    with locks.run_once("x:1") as second:
        assert not second


def test_no_countdown_exceeds_the_visibility_timeout():
    from django.conf import settings

    from config.celery import app

    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    for entry in app.conf.beat_schedule.values():
        options = entry.get("options", {})
        assert options.get("countdown", 0) < timeout
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
