"""The watchlist: customers under closer watch, with the reason, owner and period."""
from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record, snapshot
from creditportal.core import access, clock
from creditportal.core.errors import ValidationFailed

from ..models import WatchlistEntry
from ._common import _require_visible_customer


@transaction.atomic
def watchlist_add(*, actor, customer, reason, owner=None, since=None, until=None, alert=None) -> WatchlistEntry:
    access.require(actor, "monitoring.add_watchlistentry")
    _require_visible_customer(actor, customer.pk)
    reason = (reason or "").strip()
    since = since or clock.today()
    errors = {}
    if not reason:
        errors["reason"] = _("Give the reason for the closer watch.")
    if until is not None and until < since:
        errors["until"] = _("The end cannot be before the start.")
    if errors:
        raise ValidationFailed(_("Please correct the entry."), field_errors=errors)
    if WatchlistEntry.objects.filter(customer=customer).current(since).exists():
        raise ValidationFailed(_("The customer is already on the watchlist."))
    entry = WatchlistEntry.objects.create(customer=customer, reason=reason, owner=owner or actor, since=since,
                                          until=until, alert=alert, created_by=actor)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=entry, after=snapshot(entry))
    return entry


@transaction.atomic
def watchlist_update(*, actor, entry, reason=None, owner=None, until=None, clear_until=False) -> WatchlistEntry:
    access.require(actor, "monitoring.change_watchlistentry")
    _require_visible_customer(actor, entry.customer_id)
    entry = WatchlistEntry.objects.select_for_update().get(pk=entry.pk)
    before = snapshot(entry)
    if reason is not None:
        if not reason.strip():
            raise ValidationFailed(_("Give the reason for the closer watch."),
                                   field_errors={"reason": _("Required.")})
        entry.reason = reason.strip()
    if owner is not None:
        entry.owner = owner
    if until is not None or clear_until:
        if until is not None and until < entry.since:
            raise ValidationFailed(_("The end cannot be before the start."),
                                   field_errors={"until": _("Before the start.")})
        entry.until = until
    entry.save()
    after = snapshot(entry)
    changed = sorted(k for k in after if before.get(k) != after.get(k) and k != "updated_at")
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=entry,
                 before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return entry


def watchlist_end(*, actor, entry) -> WatchlistEntry:
    return watchlist_update(actor=actor, entry=entry, until=max(clock.today(), entry.since))


def may_watch_from_alert(alert, user) -> bool:
    """Whether ``user`` may put the customer of ``alert`` on the watchlist from the alert now (an active alert)."""
    return access.has(user, "monitoring.add_watchlistentry") and alert.is_active
