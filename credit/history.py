"""A facility's limit history (the facility page): each change of its limit with the application that made it
and the date, read from the audit trail the credit services write (``create`` when the facility opened, an
update by an increase, decrease or renewal application, ``reduce_limit`` by a risk decision). Four queries."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from creditportal.core.money import to_decimal

from .models import CreditApplication


def _amount(value):
    try:
        return to_decimal(value) if value not in (None, "") else None
    except Exception:  # noqa: BLE001 - a snapshot that holds no number shows as missing
        return None


def facility_limit_history(facility) -> list[dict]:
    """``[{"on", "before", "after", "what", "application", "who", "reason"}]``, oldest first."""
    events = list(AuditEvent.objects.for_object("credit.facility", facility.pk)
                  .filter(action__in=[AuditEvent.Action.CREATE, AuditEvent.Action.UPDATE])
                  .only("id", "occurred_at", "action", "verb", "before", "after", "actor_id", "actor_username")
                  .order_by("occurred_at", "id"))
    rows = []
    for event in events:
        after = event.after if isinstance(event.after, dict) else {}
        before = event.before if isinstance(event.before, dict) else {}
        if "limit" not in after:
            continue
        new = _amount(after.get("limit"))
        old = _amount(before.get("limit")) if event.action == AuditEvent.Action.UPDATE else None
        if old is not None and old == new:
            continue
        application_id = after.get("application") if event.verb != "reduce_limit" else None
        rows.append({"on": event.occurred_at, "before": old, "after": new, "verb": event.verb or event.action,
                     "application_id": application_id, "actor_id": event.actor_id,
                     "actor_username": event.actor_username, "reason": str(after.get("reason") or "")})
    if not rows and facility.application_id:  # a facility opened before the trail recorded it
        rows.append({"on": facility.created_at if hasattr(facility, "created_at") else None, "before": None,
                     "after": facility.limit, "verb": "create", "application_id": facility.application_id,
                     "actor_id": None, "actor_username": "", "reason": ""})
    applications = CreditApplication.objects.only("id", "application_type", "decided_at").in_bulk(
        {r["application_id"] for r in rows if r["application_id"]})
    people = get_user_model().objects.only("id", "username", "first_name", "last_name").in_bulk(
        {r["actor_id"] for r in rows if r["actor_id"]})
    labels = {"create": _("Facility opened"), "reduce_limit": _("Limit reduced (risk decision)")}
    for row in rows:
        application = applications.get(row["application_id"])
        row["application"] = application
        row["who"] = people.get(row["actor_id"]) or row["actor_username"]
        if row["verb"] in labels:
            row["what"] = labels[row["verb"]]
        elif application is not None:
            row["what"] = application.get_application_type_display()
        else:
            row["what"] = row["verb"]
        row["change"] = (row["after"] - row["before"]) if row["before"] is not None and row["after"] is not None else None
    return rows
