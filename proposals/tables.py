"""A whole keyed table proposed at once (the haircuts by collateral type, the recovery factors by grade, the
provision rates by tier): the proposal holds the rows that differ from the table in force, with their values in
force as ``previous``; approval writes those rows and audits the table before and after.

The owning app keeps what is its own (validating the rows, reading and writing its table, the row labels of the
decision page) and registers its kind as usual (``proposals.registry``)."""
from __future__ import annotations

from typing import Any, Callable

from audit.models import AuditEvent
from audit.services import audit_record
from creditportal.core.errors import Conflict, ValidationFailed

from . import services


def table_propose(*, actor, model, key: str, proposed: dict, current: dict, unchanged: str,
                  as_json: Callable[[Any], Any] = lambda value: value):
    """Propose the rows of ``proposed`` ({row key: value}) that differ from ``current`` (the table in force);
    ``unchanged``: the refusal when none differs; ``as_json``: how a value is stored in the proposal."""
    changed = {row: value for row, value in proposed.items() if value != current.get(row)}
    if not changed:
        raise ValidationFailed(unchanged)
    return services.change_propose(actor=actor, model=model, key=key,
                                   values={row: as_json(value) for row, value in changed.items()},
                                   previous={row: as_json(current.get(row)) for row in changed})


def table_apply(*, actor, change, read: Callable[[], dict], write: Callable[[str, Any], None], object_type: str,
                object_repr: str, conflict: str | None = None) -> None:
    """Put an approved table change in force: ``read()`` gives the table in force as stored in proposals,
    ``write(row, value)`` puts one row in force. With ``conflict``, a row changed since the proposal refuses the
    approval with that message (propose again). The table before and after is audited."""
    before = read()
    if conflict and any(before.get(row) != value for row, value in change.previous.items()):
        raise Conflict(conflict)
    for row, value in change.values.items():
        write(row, value)
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, object_type=object_type, object_repr=object_repr,
                 before=before, after=read())
