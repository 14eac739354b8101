"""Links to pages, cheaply: a page such as the dashboard links every row, tile and menu entry (~250 links), and
Django's ``reverse`` matches the pattern and quotes its arguments anew on each call (a third of the dashboard's
Python time before). The URL of a name and arguments is the same for the life of the process under one URL
configuration and script prefix, so it is kept, keyed by both (a test that swaps ``ROOT_URLCONF`` gets its own).
"""
from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import urlencode


@lru_cache(maxsize=4096)
def _reverse(urlconf, prefix, name, args):
    return reverse(name, urlconf=urlconf, args=args)


def url_of(name: str, *args) -> str:
    """``reverse(name, args=args)``, remembered (arguments must be hashable: ids, codes)."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return _reverse(urlconf, get_script_prefix(), name, args)


def link(name: str, *args, **query) -> str:
    """The URL of ``name`` with ``query`` as its query string (empty values left out)."""
    url = url_of(name, *args)
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{url}?{urlencode(query)}" if query else url


def _forget(**kwargs):
    _reverse.cache_clear()


setting_changed.connect(_forget, dispatch_uid="creditportal.core.links")
