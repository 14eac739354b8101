"""The audit trail's hash chain: each event carries ``chain_hash`` = SHA-256 over the canonical JSON of its
own content and the previous event's ``chain_hash`` (``GENESIS`` for the first), in id order.

A changed, inserted or deleted event breaks the chain at that event (or, for a deletion, at the next one):
``verify`` recomputes every link from the stored content and says where. Writers never fork it: whoever
appends takes a transaction-scoped PostgreSQL advisory lock first and holds it until commit, so the events
of concurrent transactions are chained (and numbered) one transaction after the other. On SQLite the
portal's write transactions are IMMEDIATE, which serialises writers the same way.

The content is the event as the database gives it back (timestamps in UTC to the microsecond, JSON
through a round trip, addresses normalised), so a link computed before the INSERT matches the one
recomputed from the stored row.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import json
from dataclasses import dataclass, field

from creditportal.core.canonical import canonical_json, sha256_of

GENESIS = "0" * 64
CHAINED_FIELDS = ("occurred_at", "actor_id", "actor_username", "action", "verb", "object_type", "object_id",
                  "object_repr", "before", "after", "ip_address")
# pg_advisory_xact_lock key of the chain's writers ("audit" as a number).
LOCK_KEY = 0x6175646974


def _json(value):
    if value is None:
        return None
    value = json.loads(canonical_json(value))

    def normal(item):
        if isinstance(item, float) and item.is_integer():
            return int(item)  # jsonb gives 1e20 back as an integer
        if isinstance(item, dict):
            return {k: normal(v) for k, v in item.items()}
        if isinstance(item, list):
            return [normal(v) for v in item]
        return item

    return normal(value)


def _address(value):
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(str(value).split("/")[0]))
    except ValueError:
        return str(value)


def _time(value):
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def content(values: dict) -> dict:
    """The chained content of one event, from a model instance's or a row's values."""
    return {
        "occurred_at": _time(values["occurred_at"]),
        "actor_id": values["actor_id"],
        "actor_username": values["actor_username"] or "",
        "action": values["action"],
        "verb": values["verb"] or "",
        "object_type": values["object_type"] or "",
        "object_id": str(values["object_id"] or ""),
        "object_repr": values["object_repr"] or "",
        "before": _json(values["before"]),
        "after": _json(values["after"]),
        "ip_address": _address(values["ip_address"]),
    }


def link(previous: str, values: dict) -> str:
    return sha256_of({"event": content(values), "previous": previous})


def values_of(event) -> dict:
    return {name: getattr(event, name) for name in CHAINED_FIELDS}


@dataclass
class ChainReport:
    checked: int = 0
    breaks: list = field(default_factory=list)  # [(event id, previous event id or None)]
    more_breaks: bool = False
    last_id: int | None = None  # the last event read and its stored hash: where a later check may start
    last_hash: str = GENESIS

    @property
    def intact(self) -> bool:
        return not self.breaks

    @property
    def first_break(self):
        return self.breaks[0][0] if self.breaks else None


def verify(rows, *, max_breaks: int = 100, previous: str = GENESIS, previous_id: int | None = None) -> ChainReport:
    """Check ``rows`` (dicts with ``id``, ``chain_hash`` and the chained fields, in id order).

    Each link is recomputed from the event's stored content and the previous event's stored hash, so one
    changed event is reported once, at itself, and a deleted one at the event after it. ``previous`` and
    ``previous_id``: where the rows continue the chain (the genesis; or the last event an earlier check read,
    with its hash then)."""
    report = ChainReport(last_id=previous_id, last_hash=previous)
    for row in rows:
        report.checked += 1
        if row["chain_hash"] != link(previous, row):
            if len(report.breaks) < max_breaks:
                report.breaks.append((row["id"], previous_id))
            else:
                report.more_breaks = True
        previous, previous_id = row["chain_hash"], row["id"]
    report.last_id, report.last_hash = previous_id, previous
    return report
