"""The events the ratings app publishes (``creditportal.core.events``; subscribers in docs/DEVELOPING.md)."""
from creditportal.core.events import Event

RATING_APPROVED = Event("ratings.rating_approved", "rating_id", "customer_id")
# one event per re-rating batch chunk
DOWNGRADES_PROPOSED = Event("ratings.downgrades_proposed", "rating_ids", "customer_ids")
