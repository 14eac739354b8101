"""Thin Celery tasks: they take ids and call one service."""
from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model

from creditportal.core import clock
from creditportal.core.locks import run_once

CHECK_CHAIN_TASK = "audit.check_chain"


@shared_task(name=CHECK_CHAIN_TASK)
def check_chain(requested_by: int | None = None):
    """Beat, nightly (no argument: the system user), or an auditor's request (their user id): check the whole
    hash chain and keep the result."""
    from .services import chain_check_run

    users = get_user_model().objects.filter(is_active=True)
    if requested_by is None:  # beat: once per business date, however many copies of the slot arrive
        with run_once(f"audit-check-chain:{clock.today().isoformat()}") as first:
            if not first:
                return None
            actor = users.filter(username=settings.SYSTEM_USERNAME).first()
            return chain_check_run(actor=actor).pk
    else:
        actor = users.filter(pk=requested_by).first()
        if actor is None:
            return None  # the user left before the task ran: nobody asks for it any more
    return chain_check_run(actor=actor).pk
