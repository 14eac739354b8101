"""Domain events that travel upward without a lower app importing a higher one.

The publishing app declares its events, as constants, in its own ``events.py`` (found at start-up with
``autodiscover_modules("events")``)::

    STATEMENT_SAVED = Event("customers.statement_saved", "statement_id", "customer_id")

and publishes one after a write (``publish_on_commit(STATEMENT_SAVED, statement_id=7, customer_id=3)``); a higher
app subscribes in its ``AppConfig.ready`` (``subscribe(STATEMENT_SAVED, handler)``). An event is also accepted by
its name, but only a declared one: publishing or subscribing to an undeclared name raises ``LookupError``.
Handlers run at once, inside the publishing transaction, and may only enqueue Celery tasks with ids
(``creditportal.core.tasks.enqueue``): the tasks are written to the outbox with the write itself, so they are
sent after the commit (never when it rolls back), and a broker outage delays them without losing them.

The events, their payloads and their subscribers are listed in ``docs/DEVELOPING.md``;
``tests/creditportal/test_events.py`` checks that every published event has a subscriber and every subscribed
event a publisher.
"""
from __future__ import annotations

from collections import defaultdict

_subscribers = defaultdict(list)
_declared: dict[str, Event] = {}


class Event:
    """A declared event: its name (``<app>.<what happened>``) and the payload keys it is published with.
    ``unsubscribed`` gives the reason an event may be published with no subscriber in the portal."""

    __slots__ = ("name", "payload", "unsubscribed")

    def __init__(self, name: str, *payload: str, unsubscribed: str = ""):
        if name in _declared:
            raise ValueError(f"event {name!r} is declared twice")
        self.name = name
        self.payload = tuple(payload)
        self.unsubscribed = unsubscribed
        _declared[name] = self

    def __str__(self):
        return self.name

    def __repr__(self):
        return f"Event({self.name!r})"


def declared() -> dict[str, Event]:
    """Every declared event by name (after start-up: the publishing apps' ``events`` modules are loaded)."""
    return dict(_declared)


def _name(event: Event | str) -> str:
    name = event.name if isinstance(event, Event) else event
    if name not in _declared:
        raise LookupError(f"undeclared event {name!r}: declare it in the publishing app's events.py")
    return name


def subscribe(event: Event | str, handler) -> None:
    name = _name(event)
    if handler not in _subscribers[name]:
        _subscribers[name].append(handler)


def subscribers(event: Event | str):
    return list(_subscribers[_name(event)])


def _deliver(name, payload):
    for handler in list(_subscribers[name]):
        handler(**payload)


def publish_on_commit(event: Event | str, **payload) -> None:
    """Tell the subscribers now; the tasks they enqueue go out when the transaction commits (the outbox)."""
    _deliver(_name(event), payload)
