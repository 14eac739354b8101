"""A lock shared by all processes (through the cache: Redis in production) for jobs that must run once.

Two beat processes started by mistake schedule every periodic job twice; each periodic task therefore
takes ``run_once(f"{name}:{slot}")`` for its schedule slot (e.g. the business date) and does nothing
when another run already holds or held it.
"""
import uuid
from contextlib import contextmanager

from django.core.cache import cache


@contextmanager
def run_once(key: str, *, ttl_seconds: int = 6 * 60 * 60):
    """Yield True to the one caller that gets the lock for ``key`` (kept for ``ttl_seconds``), else False."""
    token = uuid.uuid4().hex
    acquired = cache.add(f"run-once:{key}", token, timeout=ttl_seconds)
    yield acquired
