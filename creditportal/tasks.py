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


@shared_task(name="creditportal.relay_outbox")
def relay_outbox():
    """Beat, every few seconds: send the outbox rows a broker outage left unsent (idempotent: a row is claimed
    with ``skip_locked`` and marked sent; a second run in the same slot finds nothing to send)."""
    from creditportal.core.tasks import relay_outbox as relay

    return relay()["sent"]


@shared_task(name="creditportal.purge_outbox_and_keys")
def purge_outbox_and_keys():
    """Daily: delete outbox rows sent days ago and expired idempotency keys (once per business date)."""
    from creditportal.core.idempotency import purge_expired
    from creditportal.core.tasks import outbox_purge

    with run_once(f"purge_outbox_and_keys:{clock.today().isoformat()}") as first:
        if not first:
            return None
        return outbox_purge() + purge_expired()
