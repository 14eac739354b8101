"""Payment behaviour, provided by a higher app (collection) without ratings importing it.

The collection app owns invoices, payments, claim payouts and credit notes. At start-up
(``AppConfig.ready``) it fills the slot (``creditportal.core.registry``)::

    from ratings.providers import PAYMENT_BEHAVIOUR
    PAYMENT_BEHAVIOUR.provide(MyProvider())

A provider has one method, which only *reads rows* (the rules are :mod:`ratings.engine.behaviour`)::

    behaviour_rows(customer_ids: list[int] | None, due_after: date, due_until: date)
        -> iterable of (customer_id, [InvoiceRow, ...], [ClaimRow, ...])

in ONE set-wise pass (a constant number of queries for any number of customers; ``customer_ids=None``
asks for every customer), each customer once:

* ``InvoiceRow(key, due_date, amount, currency, payments)``: every invoice falling due in
  ``(due_after, due_until]`` with its allocations ``((received_on, amount), ...)`` (all of them: the engine
  keeps those received by the rating date);
* ``ClaimRow(invoice, kind, paid_on, amount, currency)``: the claim payouts (``kind="claim"``) and credit
  notes (``kind="credit_note"``) tied to those invoices, and the claim payouts tied to no invoice
  (``invoice=None``) dated in ``(due_after, due_until]``.

Amounts are ``Decimal`` in their own currency, never floats; ratings converts them with the FX rates valid on
the rating date (``creditportal.core.money.RateTable``). With no provider registered every customer's
payment indicators are "not available".
"""
from __future__ import annotations

import logging
from decimal import Decimal
from typing import Protocol, runtime_checkable

from django.conf import settings

from creditportal.core import registry
from creditportal.core.money import MissingRate, RateTable
from ratings.engine.behaviour import BehaviourError, BehaviourFacts, ClaimRow, InvoiceRow, Window, payment_facts

__all__ = ["PaymentBehaviourProvider", "BehaviourFacts", "InvoiceRow", "ClaimRow", "PAYMENT_BEHAVIOUR",
           "behaviour_facts_for", "DecisionAuthorityProvider", "DECISION_AUTHORITY", "require_override_authority",
           "InputSource", "INPUT_SOURCES", "extra_inputs_for"]

log = logging.getLogger(__name__)


@runtime_checkable
class PaymentBehaviourProvider(Protocol):
    def behaviour_rows(self, customer_ids, due_after, due_until): ...


PAYMENT_BEHAVIOUR: registry.Slot[PaymentBehaviourProvider] = registry.Slot(
    "ratings.payment_behaviour", PaymentBehaviourProvider)


# --- Decision authority (credit) --------------------------------------------------------------------
# Approving an overridden grade is an amount-based decision (DESIGN §3: "every amount-based decision
# (applications, write-offs, overrides) takes its authority from the authority matrix and delegations through
# one rule"). The rule and the exposure live in credit, above ratings: credit provides
# ``require_override_authority(user, customer_id)`` (raises ``NotAllowed``) at start-up.

@runtime_checkable
class DecisionAuthorityProvider(Protocol):
    def require_override_authority(self, user, customer_id) -> None: ...


DECISION_AUTHORITY: registry.Slot[DecisionAuthorityProvider] = registry.Slot(
    "ratings.decision_authority", DecisionAuthorityProvider)


def require_override_authority(user, customer_id) -> None:
    """Refuse an overridden grade's approval beyond ``user``'s authority. No provider → no authority at all
    (the rule is "no entry, no authority"), so the portal without credit refuses rather than waves through."""
    from django.utils.translation import gettext as _

    from creditportal.core.errors import NotAllowed

    authority = DECISION_AUTHORITY.get()
    if authority is None:
        raise NotAllowed(_("No authority matrix is available: an overridden grade cannot be approved."))
    authority.require_override_authority(user, customer_id)


class _Rates:
    """Currency → rate into the reporting currency on one date, looked up as the rows need them."""

    def __init__(self, on_date):
        self.table = None
        self.on_date = on_date
        self.cache: dict[str, Decimal] = {}

    def __getitem__(self, currency: str) -> Decimal:
        if currency not in self.cache:
            if currency in ("", settings.REPORTING_CURRENCY):
                self.cache[currency] = Decimal(1)
            else:
                self.table = self.table or RateTable(self.on_date)
                try:
                    self.cache[currency] = self.table.rate(currency, settings.REPORTING_CURRENCY)
                except MissingRate as exc:
                    raise KeyError(currency) from exc
        return self.cache[currency]


def behaviour_facts_for(customer_ids, window: Window) -> dict[int, BehaviourFacts | dict]:
    """``{customer_id: BehaviourFacts}`` for the customers with an amount due in ``window``
    (``customer_ids=None``: every customer, one pass over the tables). A customer whose rows cannot be
    used (an amount in a currency without an FX rate) maps to ``{"error": message}``."""
    provider = PAYMENT_BEHAVIOUR.get()
    if provider is None or (customer_ids is not None and not customer_ids):
        return {}
    ids = None if customer_ids is None else list(customer_ids)
    rates = _Rates(window.rating_date)
    result: dict[int, BehaviourFacts | dict] = {}
    for customer_id, invoices, claims in provider.behaviour_rows(ids, window.due_after, window.due_until):
        try:
            facts = payment_facts(invoices, claims, window, rates)
        except BehaviourError as exc:
            log.warning("payment behaviour of customer %s: %s", customer_id, exc)
            result[int(customer_id)] = {"error": str(exc)}
            continue
        if facts is not None:
            result[int(customer_id)] = facts
    return result


# --- More inputs of a rating (coverage, outside credit information, …) ---------------------------------
# An app that knows something a rating model may score (the insured share of a customer's exposure, its tax
# credit rating, court records) adds an ``InputSource`` to ``INPUT_SOURCES`` in its ``AppConfig.ready``.
# ``gather_inputs`` puts each source's answer under ``inputs[namespace]``, so a factor reads it as
# ``"<namespace>.<key>"`` (e.g. ``coverage.insured_share``) and a veto or cap rule by the same path.
# ``inputs_for(customer_ids, on_date)`` reads set-wise (a constant number of queries for any number of customers)
# and returns ``{customer_id: {key: JSON value}}``: numbers as text (``"0.4500"``), dates as ISO text, categories
# as short strings; a customer missing from the answer gets ``{}`` (every key "not available").

@runtime_checkable
class InputSource(Protocol):
    namespace: str

    def inputs_for(self, customer_ids: list[int], on_date) -> dict[int, dict]: ...


INPUT_SOURCES: registry.Hook[InputSource] = registry.Hook("ratings.input_sources", InputSource,
                                                          key=lambda source: source.namespace)


def extra_inputs_for(customer_ids: list[int], on_date) -> dict[str, dict[int, dict]]:
    """``{namespace: {customer_id: {key: value}}}`` from every registered source."""
    return {source.namespace: source.inputs_for(list(customer_ids), on_date) for source in INPUT_SOURCES.all()}
