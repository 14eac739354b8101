"""What credit reads from apps above it, through providers they register (credit never imports them).

Open receivables (registered by ``collection`` in its ``AppConfig.ready``)::

    from credit.providers import register_open_receivables

    class OpenInvoices:
        def open_amounts_by_facility(self, facility_ids) -> dict[int, Decimal]:
            # {facility_id: open (unpaid) invoice amount in THAT FACILITY'S currency}; missing ids count 0
        def open_amounts_by_customer(self, customer_ids) -> dict[int, list[tuple[Decimal, str]]]:
            # {customer_id: [(open amount, currency), ...]} for invoices not tied to a facility or for totals

    register_open_receivables(OpenInvoices())

Both methods are called once per request or batch with every id at once (set-wise); they must not
issue one query per id. With no provider registered, open receivables count as zero.
"""
from __future__ import annotations

from decimal import Decimal

_open_receivables = None


def register_open_receivables(provider) -> None:
    global _open_receivables
    _open_receivables = provider


def open_receivables_provider():
    return _open_receivables


def open_amounts_by_facility(facility_ids) -> dict[int, Decimal]:
    ids = list(facility_ids)
    if _open_receivables is None or not ids:
        return {}
    return {k: Decimal(v) for k, v in (_open_receivables.open_amounts_by_facility(ids) or {}).items()}


def open_amounts_by_customer(customer_ids) -> dict[int, list[tuple[Decimal, str]]]:
    ids = list(customer_ids)
    if _open_receivables is None or not ids:
        return {}
    return dict(_open_receivables.open_amounts_by_customer(ids) or {})
