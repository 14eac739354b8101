"""The events the collection app publishes (``creditportal.core.events``; subscribers in docs/DEVELOPING.md)."""
from creditportal.core.events import Event

PAYMENT_POSTED = Event("collection.payment_posted", "payment_id", "customer_id")
WRITEOFF_APPROVED = Event("collection.writeoff_approved", "writeoff_id", "customer_id")
PROMISE_BROKEN = Event("collection.promise_broken", "promise_id", "case_id",
                       unsubscribed="no portal app reacts yet; tests/collection/test_cases.py requires the publish")
