"""Home-page panels: each app may offer ``home_panels(user)`` in ``<app>/home.py``.

A panel is a dict ``{"title", "items": [{"label", "url", "age_days"?}], "count", "url"?}``; an app
returns only what the user may see and act on.
"""
from .discovery import app_modules


def panels_for(user):
    panels = []
    for _app, module in app_modules("home"):
        panels.extend(module.home_panels(user))
    return panels
