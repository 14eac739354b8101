"""Tabs of the customer page: this app's own and those that higher apps register at start-up.

A higher app (ratings, credit, collection, monitoring) adds its tab in its ``AppConfig.ready``::

    from customers.tabs import register_tab

    def ratings_tab(customer, user):
        return {"ratings": Rating.objects.filter(customer=customer)}

    register_tab("ratings", _("Ratings"), "ratings/customer_tab.html", ratings_tab,
                 permission="ratings.view_rating", order=100)

The page shows every tab the user may see (``permission`` is a Django permission, or ``None``); only the
active tab's ``context_fn(customer, user)`` runs (``?tab=ratings``), so tabs cost nothing until shown.
The tab template gets ``customer``, ``tab`` and the dict returned by ``context_fn``. The customer has
already been checked against ``Customer.objects.visible_to(user)``. Orders: this app uses 10–60 and 900
(history); higher apps use 100–800.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

ContextFn = Callable[[Any, Any], dict]


@dataclass(frozen=True)
class Tab:
    key: str
    label: Any
    template_name: str
    context_fn: ContextFn
    permission: str | None = None
    order: int = 100

    def visible_to(self, user) -> bool:
        return self.permission is None or user.has_perm(self.permission)


_tabs: dict[str, Tab] = {}


def register_tab(key: str, label, template_name: str, context_fn: ContextFn, permission: str | None = None,
                 order: int = 100) -> Tab:
    """Add (or replace, when the key is registered again) a tab of the customer page."""
    if not key or not key.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"tab key must be a simple word: {key!r}")
    tab = Tab(key, label, template_name, context_fn, permission, order)
    _tabs[key] = tab
    return tab


def unregister_tab(key: str) -> None:
    _tabs.pop(key, None)


def all_tabs() -> list[Tab]:
    return sorted(_tabs.values(), key=lambda t: (t.order, t.key))


def tabs_for(user) -> list[Tab]:
    """The tabs ``user`` may see, in order."""
    return [t for t in all_tabs() if t.visible_to(user)]


def get_tab(key: str) -> Tab | None:
    return _tabs.get(key)
