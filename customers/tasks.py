"""Thin Celery tasks: they take ids and call one service."""
from celery import shared_task

from creditportal.core import clock
from creditportal.core.locks import run_once

PEER_STATISTICS_TASK = "customers.refresh_peer_statistics"
LATEST_ANALYSES_TASK = "customers.refresh_latest_analyses"


@shared_task(name=PEER_STATISTICS_TASK)
def refresh_peer_statistics():
    """Beat, nightly: the system user replaces the peers' quartiles (once per business date)."""
    from accounts.system import system_user

    from .services.peers import peer_statistics_refresh

    with run_once(f"customers-peers:{clock.today().isoformat()}") as first:
        if not first:
            return None
        return peer_statistics_refresh(actor=system_user())


@shared_task(name=LATEST_ANALYSES_TASK)
def refresh_latest_analyses():
    """Beat, nightly before the peers and the re-rating: the kept analyses that are missing or were computed under
    other ratio rules (after a deployment) are recomputed (once per business date)."""
    from .services.analysis import latest_analysis_refresh

    with run_once(f"customers-latest-analyses:{clock.today().isoformat()}") as first:
        if not first:
            return None
        return latest_analysis_refresh(stale_only=True)
