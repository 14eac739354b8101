"""A payment-behaviour provider for tests: the rows collection would read, given by hand."""
import contextlib
import datetime as dt
from decimal import Decimal

from ratings import providers
from ratings.engine.behaviour import ClaimRow, InvoiceRow


def invoice(key, due, amount, *payments, currency="CNY"):
    """``invoice(1, "2026-03-01", "1000", ("2026-03-05", "1000"))``."""
    return InvoiceRow(key, dt.date.fromisoformat(due), Decimal(amount), currency,
                      tuple((dt.date.fromisoformat(d), Decimal(a)) for d, a in payments))


def claim(invoice_key, paid_on, amount, kind="claim", currency="CNY"):
    return ClaimRow(invoice_key, kind, dt.date.fromisoformat(paid_on), Decimal(amount), currency)


class FakeRows:
    """``FakeRows({customer_id: ([invoice rows], [claim rows])})``: serves the rows, filtered to the window as
    collection's query does."""

    def __init__(self, rows):
        self.rows = rows
        self.calls = []

    def behaviour_rows(self, customer_ids, due_after, due_until):
        self.calls.append((None if customer_ids is None else sorted(customer_ids), due_after, due_until))
        for customer_id in sorted(self.rows):
            if customer_ids is not None and customer_id not in customer_ids:
                continue
            invoices, claims = self.rows[customer_id]
            yield customer_id, [i for i in invoices if due_after < i.due_date <= due_until], list(claims)


@contextlib.contextmanager
def provider(rows):
    previous = providers.PAYMENT_BEHAVIOUR.get()
    fake = FakeRows(rows)
    providers.PAYMENT_BEHAVIOUR.provide(fake)
    try:
        yield fake
    finally:
        providers.PAYMENT_BEHAVIOUR.provide(previous)
