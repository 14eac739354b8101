"""Per-app modules found by name (``<app>.api``, ``<app>.home``, ``<app>.navigation``, ``<app>.demo``,
``<app>.events``, ``<app>.services``), the one loop the portal uses to collect what the apps contribute.

Built on Django's ``autodiscover_modules``: an app without the module is skipped, an error inside an existing
module is raised. The order is INSTALLED_APPS order (``settings.LOCAL_APPS``), which pages rely on.
"""
from __future__ import annotations

import sys
from types import ModuleType

from django.conf import settings
from django.utils.module_loading import autodiscover_modules


def app_modules(module_name: str) -> list[tuple[str, ModuleType]]:
    """``[(app, module)]`` for every portal app that has ``<app>.<module_name>``, imported, in app order."""
    autodiscover_modules(module_name)
    found = []
    for app in settings.LOCAL_APPS:
        module = sys.modules.get(f"{app}.{module_name}")
        if module is not None:
            found.append((app, module))
    return found
