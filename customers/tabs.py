"""Tabs of the customer page: this app's own and those that higher apps add at start-up.

The tabs are a hook (``creditportal.core.registry``): a higher app (ratings, credit, collection, monitoring)
adds its tab in its ``AppConfig.ready``::

    from customers.tabs import CUSTOMER_TABS, Tab

    def ratings_tab(customer, user):
        return {"ratings": Rating.objects.filter(customer=customer)}

    CUSTOMER_TABS.add(Tab("ratings", _("Ratings"), "ratings/customer_tab.html", ratings_tab,
                          permission="ratings.view_rating", order=100))

The page shows every tab the user may see (``permission`` is a Django permission, or ``None``); only the
active tab's ``context_fn(customer, user)`` runs (``?tab=ratings``), so tabs cost nothing until shown.
The tab template gets ``customer``, ``tab`` and the dict returned by ``context_fn``. The customer has
already been checked against ``Customer.objects.visible_to(user)``. Orders: this app uses 10–60 and 900
(history); higher apps use 100–800. Adding a key again replaces the tab.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from creditportal.core import registry

ContextFn = Callable[[Any, Any], dict]


@dataclass(frozen=True)
class Tab:
    key: str
    label: Any
    template_name: str
    context_fn: ContextFn
    permission: str | None = None
    order: int = 100

    def __post_init__(self):
        if not self.key or not self.key.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"tab key must be a simple word: {self.key!r}")

    def visible_to(self, user) -> bool:
        return self.permission is None or user.has_perm(self.permission)


CUSTOMER_TABS: registry.Hook[Tab] = registry.Hook("customers.tabs", Tab, key=lambda t: t.key,
                                                  order=lambda t: (t.order, t.key))


def register_tab(key: str, label, template_name: str, context_fn: ContextFn, permission: str | None = None,
                 order: int = 100) -> Tab:
    """``CUSTOMER_TABS.add(Tab(...))``, spelt out (this app's built-in tabs)."""
    return CUSTOMER_TABS.add(Tab(key, label, template_name, context_fn, permission, order))


def unregister_tab(key: str) -> None:
    CUSTOMER_TABS.remove(key)


def tabs_for(user) -> list[Tab]:
    """The tabs ``user`` may see, in order."""
    return [t for t in CUSTOMER_TABS.all() if t.visible_to(user)]


def get_tab(key: str) -> Tab | None:
    return CUSTOMER_TABS.get(key)
