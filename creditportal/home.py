"""The kernel's home panel: background jobs the outbox could not hand to the broker (for the risk administrators
who run the portal's operations)."""
import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import OutboxMessage

STUCK_AFTER = dt.timedelta(minutes=10)


def home_panels(user):
    if not user.has_perm("auth.change_user"):
        return []
    now = timezone.now()
    qs = OutboxMessage.objects.filter(sent_at__isnull=True, created_at__lte=now - STUCK_AFTER).order_by("created_at")
    count = qs.count()
    if not count:
        return []
    rows = list(qs[:5])
    return [{"title": _("Background jobs not sent"), "count": count,
             "items": [{"label": f"{m.task} · " + _("%(n)s attempts") % {"n": m.attempts}
                        + (f" · {m.last_error[:80]}" if m.last_error else ""), "url": "",
                        "age_days": (now - m.created_at).days} for m in rows]}]
