"""The events the creditinfo app publishes (``creditportal.core.events``; subscribers in docs/DEVELOPING.md)."""
from creditportal.core.events import Event

# An import of outside credit information was stored; ``change_ids`` are the changes it found against the
# information in force before it (monitoring evaluates its warning rules for the customer again).
IMPORT_APPLIED = Event("creditinfo.import_applied", "import_id", "customer_id", "change_ids")
