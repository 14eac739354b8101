"""Shared helpers of the ECL services: rule errors in the user's language, month checks, the snapshot of a month."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _

from audit.models import AuditEvent
from creditportal.core import clock
from creditportal.core.errors import ValidationFailed

from .. import rules, selectors
from ..models import AgingSnapshot

ZERO = Decimal("0")
Action = AuditEvent.Action


def _rule_error(error: rules.RuleError):
    field = error.field or "__all__"
    return ValidationFailed(_message(error), field_errors={field: _message(error)})


def _message(error: rules.RuleError) -> str:
    """The rule's refusal in the user's language (the rules module has no translations of its own)."""
    text = error.message
    known = [
        ("the weights add up to", _("The weights of the scenarios must add up to 100%.")),
        ("cannot be negative", _("A factor or an amount cannot be negative.")),
        ("look-back of", _("The look-back is longer than the history of month-end snapshots.")),
        ("look-back is at least", _("The look-back is at least one month.")),
        ("enter at least one scenario", _("Enter at least one scenario.")),
        ("has no name", _("Every scenario needs a name.")),
        ("two scenarios are called", _("Two scenarios have the same name.")),
        ("must be between 0 and 100%", _("A weight is between 0 and 100%.")),
        ("must be between 0 and 1", _("A rate is between 0 and 1 (100%).")),
        ("unknown bucket", _("Unknown aging bucket.")),
        ("haircut", _("The haircut is a fraction between 0 and 1.")),
        ("not a number", _("Enter a number.")),
    ]
    for needle, message in known:
        if needle in text:
            return f"{message} ({text})"
    return text



def _check_month(period) -> dt.date:
    if not isinstance(period, dt.date):
        raise ValidationFailed(_("Enter a month end."), field_errors={"period": _("Enter a month end.")})
    period = selectors.month_end(period)
    if period >= clock.today():
        raise ValidationFailed(_("The month %(month)s has not ended yet.") % {"month": f"{period:%Y-%m}"},
                               field_errors={"period": _("Choose a month that has ended.")})
    return period



def _snapshot_of(period) -> AgingSnapshot:
    snapshot = AgingSnapshot.objects.filter(period=period).first()
    if snapshot is None:
        raise ValidationFailed(_("There is no aging snapshot for %(month)s: take it first.")
                               % {"month": f"{period:%Y-%m}"},
                               field_errors={"period": _("No snapshot for this month.")})
    return snapshot
