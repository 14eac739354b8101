"""The events the insurance app publishes (``creditportal.core.events``)."""
from creditportal.core.events import Event

# An overdue invoice was notified to the insurer: monitoring evaluates the customer's rules again (the
# "notify the insurer" alert clears).
INSURER_NOTIFIED = Event("insurance.insurer_notified", "notification_id", "customer_id")
