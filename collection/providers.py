"""The implementations collection registers for lower apps (see ``CollectionConfig.ready``)."""
from . import selectors


class PaymentBehaviour:
    """``ratings.providers``: payment behaviour of invoices falling due in a window (set-wise)."""

    def behaviour_for(self, customer_ids, window_start, window_end):
        return selectors.behaviour_facts(customer_ids, window_start, window_end)


class OpenReceivables:
    """``credit.providers``: open (unpaid, not written off) invoice amounts (set-wise)."""

    def open_amounts_by_facility(self, facility_ids):
        return selectors.open_amounts_by_facility(facility_ids)

    def open_amounts_by_customer(self, customer_ids):
        return selectors.open_amounts_by_customer(customer_ids)
