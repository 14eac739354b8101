"""The nightly collection job and "Run dunning now" from the collection pages."""
from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.system import system_user
from audit.models import AuditEvent
from audit.services import audit_record
from creditportal.core import access, clock
from creditportal.core.tasks import enqueue

from .cases import promises_evaluate
from .dunning import dunning_run


# --- daily job --------------------------------------------------------------------------------

def daily_run(*, as_of=None) -> dict:
    """The nightly collection job, as the system user: dunning, then promises due."""
    as_of = as_of or clock.today()
    actor = system_user()
    run = dunning_run(actor=actor, as_of=as_of)
    promises = promises_evaluate(as_of=as_of)
    return {"created": run.created, "closed": run.closed, "cases_opened": run.cases_opened, **promises}


# --- "Run dunning now" from the collection pages ----------------------------------------------------
# The button enqueues the nightly job's service (``daily_run``) for today's business date. ``dunning_run``
# is idempotent per date (one action per customer and level), so a second press creates nothing; while a run
# is queued or running a second press does not even enqueue. The status lives in the cache for the progress bar.

RUN_NOW_STATUS_TTL = 2 * 24 * 60 * 60


def _run_now_key(as_of) -> str:
    return f"collection:dunning-run-now:{as_of.isoformat()}"


def dunning_run_now_status(*, as_of=None) -> dict | None:
    """The status of today's (or ``as_of``'s) run started from the pages, or None if none was started."""
    from django.core.cache import cache

    return cache.get(_run_now_key(as_of or clock.today()))


def _run_now_set(day, **status) -> dict:
    from django.core.cache import cache

    current = cache.get(_run_now_key(day)) or {}
    current.update(status)
    cache.set(_run_now_key(day), current, timeout=RUN_NOW_STATUS_TTL)
    return current


@transaction.atomic
def dunning_run_now(*, actor) -> dict:
    """Enqueue the nightly collection job for today's business date (audited); returns the run's status."""
    access.require(actor, "collection.run_dunning")
    as_of = clock.today()
    status = dunning_run_now_status(as_of=as_of)
    if status and status.get("state") in ("queued", "running"):
        return status
    status = _run_now_set(as_of, state="queued", percent=0, as_of=as_of.isoformat(), requested_by=actor.username,
                          created=None, closed=None, cases_opened=None, error="")
    audit_record(actor=actor, action=AuditEvent.Action.RUN, verb="dunning_run_now",
                 object_type="collection.dunningaction", object_repr=_("Dunning run for %(date)s") % {
                     "date": as_of.isoformat()}, after={"as_of": as_of.isoformat()})
    from ..tasks import run_dunning_now

    enqueue(run_dunning_now, as_of.isoformat())
    return status


def dunning_run_now_execute(*, as_of) -> dict:
    """The task's body: ``daily_run`` for ``as_of``, with the status kept for the progress bar."""
    _run_now_set(as_of, state="running", percent=50)
    try:
        result = daily_run(as_of=as_of)
    except Exception as error:
        _run_now_set(as_of, state="failed", percent=100, error=str(error)[:300])
        raise
    return _run_now_set(as_of, state="done", percent=100, created=result["created"], closed=result["closed"],
                        cases_opened=result["cases_opened"])
