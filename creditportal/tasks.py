"""Housekeeping tasks of the project itself."""
from celery import shared_task
from django.core.management import call_command

from creditportal.core import clock
from creditportal.core.locks import run_once


@shared_task(name="creditportal.clear_expired_sessions")
def clear_expired_sessions():
    """Delete expired sessions once a day (idempotent)."""
    with run_once(f"clear_expired_sessions:{clock.today().isoformat()}") as first:
        if first:
            call_command("clearsessions")
        return first
