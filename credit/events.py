"""The events the credit app publishes (``creditportal.core.events``; subscribers in docs/DEVELOPING.md)."""
from creditportal.core.events import Event

FACILITY_CHANGED = Event("credit.facility_changed", "facility_id")
COVENANT_BREACHED = Event("credit.covenant_breached", "breach_id", "covenant_id", "customer_id", "application_id")
