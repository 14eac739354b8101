"""The customer header: the risk picture of one customer shown at the top of every customer page and of every
application, rating, case and facility page (issue 21). It is built by an app above this one (``monitoring``
reads ratings, credit, collection and its own alerts), which fills the slot in its ``AppConfig.ready``::

    from customers.header import CUSTOMER_HEADER

    class Header:
        template_name = "monitoring/_customer_header.html"

        def context(self, customer, user) -> dict:
            return {"header": customer_header(customer, user)}

    CUSTOMER_HEADER.provide(Header())

Pages show it with ``{% load customer_header %}{% customer_header customer %}``; with no provider it renders
nothing. The caller has already checked that the user may see the customer.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

from creditportal.core import registry


@runtime_checkable
class CustomerHeaderProvider(Protocol):
    template_name: str

    def context(self, customer, user) -> dict: ...


CUSTOMER_HEADER: registry.Slot[CustomerHeaderProvider] = registry.Slot("customers.header", CustomerHeaderProvider)
