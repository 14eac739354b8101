"""Payment behaviour, provided by a higher app (collection) without ratings importing it.

The collection app owns invoices, payments and claim payouts. At start-up (``AppConfig.ready``) it calls::

    from ratings.providers import register_payment_behaviour
    register_payment_behaviour(MyProvider())

A provider has one method::

    behaviour_for(customer_ids: list[int] | None, window_start: date, window_end: date) -> dict[int, facts]

for the invoices falling due in ``window_start … window_end`` (both inclusive), in ONE set-wise pass (a
constant number of queries for any number of customers); ``customer_ids=None`` asks for every customer. ``facts`` is a dict (or any object with these
attributes, or :class:`ratings.engine.behaviour.BehaviourFacts`); amounts are ``Decimal`` in the reporting
currency (CNY), never floats:

    invoice_count           int      invoices falling due in the window
    amount_due              Decimal  Σ amount of those invoices
    amount_received         Decimal  Σ payments received on them
    claim_payouts           Decimal  Σ claim (insurance/guarantee) payouts received on them
    days_late_numerator     Decimal  Σ (amount paid × days between due date and payment; early/on time = 0)
    days_late_denominator   Decimal  Σ amount paid (the weights of the numerator)
    max_days_late           int      the largest days late of any payment in the window

A customer without any invoice due in the window is simply left out of the dict. With no provider
registered, or a customer missing from the result, both payment indicators are "not available".
Ratings computes the indicators themselves (:mod:`ratings.engine.behaviour`).
"""
from __future__ import annotations

import datetime as dt
from typing import Protocol, runtime_checkable

from ratings.engine.behaviour import BehaviourFacts

__all__ = ["PaymentBehaviourProvider", "BehaviourFacts", "register_payment_behaviour", "payment_behaviour",
           "behaviour_facts_for"]


@runtime_checkable
class PaymentBehaviourProvider(Protocol):
    def behaviour_for(self, customer_ids: list[int], window_start: dt.date, window_end: dt.date) -> dict: ...


_provider: PaymentBehaviourProvider | None = None


def register_payment_behaviour(provider: PaymentBehaviourProvider | None) -> None:
    """Register (or, with ``None``, remove) the payment-behaviour provider."""
    global _provider
    if provider is not None and not callable(getattr(provider, "behaviour_for", None)):
        raise TypeError("a payment-behaviour provider needs a behaviour_for(customer_ids, start, end) method")
    _provider = provider


def payment_behaviour() -> PaymentBehaviourProvider | None:
    return _provider


def behaviour_facts_for(customer_ids, window_start: dt.date, window_end: dt.date) -> dict[int, BehaviourFacts]:
    """``{customer_id: BehaviourFacts}`` for the customers with invoices due in the window;
    ``customer_ids=None``: every customer (one pass over the tables, for the whole-portfolio batch)."""
    if _provider is None or (customer_ids is not None and not customer_ids):
        return {}
    ids = None if customer_ids is None else list(customer_ids)
    raw = _provider.behaviour_for(ids, window_start, window_end) or {}
    result = {}
    for customer_id, facts in raw.items():
        parsed = BehaviourFacts.from_any(facts)
        if parsed is not None and parsed.invoice_count > 0:
            result[int(customer_id)] = parsed
    return result
