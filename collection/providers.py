"""The implementations collection registers for lower apps (see ``CollectionConfig.ready``)."""
from . import selectors


class PaymentBehaviour:
    """``ratings.providers``: the rows of payment behaviour of invoices falling due in a window (set-wise)."""

    def behaviour_rows(self, customer_ids, due_after, due_until):
        return selectors.behaviour_rows(customer_ids, due_after, due_until)


class OpenReceivables:
    """``credit.providers``: open (unpaid, not written off) invoice amounts (set-wise)."""

    def open_amounts_by_facility(self, facility_ids):
        return selectors.open_amounts_by_facility(facility_ids)

    def open_amounts_by_customer(self, customer_ids):
        return selectors.open_amounts_by_customer(customer_ids)


class DaysPastDue:
    """``credit.providers``: days past due by debtor (the one definition, set-wise)."""

    def days_past_due(self, customer_ids, as_of):
        return selectors.days_past_due(list(customer_ids), as_of)
