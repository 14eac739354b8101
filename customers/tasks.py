"""Thin Celery tasks: they take ids and call one service."""
from celery import shared_task

from creditportal.core import clock
from creditportal.core.locks import run_once

PEER_STATISTICS_TASK = "customers.refresh_peer_statistics"


@shared_task(name=PEER_STATISTICS_TASK)
def refresh_peer_statistics():
    """Beat, nightly: the system user replaces the peers' quartiles (once per business date)."""
    from accounts.system import system_user

    from .services.peers import peer_statistics_refresh

    with run_once(f"customers-peers:{clock.today().isoformat()}") as first:
        if not first:
            return None
        return peer_statistics_refresh(actor=system_user())
