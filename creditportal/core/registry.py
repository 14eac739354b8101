"""The one way a lower app gets what it needs from a higher one without importing it.

The LOWER app declares the need, typed by a ``Protocol``, in its own module (``providers.py``, ``tabs.py``,
``creditportal.core.lists``)::

    PAYMENT_BEHAVIOUR = registry.Slot("ratings.payment_behaviour", PaymentBehaviourProvider)

The HIGHER app fills it in its ``AppConfig.ready``::

    PAYMENT_BEHAVIOUR.provide(PaymentBehaviour())

and the lower app reads it: ``PAYMENT_BEHAVIOUR.get()`` (``None`` while nobody provides it; each slot's owner
decides what that means). A need several apps contribute to (the customer page's tabs) is a ``Hook``:
``TABS.add(item)``, read with ``TABS.all()`` (in the hook's order) or ``TABS.get(key)``.

``provide``/``add`` check the implementation against the protocol (``runtime_checkable``: the methods exist),
so a wrong registration fails at start-up rather than on the first request. Events (one-way notifications
after a write) are the other upward path: ``creditportal.core.events``.
"""
from __future__ import annotations

from typing import Any, Callable, Generic, TypeVar

T = TypeVar("T")


def _check(name: str, protocol: type, impl: Any) -> None:
    if not isinstance(impl, protocol):
        members = sorted(m for m, v in vars(protocol).items() if callable(v) and (not m.startswith("_")
                                                                                 or m == "__call__"))
        raise TypeError(f"{name}: {impl!r} is not a {protocol.__name__}"
                        + (f" (needs {', '.join(members)})" if members else ""))


class Slot(Generic[T]):
    """One implementation of ``protocol`` that a higher app provides (the last ``provide`` wins)."""

    def __init__(self, name: str, protocol: type[T]):
        self.name = name
        self.protocol = protocol
        self._impl: T | None = None

    def provide(self, impl: T | None) -> T | None:
        """Put ``impl`` in the slot (``None`` empties it); returns what was there, so tests can restore it."""
        if impl is not None:
            _check(self.name, self.protocol, impl)
        previous, self._impl = self._impl, impl
        return previous

    def get(self) -> T | None:
        return self._impl

    def __repr__(self):
        return f"<Slot {self.name}: {self._impl!r}>"


class Hook(Generic[T]):
    """Items of type ``item_type`` contributed by several apps, one per ``key(item)`` (adding a key again
    replaces the item); ``all()`` lists them sorted by ``order(item)`` (default: the order they were added)."""

    def __init__(self, name: str, item_type: type[T], *, key: Callable[[T], Any],
                 order: Callable[[T], Any] | None = None):
        self.name = name
        self.item_type = item_type
        self._key = key
        self._order = order
        self._items: dict[Any, T] = {}

    def add(self, item: T) -> T:
        _check(self.name, self.item_type, item)
        self._items[self._key(item)] = item
        return item

    def remove(self, key) -> None:
        self._items.pop(key, None)

    def get(self, key) -> T | None:
        return self._items.get(key)

    def all(self) -> list[T]:
        items = list(self._items.values())
        return sorted(items, key=self._order) if self._order else items

    def __repr__(self):
        return f"<Hook {self.name}: {len(self._items)} items>"
