"""Rate limits whose counters are atomic, keyed on the client address of ``request_context``.

DRF's ``SimpleRateThrottle`` reads a history list from the cache, appends and writes it back: twenty
requests at once all read the same list and all pass (7 tokens issued in a 20-request burst against
5/min). Here every hit is one atomic increment of a fixed-window counter:

- with Redis (``settings.REDIS_URL``): ``INCR`` and, for the window's first hit, ``EXPIRE`` in one Lua
  script, so a counter always expires and no two hits read the same value;
- without Redis: one ``ThrottleCounter`` row per key, locked with ``select_for_update`` inside a
  transaction (SQLite runs such transactions one at a time, ``transaction_mode = IMMEDIATE``).

``AtomicRateThrottle.limits(request)`` names the counters a request counts against, each with its own rate
from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``; the request is refused when any of them is over.
"""
from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from . import request_context

_INCR_WITH_EXPIRY = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
    ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""
_scripts: dict[int, object] = {}


def _redis_client():
    """The ``redis.Redis`` client of the default cache when it is Redis, else None."""
    if not getattr(settings, "REDIS_URL", ""):
        return None
    cache = caches["default"]
    client_of = getattr(getattr(cache, "_cache", None), "get_client", None)
    return client_of(None, write=True) if client_of else None


def _key(scope: str, ident: str) -> str:
    digest = hashlib.sha256(ident.encode("utf-8", "replace")).hexdigest()[:40]
    return f"throttle:{scope}:{digest}"


def hit(scope: str, ident: str, window_seconds: int) -> tuple[int, float]:
    """Count one hit on ``(scope, ident)``; returns the count in the current window and the seconds left."""
    key = _key(scope, ident)
    client = _redis_client()
    if client is not None:
        script = _scripts.get(id(client))
        if script is None:
            script = _scripts[id(client)] = client.register_script(_INCR_WITH_EXPIRY)
        count, ttl_ms = script(keys=[key], args=[int(window_seconds * 1000)])
        return int(count), max(int(ttl_ms), 0) / 1000
    return _hit_in_database(key, window_seconds)


def _hit_in_database(key: str, window_seconds: int) -> tuple[int, float]:
    from creditportal.models import ThrottleCounter

    now = timezone.now()
    window = dt.timedelta(seconds=window_seconds)
    for _attempt in range(2):
        try:
            with transaction.atomic():
                counter = ThrottleCounter.objects.select_for_update().filter(key=key).first()
                if counter is None:
                    ThrottleCounter.objects.create(key=key, window_ends=now + window, count=1)
                    return 1, float(window_seconds)
                if counter.window_ends <= now:
                    counter.window_ends, counter.count = now + window, 0
                counter.count += 1
                counter.save(update_fields=["window_ends", "count"])
                return counter.count, (counter.window_ends - now).total_seconds()
        except IntegrityError:  # another request created the row first: lock it on the second try
            continue
    raise RuntimeError("throttle counter could not be written")


def purge_expired(before=None) -> int:
    """Delete database counters whose window ended (a periodic clean-up; Redis expires its own)."""
    from creditportal.models import ThrottleCounter

    deleted, _ = ThrottleCounter.objects.filter(window_ends__lt=before or timezone.now()).delete()
    return deleted


class AtomicRateThrottle(BaseThrottle):
    """A DRF throttle over one or more atomic counters (see the module)."""

    scope = "anon"

    def get_ident(self, request):
        return request_context.ip_from_request(request) or ""

    def limits(self, request) -> list[tuple[str, str]]:
        """``(scope, ident)`` pairs this request counts against; by default the client address."""
        return [(self.scope, self.get_ident(request))]

    @staticmethod
    def rate_of(scope: str) -> tuple[int, int] | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
        return SimpleRateThrottle.parse_rate(None, rate) if rate else None

    def allow_request(self, request, view) -> bool:
        self._wait = None
        allowed = True
        for scope, ident in self.limits(request):
            rate = self.rate_of(scope)
            if rate is None:
                continue
            number, duration = rate
            count, left = hit(scope, ident, duration)
            if count > number:
                allowed = False
                self._wait = max(self._wait or 0, left)
        return allowed

    def wait(self):
        return self._wait
