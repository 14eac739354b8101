"""The navigation menu: each app declares its entries in ``<app>/navigation.py`` as ``MENU``.

An entry is shown only to users holding its permission, so the menu shows what the role may do (the
server still checks every request).
"""
from dataclasses import dataclass, field
from functools import cache

from django.urls import NoReverseMatch, reverse

from .discovery import app_modules


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    permission: str | tuple[str, ...] | None = None  # None: any signed-in user; a tuple: all of them


@dataclass(frozen=True)
class MenuGroup:
    label: str
    items: list = field(default_factory=list)
    order: int = 100


@cache
def all_groups():
    groups = []
    for _app, module in app_modules("navigation"):
        groups.extend(getattr(module, "MENU", []))
    return sorted(groups, key=lambda g: g.order)


def menu_for(user):
    """[(group label, [(item label, url)])] that ``user`` may use."""
    if not user.is_authenticated:
        return []
    result = []
    for group in all_groups():
        items = []
        for item in group.items:
            needed = (item.permission,) if isinstance(item.permission, str) else item.permission
            if needed and not user.has_perms(needed):
                continue
            try:
                items.append((item.label, reverse(item.url_name)))
            except NoReverseMatch:
                continue
        if items:
            result.append((group.label, items))
    return result
