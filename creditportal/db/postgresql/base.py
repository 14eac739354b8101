"""Django's PostgreSQL backend whose connection health check is not repeated on every request.

With ``CONN_HEALTH_CHECKS`` Django sends ``SELECT 1`` before the first query of every request that reuses
a persistent connection: a round trip to the server per request, whatever the request does. Here a
connection that passed the check less than ``DATABASE_HEALTH_CHECK_INTERVAL`` seconds ago (setting,
default 10; 0 checks every request as Django does) is trusted without asking the server again, as
PgBouncer's ``server_check_delay`` does. A connection psycopg already knows to be broken or closed is
always checked (and so closed and replaced). The price: a connection the server drops within the
interval fails the one request that uses it next (Django then closes it at the end of that request), where
the check would have replaced it first.
"""
import time

from django.conf import settings
from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    _last_health_check = None

    def close_if_health_check_failed(self):
        if self.connection is not None and self.health_check_enabled and not self.health_check_done \
                and self._checked_recently():
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _checked_recently(self) -> bool:
        interval = getattr(settings, "DATABASE_HEALTH_CHECK_INTERVAL", 10)
        if not interval or self._last_health_check is None:
            return False
        if self.connection.closed or self.connection.broken:
            return False
        return time.monotonic() - self._last_health_check < interval

    def is_usable(self):
        usable = super().is_usable()
        self._last_health_check = time.monotonic() if usable else None
        return usable

    def connect(self):
        super().connect()
        self._last_health_check = time.monotonic()  # a new connection has just answered
