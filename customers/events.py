"""The events the customers app publishes (``creditportal.core.events``; subscribers in docs/DEVELOPING.md)."""
from creditportal.core.events import Event

STATEMENT_SAVED = Event("customers.statement_saved", "statement_id", "customer_id")
NEGATIVE_RECORD_ADDED = Event("customers.negative_record_added", "record_id", "customer_id")
