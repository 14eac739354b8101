"""The registry (``creditportal.core.registry``): a slot takes only what fits its Protocol, a hook keeps one item
per key in its order; the portal's slots are filled at start-up by the apps above."""
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import pytest

from creditportal.core import registry


@runtime_checkable
class Greeter(Protocol):
    def greet(self, name) -> str: ...


class Hello:
    def greet(self, name):
        return f"hello {name}"


def test_a_slot_takes_what_fits_its_protocol_and_gives_back_the_previous():
    slot = registry.Slot("tests.greeter", Greeter)
    assert slot.get() is None
    with pytest.raises(TypeError, match="greet"):
        slot.provide(object())
    first = Hello()
    assert slot.provide(first) is None
    assert slot.get().greet("x") == "hello x"
    assert slot.provide(None) is first and slot.get() is None


@dataclass(frozen=True)
class Item:
    key: str
    order: int


def test_a_hook_keeps_one_item_per_key_in_order():
    hook = registry.Hook("tests.items", Item, key=lambda i: i.key, order=lambda i: (i.order, i.key))
    hook.add(Item("b", 2))
    hook.add(Item("a", 3))
    hook.add(Item("b", 1))  # replaces the first "b"
    assert hook.all() == [Item("b", 1), Item("a", 3)]
    assert hook.get("a") == Item("a", 3)
    hook.remove("a")
    assert hook.get("a") is None
    with pytest.raises(TypeError):
        hook.add("not an item")


def test_the_portals_slots_are_filled_at_start_up():
    from credit.providers import DECISION_WARNINGS, OPEN_RECEIVABLES
    from creditportal.core.lists import EXPORT_RECORDER
    from customers.header import CUSTOMER_HEADER
    from customers.tabs import CUSTOMER_TABS
    from ratings.providers import DECISION_AUTHORITY, PAYMENT_BEHAVIOUR

    for slot in (OPEN_RECEIVABLES, EXPORT_RECORDER, DECISION_AUTHORITY, PAYMENT_BEHAVIOUR, DECISION_WARNINGS,
                 CUSTOMER_HEADER):
        assert slot.get() is not None, slot.name
    keys = [t.key for t in CUSTOMER_TABS.all()]
    assert {"profile", "ratings", "credit", "collections", "alerts", "history"} <= set(keys)
    assert keys[0] == "profile" and keys[-1] == "history"
