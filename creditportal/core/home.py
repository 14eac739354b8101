"""Home-page panels: each app may offer ``home_panels(user)`` in ``<app>/home.py``.

A panel is a dict ``{"title", "items": [{"label", "url", "age_days"?}], "count", "url"?}``; an app
returns only what the user may see and act on.
"""
from importlib import import_module

from django.conf import settings


def panels_for(user):
    panels = []
    for app in settings.LOCAL_APPS:
        try:
            module = import_module(f"{app}.home")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.home":
                raise
            continue
        panels.extend(module.home_panels(user))
    return panels
