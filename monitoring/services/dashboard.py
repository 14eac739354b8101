"""The portfolio dashboard's snapshot, recomputed on request ("Refresh now")."""
from __future__ import annotations

from django.db import transaction

from creditportal.core import access
from creditportal.core.tasks import enqueue

# The dashboard's readers (monitoring.views.dashboard.DashboardAccessMixin, the API's DashboardView).
DASHBOARD_PERMISSIONS = ("monitoring.view_alert", "customers.view_all_customers")


@transaction.atomic
def dashboard_refresh_request(*, actor, start=None, end=None) -> None:
    """Ask for the dashboard's snapshot of the period (the default period without dates) to be recomputed
    in the background (the batch queue); the page shows the new figures once it has run. Nothing is written
    but the outbox row: the snapshot is derived data in the cache, so no audit record."""
    from ..tasks import refresh_dashboard_snapshot

    for permission in DASHBOARD_PERMISSIONS:
        access.require(actor, permission)
    enqueue(refresh_dashboard_snapshot, start.isoformat() if start else None, end.isoformat() if end else None)
