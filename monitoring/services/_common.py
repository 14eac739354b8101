"""Helpers shared by the monitoring services' sections."""
from __future__ import annotations

import calendar
import logging
import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import object_type_of
from creditportal.core import clock, request_context
from creditportal.core.canonical import jsonable
from creditportal.core.errors import NotAllowed
from customers.models import Customer


CHUNK = 1000
ZERO = Decimal("0")
log = logging.getLogger("creditportal.monitoring")


def _chunks(ids, size=CHUNK):
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _require_visible_customer(actor, customer_id):
    if not Customer.objects.visible_to(actor).filter(pk=customer_id).exists():
        raise NotAllowed(_("This customer is not in your portfolio."))


def _bulk_audit(actor, action, objects, *, verb="", after_fn=None, repr_fn=str):
    """One audit event per object, written in one INSERT (batch jobs)."""
    ip = request_context.client_ip()
    events = [
        AuditEvent(actor_id=getattr(actor, "pk", None), actor_username=getattr(actor, "username", "") or "",
                   action=action, verb=verb[:100], object_type=object_type_of(obj), object_id=str(obj.pk),
                   object_repr=repr_fn(obj)[:255], after=jsonable(after_fn(obj)) if after_fn else None, ip_address=ip)
        for obj in objects
    ]
    if events:
        AuditEvent.objects.bulk_create(events, batch_size=1000)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def default_period(today: dt.date | None = None) -> dt.date:
    """The month end to classify: today if it is a month end, else the last day of the previous month."""
    today = today or clock.today()
    if today == month_end(today):
        return today
    return today.replace(day=1) - dt.timedelta(days=1)
